"""The component package (provider/) used from TypeScript and YAML under the real Pulumi engine.

The CLI gets the package's schema with `pulumi package get-schema` (the engine starts the package
from PulumiPlugin.yaml through Pulumi's Python host); pkg/v3's own generators make the TypeScript,
Python and Go SDKs from it; both TypeScript examples compile against the generated SDK with the
pinned TypeScript; and under Pulumi's Node.js and YAML hosts the examples preview and deploy with
the stand-in clouds, the real Kubernetes provider and API server. What the TypeScript example
registers under its components is what the Python program registers for the same settings, so a
change to a component's arguments that breaks another language fails here.

The hosts and the generator come from scripts/setup-engine-langs.sh; tests/engine/package_languages.py
says which version gaps its fixtures bridge and how.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.aws.component import aws_storage_problems
from tests.engine import package_languages as langs
from tests.engine.conftest import ROOT, Engine
from tests.engine.kube import Kube, assert_rolled_out
from tests.engine.lifecycle import Session, Stack, resources
from tests.engine.standin_provider import UNKNOWN
from tests.engine.test_lifecycle import (  # noqa: F401  (pytest fixtures, shared with the lifecycle tests)
    chart_repository,
    from_state,
    input_differences,
)
from tests.harness.provider_host import running_plugin
from tools.mockrun import declare, encode_config

pytestmark = pytest.mark.engine

TYPESCRIPT_EXAMPLES = ("typescript", "typescript-computed")
STACK = "dev"
GCP_STORAGE, RELEASE_COMPONENT = "labelstudio:gcp:Storage", "labelstudio:kubernetes:LabelStudio"
AWS_STORAGE = "labelstudio:aws:Storage"
# The Python program's settings that examples/typescript/index.ts spells out as arguments.
TYPESCRIPT_SETTINGS = {
    "gcp:project": "acme-ml",
    "labelstudio:cloud": "gcp",
    "labelstudio:bucket": "acme-label-studio-media",
    "labelstudio:access": "workload-identity",
    "labelstudio:host": "https://label.example.com",
    "labelstudio:corsOrigins": ["https://label.example.com"],
    "labelstudio:retentionDays": 90,
    "labelstudio:namespace": "label-studio",
    "labelstudio:release": "label-studio",
    "labelstudio:gcp": {"location": "EU"},
}


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def polyglot(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    folder = langs.langs_bin_dir()
    if folder is None:
        reason = f"the language hosts are not built: run {langs.LANGS_SETUP.relative_to(ROOT)}"
        if os.environ.get(langs.LANGS_ENV):
            pytest.fail(f"{langs.LANGS_ENV} lacks a binary: {reason}")
        pytest.skip(reason)
    polyglot = langs.polyglot_engine(engine, folder, tmp_path_factory.mktemp("pulumi-home"))
    langs.install_plugins(polyglot, tmp_path_factory.mktemp("plugin-launchers"))
    return polyglot


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The copy of the package the tests add to their programs (its provider/ folder)."""
    return langs.package_copy(tmp_path_factory.mktemp("package"))


@pytest.fixture(scope="module")
def cli_schema(polyglot: Engine, plugin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pulumi package get-schema .` in the package's folder: the engine installs it (the Python
    host, the plugins it declares) and starts it from PulumiPlugin.yaml."""
    done = polyglot.run(["package", "get-schema", "."], plugin, timeout=600)
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    path.write_text(done.stdout)
    return path


@pytest.fixture(scope="module")
def sdks(polyglot: Engine, cli_schema: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("sdks")
    generated = {}
    for language in ("nodejs", "python", "go"):
        done = langs.generate_sdk(polyglot, cli_schema, language, out / language)
        assert done.returncode == 0, f"{language}: {done.stdout}{done.stderr}"
        assert done.stderr.strip() == "", f"{language} SDK generation warned: {done.stderr}"
        generated[language] = out / language
    return generated


@pytest.fixture(scope="module")
def typescript_sdk(sdks: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated TypeScript SDK compiled once with the examples' TypeScript (as its own `build`
    script would), beside their node_modules so it compiles against the pinned @pulumi/pulumi."""
    for example in TYPESCRIPT_EXAMPLES:
        if not (langs.EXAMPLES / example / "node_modules" / "@pulumi" / "pulumi").is_dir():
            pytest.fail(f"examples/{example} has no node_modules: run scripts/setup-tests.sh (npm install there)")
    build = tmp_path_factory.mktemp("typescript-sdk")
    shutil.copytree(sdks["nodejs"], build / "labelstudio")
    (build / "node_modules").symlink_to(langs.EXAMPLES / "typescript" / "node_modules")
    built = langs.tsc(build, "-p", "labelstudio")
    assert built.returncode == 0, f"the generated SDK does not compile:\n{built.stdout}{built.stderr}"
    return build / "labelstudio"


@pytest.fixture(scope="module")
def go_sdk(sdks: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated Go SDK made a module as `pulumi package add` makes it, built once (the Go host
    builds the example against it, with these packages in Go's build cache by then)."""
    module = langs.go_module(shutil.copytree(sdks["go"], tmp_path_factory.mktemp("go-sdk") / "labelstudio"))
    built = langs.go_build(module)
    assert built.returncode == 0, f"the generated Go SDK does not build:\n{built.stdout}{built.stderr}"
    return module


@pytest.fixture(scope="module")
def session(polyglot: Engine, kube_cluster: Any, chart_repository: Any, tmp_path_factory: Any) -> Session:  # noqa: F811
    """The lifecycle suite's API server and chart repository, the polyglot engine's environment."""
    backend = tmp_path_factory.mktemp("backend")
    return Session(polyglot.env, backend, kube_cluster.kubeconfig, chart_repository.environment())


# -- the schema and the SDKs ----------------------------------------------------------------------


def test_get_schema_with_the_real_cli_is_the_schema_the_tests_assert(cli_schema):
    with running_plugin() as served:
        assert json.loads(cli_schema.read_text()) == served.schema()


def test_the_sdks_generate_with_computed_inputs_typed_as_inputs(sdks):
    package = json.loads((sdks["nodejs"] / "package.json").read_text())
    assert package["name"] == "@pulumi/labelstudio"
    assert package["pulumi"] == {"resource": True, "name": "labelstudio", "version": "0.1.0"}
    storage = (sdks["nodejs"] / "aws" / "storage.ts").read_text()
    for computed in ("bucket: pulumi.Input<string>;", "region: pulumi.Input<string>;"):
        assert computed in storage
    assert "access: string;" in storage, "what decides which resources exist stays plain"
    python = sdks["python"] / "pulumi_labelstudio"
    assert (python / "aws" / "storage.py").is_file() and (python / "kubernetes" / "label_studio.py").is_file()
    compiled = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "compileall", "-q", str(python)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    go_files = sorted((sdks["go"]).rglob("*.go"))
    assert any(path.name == "storage.go" for path in go_files)
    unformatted = subprocess.run(["gofmt", "-l", *map(str, go_files)], capture_output=True, text=True, check=False)
    assert unformatted.returncode == 0 and unformatted.stdout == "", unformatted.stdout + unformatted.stderr


def test_the_go_sdk_builds_and_the_go_example_builds_against_it(go_sdk, plugin, tmp_path):
    built = langs.go_build(langs.go_copy(tmp_path / "go", go_sdk, plugin))
    assert built.returncode == 0, f"examples/go does not build:\n{built.stdout}{built.stderr}"


@pytest.mark.parametrize("example", TYPESCRIPT_EXAMPLES)
def test_the_typescript_examples_compile_against_the_generated_sdk(typescript_sdk, plugin, tmp_path, example):
    project = langs.typescript_copy(example, tmp_path / example, typescript_sdk, plugin)
    done = langs.tsc(project, "--noEmit", "-p", ".")
    assert done.returncode == 0, done.stdout + done.stderr


# -- under the engine -----------------------------------------------------------------------------


def registered_under(export: dict[str, Any], component_type: str) -> tuple[str, dict[tuple[str, str], Any]]:
    """The component of `component_type` in a stack export, and what it registered beneath it:
    (type, name) -> inputs, as the plan records values."""
    everything = resources(export)
    (component,) = [r for r in everything if r["type"] == component_type]
    return component["urn"], {
        (r["type"], r["urn"].rsplit("::", 1)[-1]): from_state(r.get("inputs") or {})
        for r in langs.descendants(everything, component["urn"])
    }


def planned_under(component_type: str, config: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """What the Python program declares beneath its component of `component_type`, in a stack of
    the same name (tags and descriptions name the stack)."""
    program = declare(config, stack=STACK)
    assert program.error is None, program.error
    component = program.one(component_type)
    children, parents = {}, {component.urn}
    for registration in program.resources:  # registered parents first
        if registration.parent in parents:
            parents.add(registration.urn)
            children[(registration.type, registration.name)] = registration.inputs
    return children


def differences(
    language: str, registered: dict[tuple[str, str], Any], planned: dict[tuple[str, str], Any]
) -> list[str]:
    """How what a program in `language` registered beneath a component differs from the Python
    program's (type, name, inputs), as the lifecycle suite compares the engine with the plan."""
    assert registered, f"the {language} program registered nothing beneath the component"
    problems = [f"{key}: only {language} registered it" for key in sorted(registered.keys() - planned.keys())]
    problems += [f"{key}: only Python registered it" for key in sorted(planned.keys() - registered.keys())]
    for key in sorted(planned.keys() & registered.keys()):
        problems += [f"{key}: input {path}" for path in input_differences(key[0], planned[key], registered[key])]
    return problems


def typescript_stack(example: str, sdk: Path, plugin: Path, session: Session, target: Path) -> Stack:
    project = langs.typescript_copy(example, target / example, sdk, plugin)
    config, _ = encode_config(TYPESCRIPT_SETTINGS, "labelstudio")
    return Stack(session, project, STACK, stand_in_config=config)


def known_as_planned(previewed: Any, planned: Any) -> Any:
    """A preview's inputs with each value the engine does not know yet (an output of a resource not
    created yet: the unknown sentinel) taken from the plan; everything known stays as previewed."""
    if previewed == UNKNOWN:
        return planned
    if isinstance(previewed, dict) and isinstance(planned, dict):
        return {key: known_as_planned(value, planned.get(key)) for key, value in previewed.items()}
    if isinstance(previewed, list) and isinstance(planned, list) and len(previewed) == len(planned):
        return [known_as_planned(a, b) for a, b in zip(previewed, planned, strict=True)]
    return previewed


def planned_steps(preview: str) -> dict[str, dict[str, Any]]:
    """`pulumi preview --json`'s steps: URN -> the state the engine would register."""
    return {step["urn"]: step.get("newState") or {} for step in json.loads(preview).get("steps", [])}


def preview_then_deploy(
    stack: Stack, cluster: Kube, language: str, storage: str, settings: dict[str, Any]
) -> dict[str, Any]:
    """`pulumi preview --json`, then `pulumi up`: beneath the storage component and Label Studio's
    release, the same resources with the same inputs as the Python program registers for
    `settings` (in the preview where it knows them: an input made of an output not created yet is
    compared after `up`); the chart's Deployments available, as Helm's real wait required (the test
    cluster's node runs their Pods: tests/engine/cluster.py); a second preview changes nothing.
    Returns the stack's outputs; the stack is destroyed at the end, pass or fail, so the next one
    can install the release."""
    try:
        previewed = planned_steps(stack.preview("--json", policy=False).stdout)
        preview_export = {"deployment": {"resources": [{"urn": urn, **state} for urn, state in previewed.items()]}}
        problems = []
        for component in (storage, RELEASE_COMPONENT):
            _, registered = registered_under(preview_export, component)
            planned = planned_under(component, settings)
            known = {key: known_as_planned(inputs, planned.get(key)) for key, inputs in registered.items()}
            problems += differences(language, known, planned)
        assert problems == [], "\n".join(problems)

        stack.up()
        export = stack.export()
        for component in (storage, RELEASE_COMPONENT):
            registered = registered_under(export, component)[1]
            problems += differences(language, registered, planned_under(component, settings))
        assert problems == [], "\n".join(problems)
        assert_rolled_out(cluster, settings["labelstudio:namespace"], settings["labelstudio:release"])
        stack.preview("--expect-no-changes", policy=False)
        return stack.outputs()
    finally:
        stack.cli("state", "unprotect", "--all", "--yes", "--stack", stack.name, check=False)
        stack.destroy(check=False)


def test_the_typescript_example_previews_and_deploys_what_the_python_program_does(
    typescript_sdk,
    plugin,
    session,
    kube,
    tmp_path,
):
    """examples/typescript under the Node.js host, the engine starting the package from
    PulumiPlugin.yaml (see preview_then_deploy)."""
    stack = typescript_stack("typescript", typescript_sdk, plugin, session, tmp_path)
    stack.init()
    stack.cli("config", "set", "project", TYPESCRIPT_SETTINGS["gcp:project"], "--stack", stack.name)
    outputs = preview_then_deploy(stack, kube, "TypeScript", GCP_STORAGE, TYPESCRIPT_SETTINGS)
    assert outputs["bucketName"] == "acme-label-studio-media"


# examples/typescript-computed: the OIDC provider it creates is in the stand-in account, the bucket
# named after that account; these are the Python program's settings holding the values resolved.
COMPUTED_ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
COMPUTED_ACCOUNT = "123456789012"
COMPUTED_SETTINGS = {
    "aws:region": "eu-west-1",
    "labelstudio:cloud": "aws",
    "labelstudio:bucket": f"acme-label-studio-{COMPUTED_ACCOUNT}",
    "labelstudio:access": "irsa",
    "labelstudio:host": "https://label.example.com",
    "labelstudio:corsOrigins": ["https://label.example.com"],
    "labelstudio:aws": {"oidcProviderArn": f"arn:aws:iam::{COMPUTED_ACCOUNT}:oidc-provider/{COMPUTED_ISSUER}"},
}


def computed_example_stack(polyglot: Engine, typescript_sdk: Path, plugin: Path, tmp_path: Path) -> Stack:
    """A stack of examples/typescript-computed, on a backend of its own, with the stand-ins knowing
    the settings COMPUTED_SETTINGS gives the Python program."""
    session = Session(polyglot.env, tmp_path / "backend", tmp_path / "no-cluster")
    session.backend.mkdir()
    project = langs.typescript_copy("typescript-computed", tmp_path / "typescript-computed", typescript_sdk, plugin)
    config, _ = encode_config(COMPUTED_SETTINGS, "labelstudio")
    stack = Stack(session, project, STACK, stand_in_config=config)
    stack.init()
    return stack


def test_the_typescript_example_with_computed_inputs_deploys_what_the_python_program_does(
    polyglot, typescript_sdk, plugin, tmp_path
):
    """examples/typescript-computed under the engine: the bucket's name and the role's OIDC provider
    come from a resource the program creates, so the component gets them as outputs; once they
    resolve it registers what the Python program registers given the same values plain."""
    stack = computed_example_stack(polyglot, typescript_sdk, plugin, tmp_path)
    stack.preview(policy=False)
    stack.up()
    _, registered = registered_under(stack.export(), AWS_STORAGE)
    planned = planned_under(AWS_STORAGE, COMPUTED_SETTINGS)
    problems = differences("TypeScript", registered, planned)
    assert problems == [], "\n".join(problems)
    assert stack.outputs()["bucketName"] == COMPUTED_SETTINGS["labelstudio:bucket"]
    stack.preview("--expect-no-changes", policy=False)


# examples/yaml and examples/go (the same program): its storage as the Python program's settings say it.
YAML_OIDC_ARN = f"arn:aws:iam::{COMPUTED_ACCOUNT}:oidc-provider/{COMPUTED_ISSUER}"
YAML_SETTINGS = {
    "aws:region": "eu-west-1",
    "labelstudio:cloud": "aws",
    "labelstudio:bucket": "acme-label-studio-media",
    "labelstudio:access": "irsa",
    "labelstudio:folder": "label-studio",
    "labelstudio:retentionDays": 30,
    "labelstudio:host": "https://label.example.com",
    "labelstudio:corsOrigins": ["https://label.example.com"],
    "labelstudio:namespace": "label-studio",
    "labelstudio:release": "label-studio",
    "labelstudio:aws": {"oidcProviderArn": YAML_OIDC_ARN},
}


def aws_example_stack(session: Session, project: Path) -> Stack:
    config, _ = encode_config(YAML_SETTINGS, "labelstudio")
    stack = Stack(session, project, STACK, stand_in_config=config)
    stack.init()
    stack.cli("config", "set", "oidcProviderArn", YAML_OIDC_ARN, "--stack", STACK)
    return stack


def test_the_yaml_example_previews_and_deploys_what_the_python_program_does(
    plugin,
    session,
    kube,
    tmp_path,
):
    """examples/yaml under Pulumi's YAML host: the host reads the package's schema from the
    plugin, the engine constructs both components (see preview_then_deploy)."""
    stack = aws_example_stack(session, langs.yaml_copy(tmp_path / "yaml", plugin))
    outputs = preview_then_deploy(stack, kube, "YAML", AWS_STORAGE, YAML_SETTINGS)
    assert outputs["bucketName"] == "acme-label-studio-media"


def test_the_go_example_previews_and_deploys_what_the_python_program_does(go_sdk, plugin, session, kube, tmp_path):
    """examples/go under Pulumi's Go host, which builds the program against the generated SDK; it
    declares what examples/yaml does (see preview_then_deploy)."""
    stack = aws_example_stack(session.with_env(**langs.GO_ENV), langs.go_copy(tmp_path / "go", go_sdk, plugin))
    outputs = preview_then_deploy(stack, kube, "Go", AWS_STORAGE, YAML_SETTINGS)
    assert outputs["bucketName"] == "acme-label-studio-media"


def test_a_computed_bucket_name_refused_once_known_fails_up_with_the_message_a_plain_one_gets(
    polyglot, typescript_sdk, plugin, tmp_path
):
    """examples/typescript-computed with a prefix that makes its computed bucket name invalid. The
    preview cannot judge a name made of an ARN the cloud has not assigned yet, so it passes; `pulumi
    up` fails once the ARN is known, with the sentence the component gives that name plain, once,
    and creates nothing under the component."""
    stack = computed_example_stack(polyglot, typescript_sdk, plugin, tmp_path)
    stack.cli("config", "set", "bucketPrefix", "Acme_Label_Studio", "--stack", stack.name)
    bad = f"Acme_Label_Studio-{COMPUTED_ACCOUNT}"
    (sentence,) = [
        problem.sentence for problem in aws_storage_problems({"bucket": bad}) if problem.argument == "bucket"
    ]
    assert sentence.startswith(f"bucket {bad!r} is not a valid S3 bucket name"), sentence

    previewed = stack.preview(policy=False)
    assert bad not in previewed.stdout + previewed.stderr, "judged before the name was known"
    failed = stack.up(check=False)
    shown = failed.stdout + failed.stderr
    assert failed.returncode != 0, shown
    assert f"property bucket with value {json.dumps(bad)} has a problem: {sentence}" in shown, shown
    assert "Traceback" not in shown and "never retrieved" not in shown, shown
    created = stack.export()["deployment"].get("resources", [])
    under_storage = [r["urn"] for r in created if AWS_STORAGE in r.get("parent", "")]
    assert under_storage == [], "every child of this storage is made from its (refused) arguments"
