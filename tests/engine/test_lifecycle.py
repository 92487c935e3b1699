"""Every stack file under the real Pulumi engine: the CLI, its Python language host, the policy pack
it starts, the Kubernetes provider against a real API server, and the stand-in cloud providers.

For every example stack and the three Pulumi.<env>.yaml: `pulumi preview --policy-pack policy`,
`pulumi up`, the Kubernetes objects read back from the API server and compared with the chart as
the pod simulation renders it, the plan compared with what the engine registered, and a second
preview that must show no changes. For a representative few (FULL) the rest of the lifecycle:
refresh and preview again, the outputs, no credential in plain text in the state, destroy
stopping at protected resources, and what is left once protection is off.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine import chart_repo
from tests.engine.conftest import Engine
from tests.engine.kube import Kube, assert_rolled_out
from tests.engine.lifecycle import (
    RELEASE,
    Session,
    Stack,
    new_stack,
    other_stacks,
    provide_stack,
    resources,
)
from tests.engine.standin_provider import OPERATIONS_ENV
from tools.mockrun import PROJECT_DIR, Declaration, Ref, Secret, leaves, reveal, run_stack_file

pytestmark = pytest.mark.engine

STACK_FILES = sorted(PROJECT_DIR.glob("Pulumi.*.yaml")) + sorted((PROJECT_DIR / "examples").glob("Pulumi.*.yaml"))
# The whole lifecycle for these: imports on each cloud, credentials in the state and outputs,
# Docker Compose, protection with a customer-managed key, a namespace made beforehand.
FULL = {"aws-adopt", "azure-adopt", "compose", "s3-compatible", "gcp-existing"}
STORAGE_TYPES = {
    "aws:s3/bucket:Bucket",
    "gcp:storage/bucket:Bucket",
    "azure-native:storage:StorageAccount",
    "azure-native:storage:BlobContainer",
}
SECRET_KEY = "4dabf18193072939515e22adb298388d"
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_VALUE = "5cf8f73096256a8f31e491e813e4eb8e"
NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
SECRET_TYPE = "kubernetes:core/v1:Secret"

# What the real Kubernetes provider's Check adds to a resource's inputs, beyond the program's.
# Found by running it (docs/development.md); anything else the engine holds is a plan defect.
PROVIDER_ADDED = {
    NAMESPACE_TYPE: {"apiVersion", "kind", "metadata.name"},
    # The provider may turn a Secret's stringData into base64 data in its Check; the Secret's
    # content is compared in the cluster instead (check_kubernetes).
    SECRET_TYPE: {"apiVersion", "kind", "metadata.name", "data"},
    # The Release's Check fills in every Helm option the program leaves at its default.
    RELEASE: {
        *[
            "skipAwait",
            "allowNullValues",
            "atomic",
            "cleanupOnFail",
            "createNamespace",
            "dependencyUpdate",
            "description",
            "devel",
        ],
        *[
            "disableCRDHooks",
            "disableOpenapiValidation",
            "disableWebhooks",
            "forceUpdate",
            "keyring",
            "lint",
            "postrender",
        ],
        *[
            "recreatePods",
            "renderSubchartNotes",
            "replace",
            "resetValues",
            "reuseValues",
            "skipCrds",
            "timeout",
            "verify",
        ],
        *["waitForJobs"],
        *(f"repositoryOpts.{key}" for key in ("caFile", "certFile", "keyFile", "password", "username")),
    },
}
# Where the real provider decides secrecy itself, key by key.
PROVIDER_RESECRETS = {SECRET_TYPE: "stringData."}
# What the SDK sends that the real provider's Check drops: the Release's `compat` marker.
PROVIDER_DROPPED = {RELEASE: {"compat"}, SECRET_TYPE: {"stringData"}}


# -- the session: one API server, one chart repository, one backend ----------------------------


@pytest.fixture(scope="session")
def chart_repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[chart_repo.ChartRepository]:
    from tests.harness.pod import chart_dir
    from tools.mockrun import run_stack_file as plan

    version = plan(PROJECT_DIR / "Pulumi.dev.yaml").one(RELEASE).inputs["version"]
    repository = chart_repo.start(chart_dir(version), tmp_path_factory.mktemp("chart-repo"))
    yield repository
    repository.stop()


@pytest.fixture(scope="session")
def session(
    engine: Engine, kube_cluster: Any, chart_repository: chart_repo.ChartRepository, tmp_path_factory: Any
) -> Session:
    """One backend, API server and chart repository for every stack, run one after another."""
    backend = tmp_path_factory.mktemp("backend")
    return Session(engine.env, backend, kube_cluster.kubeconfig, chart_repository.environment())


# -- comparing the plan with the engine ---------------------------------------------------------


def from_state(value: Any) -> Any:
    """A value of `pulumi stack export --show-secrets` as the plan records values."""
    if isinstance(value, dict):
        if value.get(SECRET_KEY) == SECRET_VALUE:
            return Secret(from_state(json.loads(value["plaintext"])) if "plaintext" in value else None)
        if value.get(SECRET_KEY) == RESOURCE_VALUE:
            return Ref(value.get("urn", ""))
        return {key: from_state(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_state(item) for item in value]
    return value


def input_differences(kind: str, planned: dict[str, Any], registered: dict[str, Any]) -> list[str]:
    """Where the engine's inputs differ from the plan's, as paths (never values: they may be secret).
    Paths the real Kubernetes provider adds (PROVIDER_ADDED) are not differences."""
    allowed = PROVIDER_ADDED.get(kind, set())
    dropped = PROVIDER_DROPPED.get(kind, set())
    found: list[str] = []

    def walk(plan_value: Any, engine_value: Any, path: str) -> None:
        if isinstance(plan_value, dict) and isinstance(engine_value, dict):
            for key in sorted(set(plan_value) | set(engine_value)):
                child = f"{path}.{key}".lstrip(".")
                if key not in plan_value and child in allowed:
                    continue
                if key not in engine_value and child in dropped:
                    continue
                if key.startswith("__"):
                    continue
                if key not in plan_value or key not in engine_value:
                    found.append(f"{child} ({'only the engine' if key not in plan_value else 'only the plan'})")
                    continue
                walk(plan_value[key], engine_value[key], child)
        elif isinstance(plan_value, list) and isinstance(engine_value, list) and len(plan_value) == len(engine_value):
            for index, (a, b) in enumerate(zip(plan_value, engine_value, strict=True)):
                walk(a, b, f"{path}[{index}]")
        elif plan_value != engine_value:
            found.append(path or "(the whole value)")

    walk(reveal(planned), reveal(registered), "")
    # A secret may be marked on a whole value or on each of its leaves; what counts is that every
    # leaf the plan holds secret is secret in the state too.
    held = {leaf.path for leaf in leaves(planned) if leaf.secret}
    exposed = held - {leaf.path for leaf in leaves(registered) if leaf.secret}
    # The Kubernetes provider marks a Secret's stringData key by key itself (the account's name in
    # it is no credential); that no credential is in plain text is checked on the export (FULL).
    exposed = {path for path in exposed if not path.startswith(PROVIDER_RESECRETS.get(kind, "\0"))}
    found += [f"{path} (secret in the plan, not in the engine's state)" for path in sorted(exposed)]
    return found


def plan_differences(plan: Declaration, export: dict[str, Any]) -> list[str]:
    """Every way the engine's registrations differ from the plan's (outputs aside)."""
    registered = {r["urn"]: r for r in resources(export) if not r.get("external")}
    # Resources the program reads (another stack's outputs through a StackReference): the engine
    # keeps them as external, the plan notes each read.
    read = {(r["type"], r["urn"].rsplit("::", 1)[-1]) for r in resources(export) if r.get("external")}
    stack_urn = next(r["urn"] for r in export["deployment"]["resources"] if r["type"] == "pulumi:pulumi:Stack")
    planned = {r.urn: r for r in plan.resources}
    problems = [f"{urn}: the engine registered it, the plan does not show it" for urn in registered.keys() - planned]
    problems += [
        f"{kind} {name}: the engine read it, the plan does not say so" for kind, name in read - set(plan.reads)
    ]
    problems += [f"{kind} {name}: the plan reads it, the engine did not" for kind, name in set(plan.reads) - read]
    problems += [f"{urn}: the plan shows it, the engine did not register it" for urn in planned.keys() - registered]
    for urn in sorted(planned.keys() & registered.keys()):
        want, got = planned[urn], registered[urn]
        parent = got.get("parent", "")
        facts = {
            "type": (want.type, got["type"]),
            "custom": (want.custom, got.get("custom", False)),
            "parent": (want.parent, "" if parent == stack_urn else parent),
            "protect": (want.protect, got.get("protect", False)),
            "retainOnDelete": (want.retain_on_delete, got.get("retainOnDelete", False)),
            "importID": (want.import_id, got.get("importID", "")),
        }
        problems += [
            f"{urn}: {name} is {b!r} in the engine, {a!r} in the plan" for name, (a, b) in facts.items() if a != b
        ]
        if want.custom:
            problems += [
                f"{urn}: input {path}"
                for path in input_differences(want.type, want.inputs, from_state(got.get("inputs") or {}))
            ]
    return problems


# -- the Kubernetes objects ---------------------------------------------------------------------


def _env(container: dict[str, Any]) -> list[dict[str, Any]]:
    """A container's environment, with what the API server defaults taken out."""
    env = json.loads(json.dumps(container.get("env") or []))
    for variable in env:
        if variable.get("value") == "":
            del variable["value"]  # the API server stores an empty value as none (omitempty)
        field_ref = (variable.get("valueFrom") or {}).get("fieldRef")
        if field_ref:
            field_ref.pop("apiVersion", None)
    return env


def _volumes(spec: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for volume in spec.get("volumes") or []:
        source = {key: value for key, value in volume.items() if key != "name"}
        for value in source.values():
            if isinstance(value, dict):
                value.pop("defaultMode", None)
        found[volume["name"]] = source
    return found


def check_kubernetes(kube: Kube, plan: Declaration) -> None:
    """The Namespace, the credentials Secret and the release's objects in the API server are what
    the plan declares and what the pod simulation (tests/harness/pod.py) renders from it."""
    from tests.harness.pod import render

    release = reveal(plan.one(RELEASE).inputs)
    namespace = release["namespace"]
    assert kube.get(f"/api/v1/namespaces/{namespace}") is not None, f"no namespace {namespace}"
    for registration in plan.of_type(SECRET_TYPE):
        declared = reveal(registration.inputs)
        name = declared["metadata"]["name"]
        secret = kube.get(f"/api/v1/namespaces/{namespace}/secrets/{name}")
        assert secret is not None, f"the credentials Secret {name} is not in the cluster"
        import base64

        stored = {key: base64.b64decode(value).decode() for key, value in (secret.get("data") or {}).items()}
        same = stored == declared.get("stringData")
        assert same, f"the Secret {name} in the cluster does not hold what the program declared (keys {sorted(stored)})"

    # The release keeps `skipAwait` off: Helm waited until its Pods ran on the cluster's node.
    assert_rolled_out(kube, namespace, release["name"])
    manifests = render(plan)
    for manifest in manifests:
        if manifest["kind"] not in ("Deployment", "ServiceAccount"):
            continue
        name = manifest["metadata"]["name"]
        group = "apis/apps/v1" if manifest["kind"] == "Deployment" else "api/v1"
        plural = "deployments" if manifest["kind"] == "Deployment" else "serviceaccounts"
        live = kube.get(f"/{group}/namespaces/{namespace}/{plural}/{name}")
        assert live is not None, f"the chart's {manifest['kind']} {name} is not in the cluster"
        if manifest["kind"] == "ServiceAccount":
            want = manifest["metadata"].get("annotations") or {}
            annotations = live["metadata"].get("annotations") or {}
            ours = {key: value for key, value in annotations.items() if not key.startswith("meta.helm.sh/")}
            assert ours == want, f"ServiceAccount {name}'s annotations"  # Helm adds its own meta.helm.sh ones
            continue
        rendered, served = manifest["spec"]["template"]["spec"], live["spec"]["template"]["spec"]
        assert served.get("serviceAccountName") == rendered.get("serviceAccountName"), name
        assert _volumes(served) == _volumes(rendered), f"Deployment {name}'s volumes"
        for want_container in rendered["containers"]:
            (got_container,) = [c for c in served["containers"] if c["name"] == want_container["name"]]
            served_env = {v["name"]: v for v in _env(got_container)}
            rendered_env = {v["name"]: v for v in _env(want_container)}
            differing = sorted(
                k for k in served_env.keys() | rendered_env.keys() if served_env.get(k) != rendered_env.get(k)
            )
            assert not differing, f"Deployment {name}, container {want_container['name']}: {differing} differ"
            assert got_container.get("volumeMounts") == want_container.get("volumeMounts"), name


def prepare_cluster(kube: Kube, plan: Declaration, config: dict[str, str]) -> None:
    """What an administrator makes beforehand: the namespace the stack does not create, and the
    Secret of keys an S3-compatible stack names (`credentialsSecret`)."""
    releases = plan.of_type(RELEASE)
    if not releases or plan.of_type(NAMESPACE_TYPE):
        return
    namespace = reveal(releases[0].inputs)["namespace"]
    if kube.get(f"/api/v1/namespaces/{namespace}") is None:
        kube.create_namespace(namespace)
    settings = json.loads(config.get("labelstudio:s3-compatible") or "{}")
    named = settings.get("credentialsSecret") if isinstance(settings, dict) else None
    if isinstance(named, dict):
        keys = {named.get("accessKeyIdKey", "accesskey"): "stand-in", named.get("secretAccessKeyKey", "secretkey"): "x"}
        kube.create_secret(namespace, named["name"], keys)


def namespaces_of(plan: Declaration) -> set[str]:
    return {reveal(r.inputs)["namespace"] for r in plan.of_type(RELEASE)}


def operations(log: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


# -- the suite ----------------------------------------------------------------------------------


def stack_id(path: Path) -> str:
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=stack_id)
def test_the_stack_under_the_real_engine(session: Session, kube: Kube, stack_file: Path, tmp_path: Path) -> None:
    log = tmp_path / "operations.jsonl"
    stack_file, referenced = other_stacks(stack_file, tmp_path / "rewritten")
    others = [provide_stack(session, tmp_path / "others", name, outputs) for name, outputs in referenced.items()]
    stack = new_stack(session.with_env(**{OPERATIONS_ENV: str(log)}), tmp_path, stack_file)
    plan = run_stack_file(stack.project_dir / f"Pulumi.{stack.name}.yaml")
    assert plan.error is None, plan.error
    started = time.monotonic()
    try:
        prepare_cluster(kube, plan, stack.stand_in_config)
        stack.init()
        preview = stack.preview()
        assert "label-studio-storage" in preview.stdout + preview.stderr, "the policy pack did not run"

        stack.up()
        export = stack.export()
        revealed = json.loads(stack.cli("stack", "export", "--show-secrets", "--stack", stack.name).stdout)
        problems = plan_differences(plan, revealed)
        assert not problems, "the plan differs from what the engine registered:\n" + "\n".join(problems)
        if plan.of_type(RELEASE):
            check_kubernetes(kube, plan)
        stack.preview("--expect-no-changes", policy=False)

        imported = {(r.type, r.name) for r in plan.imports}
        done = operations(log)
        assert {(o["type"], o["name"]) for o in done if o["op"] == "import"} == imported
        if imported:
            # Adoption: the engine imports what exists as it is, then hardens it: an update of the
            # resource itself (Cloud Storage, Azure) or hardening resources created on it (S3).
            updated = {(o["type"], o["name"]) for o in done if o["op"] == "update"}
            created = {(o["type"], o["name"]) for o in done if o["op"] == "create"}
            imported_urns = {r.urn for r in plan.imports}
            on_it = {(r.type, r.name) for r in plan.resources if imported_urns & set(r.dependencies)}
            assert imported & updated or on_it & created, "no adopted resource was hardened after its import"
        if plan.config.get("labelstudio:storage") == "existing":
            touched = {o["type"] for o in done if o["op"] in ("create", "update", "import", "delete")}
            assert not touched & STORAGE_TYPES, "an existing stack declared something on the storage"

        if stack.name in FULL:
            full_lifecycle(stack, kube, plan, export, log)
    finally:
        cleanup(stack, kube, plan)
        for other in others:
            other.remove()
        print(f"{stack.name}: {time.monotonic() - started:.0f}s; " + "; ".join(stack.log))


def full_lifecycle(stack: Stack, kube: Kube, plan: Declaration, export: dict[str, Any], log: Path) -> None:
    stack.refresh()
    stack.preview("--expect-no-changes", policy=False)

    outputs = stack.outputs(show_secrets=True)
    assert set(outputs) == set(plan.outputs), "the engine's stack outputs are not the plan's"
    if "envList" in plan.outputs:
        same = outputs["envList"] == reveal(plan.outputs["envList"])
        assert same, "envList from `pulumi stack output` is not the file the plan builds"
    plain_export = json.dumps(stack.export())
    # What the plan marks secret somewhere and shows nowhere in plain: a value it also shows in plain
    # (an Azure account's name, secret beside its key in the values, plain as the account) is no
    # credential.
    declared = [leaf for values in [*(r.inputs for r in plan.resources), plan.outputs] for leaf in leaves(values)]
    shown = {str(leaf.value) for leaf in declared if not leaf.secret}
    credentials = {
        leaf.value for leaf in declared if leaf.secret and isinstance(leaf.value, str) and len(leaf.value) >= 8
    } - shown
    leaked = [value for value in credentials if value in plain_export]
    assert not leaked, f"{len(leaked)} credential(s) in plain text in `pulumi stack export`"

    protected = [r for r in plan.resources if r.protect]
    if protected:
        refused = stack.destroy(check=False)
        text = refused.stdout + refused.stderr
        assert refused.returncode != 0, "pulumi destroy deleted a stack with protected resources"
        # The engine deletes what is not protected and stops at the first protected resource it
        # reaches (one that others depend on, such as an Azure account under its container, is
        # never reached): it names that one and how to unprotect it.
        named = [r.urn for r in protected if f'{r.urn}" cannot be deleted' in text]
        assert named, f"pulumi destroy named no protected resource:\n{text[-4000:]}"
        assert "pulumi state unprotect" in text, "pulumi destroy did not say how to unprotect"
        kept = {(r.type, r.name) for r in protected}
        lost = [o for o in operations(log) if o["op"] == "delete" and (o["type"], o["name"]) in kept]
        assert not lost, "a protected resource was deleted"
        stack.cli("state", "unprotect", "--all", "--yes", "--stack", stack.name)
    stack.destroy()
    done = operations(log)
    existed = {(o["type"], o["name"]) for o in done if o["op"] in ("create", "import")}
    deleted = {(o["type"], o["name"]) for o in done if o["op"] == "delete"}
    retained = {(r.type, r.name) for r in plan.resources if r.retain_on_delete}
    assert existed - deleted == retained & existed, "what destroy left in the cloud is not what is retained on delete"
    for namespace in namespaces_of(plan) if plan.of_type(NAMESPACE_TYPE) else ():
        assert kube.get(f"/api/v1/namespaces/{namespace}") is None, f"namespace {namespace} outlived destroy"
    assert not resources(stack.export()), "resources are left in the state after destroy"


def cleanup(stack: Stack, kube: Kube, plan: Declaration) -> None:
    """Leave the shared API server and backend as they were: the stack forgotten, its namespaces gone."""
    stack.remove()
    for namespace in namespaces_of(plan):
        kube.delete_namespace(namespace)


def test_a_stack_that_breaks_a_promise_fails_the_preview_with_the_packs_message(
    session: Session, tmp_path: Path
) -> None:
    source = tmp_path / "Pulumi.unprotected.yaml"
    text = (PROJECT_DIR / "examples" / "Pulumi.compose.yaml").read_text()
    source.write_text(text.rstrip() + "\n  labelstudio:protect: false\n")
    stack = new_stack(session, tmp_path / "copy", source)
    try:
        stack.init()
        result = stack.preview(check=False)
        assert result.returncode != 0, "the preview passed a stack whose bucket is not protected"
        assert "storage-protected" in result.stdout + result.stderr
        assert "labelstudio-bucket is not protected" in result.stdout + result.stderr
    finally:
        stack.remove()
