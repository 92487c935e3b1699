"""What `python -m tools.move_uploads` prints: the Job is Label Studio's app container, taken from the
Deployment the real chart renders for what the program declares, plus the old claim read-only and the
mover; the Compose command runs Label Studio's service. And the chart fact that makes the docs' first
step necessary: the release with persistence renders no volume claim, so Helm would delete the old one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import yaml

from tests.conftest import OIDC_ARN, aws_stack, gcp_stack, run
from tests.harness.pod import RELEASE_TYPE, chart_dir, render
from tools import move_uploads
from tools.mockrun import PROJECT_DIR, reveal

MOVER_SOURCE = move_uploads.MOVER.read_text()


def app_deployment(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = [m for m in manifests if m["kind"] == "Deployment" and m["metadata"]["name"].endswith("-ls-app")]
    return deployment


def rendered(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    declaration = run(config)
    return app_deployment(render(declaration)), reveal(declaration.one(RELEASE_TYPE).inputs)


@pytest.fixture(scope="module")
def irsa() -> tuple[dict[str, Any], dict[str, Any]]:
    return rendered(aws_stack(access="irsa", aws={"oidcProviderArn": OIDC_ARN}, folder="media/label-studio"))


@pytest.fixture(scope="module")
def gcs_key() -> tuple[dict[str, Any], dict[str, Any]]:
    return rendered(gcp_stack(access="key", credentials="secret", folder="media/label-studio"))


def container(job: dict[str, Any]) -> dict[str, Any]:
    (only,) = job["spec"]["template"]["spec"]["containers"]
    return dict(only)


def app_of(deployment: dict[str, Any]) -> dict[str, Any]:
    (app,) = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "app"]
    return dict(app)


@pytest.mark.parametrize("fixture", ["irsa", "gcs_key"])
def test_the_job_runs_as_label_studio_with_its_image_identity_and_environment(fixture, request):
    deployment, release = request.getfixturevalue(fixture)
    config_map, job = move_uploads.job_manifests(deployment, MOVER_SOURCE)
    pod, app, mover = job["spec"]["template"]["spec"], app_of(deployment), container(job)
    template = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == template["serviceAccountName"] == f"{release['name']}-ls-app"
    assert mover["image"] == app["image"]
    assert mover["env"] == app["env"], "exactly Label Studio's environment, Secret references and all"
    assert pod.get("securityContext") == template.get("securityContext")
    assert pod["restartPolicy"] == "Never" and job["spec"]["backoffLimit"] == 0
    assert job["metadata"].get("namespace") == deployment["metadata"].get("namespace")
    assert config_map["data"] == {"uploads_mover.py": MOVER_SOURCE}
    # Every volume of the app container comes along, the old claim read-only, the mover from the ConfigMap.
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert volumes["old-data"] == {
        "name": "old-data",
        "persistentVolumeClaim": {"claimName": f"{release['name']}-ls-pvc", "readOnly": True},
    }
    assert volumes["uploads-mover"]["configMap"]["name"] == config_map["metadata"]["name"]
    mounts = {mount["mountPath"]: mount for mount in mover["volumeMounts"]}
    assert mounts["/old-data"]["readOnly"] is True and mounts["/opt/uploads-mover"]["readOnly"] is True
    for mount in app.get("volumeMounts", []):
        assert mounts[mount["mountPath"]] == mount
        assert volumes[mount["name"]] == next(v for v in template["volumes"] if v["name"] == mount["name"])
    assert mover["command"] == ["python3", "/opt/uploads-mover/uploads_mover.py", "/old-data/media"]


def test_the_gcs_key_file_is_mounted_where_label_studio_reads_it(gcs_key):
    deployment, _ = gcs_key
    _, job = move_uploads.job_manifests(deployment, MOVER_SOURCE)
    mover = container(job)
    path = next(e["value"] for e in mover["env"] if e["name"] == "GOOGLE_APPLICATION_CREDENTIALS")
    (mount,) = [m for m in mover["volumeMounts"] if path.startswith(m["mountPath"].rstrip("/") + "/")]
    (volume,) = [v for v in job["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"]]
    assert "secret" in volume


def test_a_dry_run_job_and_a_claim_by_name(irsa):
    deployment, _ = irsa
    _, job = move_uploads.job_manifests(deployment, MOVER_SOURCE, claim="old-label-studio", dry_run=True)
    assert job["metadata"]["name"].endswith("-move-uploads-dry-run")
    assert container(job)["command"][-1] == "--dry-run"
    (old,) = [v for v in job["spec"]["template"]["spec"]["volumes"] if v["name"] == "old-data"]
    assert old["persistentVolumeClaim"] == {"claimName": "old-label-studio", "readOnly": True}


def volume_release(declared: dict[str, Any]) -> list[dict[str, Any]]:
    """The chart rendered as Label Studio ran before: files on the chart's own volume."""
    import helm_python as helm

    values = json.loads(json.dumps(declared["values"]))
    values["global"]["persistence"] = {"enabled": True, "type": "volume"}
    with helm.Chart.load(str(chart_dir(declared["version"]))) as chart:
        texts = chart.render(values, name=declared["name"], namespace=declared["namespace"])
    documents = [d for path, text in texts.items() if path.endswith(".yaml") for d in yaml.safe_load_all(text)]
    return [d for d in documents if isinstance(d, dict) and "kind" in d]


def test_the_release_with_persistence_drops_the_old_claim_so_helm_would_delete_it(irsa):
    """Why docs/operations.md has the claim annotated `helm.sh/resource-policy: keep` first: the chart
    makes the claim only for `volume` persistence, so the upgrade to cloud storage removes it."""
    _, declared = irsa
    before = volume_release(declared)
    claims = [m["metadata"]["name"] for m in before if m["kind"] == "PersistentVolumeClaim"]
    assert claims == [f"{declared['name']}-ls-pvc"]
    assert "annotations" not in next(m for m in before if m["kind"] == "PersistentVolumeClaim")["metadata"]
    assert [m for m in render_of(declared) if m["kind"] == "PersistentVolumeClaim"] == []
    operations = (PROJECT_DIR / "docs" / "operations.md").read_text()
    assert "kubectl -n <namespace> annotate pvc <release>-ls-pvc helm.sh/resource-policy=keep" in operations
    # The Job refuses the Deployment that still runs on the volume.
    with pytest.raises(move_uploads.Refused, match="still mounts the volume claim"):
        move_uploads.job_manifests(app_deployment(before), MOVER_SOURCE)


def render_of(declared: dict[str, Any]) -> list[dict[str, Any]]:
    import helm_python as helm

    with helm.Chart.load(str(chart_dir(declared["version"]))) as chart:
        texts = chart.render(declared["values"], name=declared["name"], namespace=declared["namespace"])
    documents = [d for path, text in texts.items() if path.endswith(".yaml") for d in yaml.safe_load_all(text)]
    return [d for d in documents if isinstance(d, dict) and "kind" in d]


@pytest.mark.parametrize(
    ("deployment", "message"),
    [
        ({"kind": "Service"}, "expected a Deployment"),
        (
            {"kind": "Deployment", "metadata": {"name": "x"}, "spec": {"template": {"spec": {"containers": []}}}},
            "has no container named 'app'",
        ),
        (
            {
                "kind": "Deployment",
                "metadata": {"name": "x"},
                "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "i", "env": []}]}}},
            },
            "has no cloud storage configured",
        ),
        (
            {
                "kind": "Deployment",
                "metadata": {"name": "x"},
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [
                                {"name": "app", "image": "i", "env": [{"name": "STORAGE_TYPE", "value": "s3"}]}
                            ]
                        }
                    }
                },
            },
            "pass --claim",
        ),
    ],
)
def test_what_cannot_give_a_correct_job_is_refused(deployment, message):
    with pytest.raises(move_uploads.Refused, match=message):
        move_uploads.job_manifests(deployment, MOVER_SOURCE)


def test_the_command_prints_yaml_kubectl_applies_and_refuses_with_exit_2(irsa, tmp_path):
    deployment, _ = irsa
    (tmp_path / "deployment.json").write_text(json.dumps(deployment))
    command = [
        sys.executable,
        "-m",
        "tools.move_uploads",
        "kubernetes",
        "--deployment",
        str(tmp_path / "deployment.json"),
    ]
    printed = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=True).stdout
    assert [d["kind"] for d in yaml.safe_load_all(printed)] == ["ConfigMap", "Job"]
    (tmp_path / "deployment.json").write_text("not json")
    refused = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True)
    assert refused.returncode == 2 and "is not JSON" in refused.stderr and refused.stdout == ""


@pytest.mark.parametrize(
    ("service", "data", "dry_run", "tail"),
    [
        (
            "app",
            "./mydata",
            True,
            "-v ./mydata:/old-data:ro app /opt/uploads-mover/uploads_mover.py /old-data/media --dry-run",
        ),
        (
            "label-studio",
            "ls_data",
            False,
            "-v ls_data:/old-data:ro label-studio /opt/uploads-mover/uploads_mover.py /old-data/media",
        ),
    ],
)
def test_the_compose_command_runs_label_studios_service_with_the_data_read_only(service, data, dry_run, tail):
    printed = move_uploads.compose_command(service, data, move_uploads.MOVER, dry_run)
    head = "docker compose run --rm --no-deps -T --entrypoint python3 "
    head += "-e LABEL_STUDIO_BASE_DATA_DIR=/tmp/uploads-mover-data "
    assert printed == f"{head}-v {move_uploads.MOVER.resolve()}:/opt/uploads-mover/uploads_mover.py:ro {tail}"
