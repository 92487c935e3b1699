"""The engine binaries scripts/setup-engine.sh builds work together: the CLI is the pinned release,
the language host runs a Python program from the project's virtualenv under a local file backend,
and the Kubernetes provider creates, and deletes, a ConfigMap in a real kube-apiserver whose
controller manager finishes deletions."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.engine.cluster import Cluster
from tests.engine.conftest import ROOT, Engine, pinned


def project(folder: Path, name: str, program: str) -> Path:
    """A Pulumi project in `folder` whose program runs in this clone's .venv."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text(
        f"name: {name}\nruntime:\n  name: python\n  options:\n    virtualenv: {ROOT / '.venv'}\n"
    )
    (folder / "__main__.py").write_text(textwrap.dedent(program))
    return folder


def outputs(engine: Engine, folder: Path, backend: str) -> dict[str, object]:
    done = engine.run(["stack", "output", "--json", "--show-secrets"], folder, {"PULUMI_BACKEND_URL": backend})
    return dict(json.loads(done.stdout))


def test_cli_is_the_pinned_release(engine: Engine) -> None:
    done = engine.run(["version"], ROOT)
    assert done.stdout.strip() == pinned("pulumi", "github.com/pulumi/pulumi/pkg/v3")


def test_python_program_runs_under_a_file_backend(engine: Engine, pulumi_backend: str, tmp_path: Path) -> None:
    folder = project(
        tmp_path / "hello",
        "engine-hello",
        """\
        import sys

        import pulumi

        pulumi.export("greeting", f"hello from {pulumi.get_stack()}")
        pulumi.export("prefix", sys.prefix)
        """,
    )
    engine.run(["login", pulumi_backend], folder)
    engine.run(["stack", "init", "dev"], folder)
    preview = engine.run(["preview", "--non-interactive"], folder)
    assert "+ 1 to create" in preview.stdout, preview.stdout
    engine.run(["up", "--yes", "--non-interactive"], folder)
    exported = outputs(engine, folder, pulumi_backend)
    assert exported["greeting"] == "hello from dev"
    # The program ran in the virtualenv Pulumi.yaml names, not in whatever Python is on PATH.
    assert Path(str(exported["prefix"])).resolve() == (ROOT / ".venv").resolve()
    state = list(Path(pulumi_backend.removeprefix("file://")).rglob("dev.json"))
    assert state, "the file backend holds no state for the stack"


def test_api_server_answers(kube_cluster: Cluster) -> None:
    status, version = kube_cluster.request("/version")
    assert status == 200
    assert isinstance(version, dict)
    assert version["gitVersion"] == pinned("kube-apiserver", "k8s.io/kubernetes")
    status, _ = kube_cluster.request("/api/v1/namespaces/default")
    assert status == 200


def test_controllers_do_what_the_api_server_only_records(kube_cluster: Cluster) -> None:
    """kube-controller-manager runs: a new namespace gets its `default` ServiceAccount and CA
    ConfigMap, and a deleted namespace is emptied and removed (Terminating forever without it)."""
    import time

    name = "engine-controllers"
    status, body = kube_cluster.request(
        "/api/v1/namespaces", "POST", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    assert status == 201, body
    status, body = kube_cluster.request(
        f"/api/v1/namespaces/{name}/configmaps",
        "POST",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept"}, "data": {"a": "b"}},
    )
    assert status == 201, body

    def eventually(path: str, want: int) -> int:
        deadline = time.monotonic() + 60
        while (found := kube_cluster.request(path)[0]) != want and time.monotonic() < deadline:
            time.sleep(0.5)
        return found

    assert eventually(f"/api/v1/namespaces/{name}/serviceaccounts/default", 200) == 200
    assert eventually(f"/api/v1/namespaces/{name}/configmaps/kube-root-ca.crt", 200) == 200
    status, body = kube_cluster.request(f"/api/v1/namespaces/{name}", "DELETE")
    assert status == 200, body
    assert eventually(f"/api/v1/namespaces/{name}", 404) == 404, "the deleted namespace is still there"


def test_a_deployment_rolls_out_on_the_simulated_node_and_its_pods_go_with_it(kube_cluster: Cluster) -> None:
    """The controllers make a Deployment's Pods, the scheduler places them on kwok's node, kwok
    reports them Running and Ready: the Deployment becomes available, as Helm's wait requires.
    Deleted, its Pods are removed as a kubelet would remove them (or a namespace never empties)."""
    import time

    path = "/apis/apps/v1/namespaces/default/deployments"
    labels = {"app": "engine-rollout"}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "engine-rollout"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx", "resources": {"requests": {"cpu": "1"}}}]},
            },
        },
    }
    status, body = kube_cluster.request(path, "POST", deployment)
    assert status == 201, body

    def until(done: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + 60
        while not done() and time.monotonic() < deadline:
            time.sleep(0.5)
        return done()

    def available() -> int:
        found = kube_cluster.request(f"{path}/engine-rollout")[1]
        return int(found.get("status", {}).get("availableReplicas") or 0) if isinstance(found, dict) else 0

    def pods() -> list[dict[str, Any]]:
        found = kube_cluster.request("/api/v1/namespaces/default/pods?labelSelector=app%3Dengine-rollout")[1]
        return list(found.get("items") or []) if isinstance(found, dict) else []

    assert until(lambda: available() == 2), f"not available: {[p.get('status') for p in pods()]}"
    assert {p["spec"].get("nodeName") for p in pods()} == {"kwok-node"}
    status, body = kube_cluster.request(f"{path}/engine-rollout?propagationPolicy=Foreground", "DELETE")
    assert status == 200, body
    assert until(lambda: not pods()), f"Pods outlived their Deployment: {[p['metadata']['name'] for p in pods()]}"


def test_kubernetes_provider_creates_and_deletes_a_config_map(
    engine: Engine, kube_cluster: Cluster, pulumi_backend: str, tmp_path: Path
) -> None:
    folder = project(
        tmp_path / "configmap",
        "engine-configmap",
        """\
        import pulumi
        import pulumi_kubernetes as k8s

        settings = k8s.core.v1.ConfigMap(
            "settings",
            metadata={
                "name": "engine-settings",
                # The provider deletes with foreground propagation: the cluster's garbage collector
                # lifts the finalizer that destroy then waits on.
                "namespace": "default",
            },
            data={"bucket": "acme-labels"},
        )
        pulumi.export("name", settings.metadata["name"])
        """,
    )
    env = {"PULUMI_BACKEND_URL": pulumi_backend, **kube_cluster.env()}
    engine.run(["stack", "init", "dev"], folder, env)
    engine.run(["up", "--yes", "--non-interactive"], folder, env)
    assert outputs(engine, folder, pulumi_backend)["name"] == "engine-settings"

    status, body = kube_cluster.request("/api/v1/namespaces/default/configmaps/engine-settings")
    assert status == 200, body
    assert isinstance(body, dict)
    assert body["data"] == {"bucket": "acme-labels"}

    engine.run(["destroy", "--yes", "--non-interactive"], folder, env)
    status, _ = kube_cluster.request("/api/v1/namespaces/default/configmaps/engine-settings")
    assert status == 404
