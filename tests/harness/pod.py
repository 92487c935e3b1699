"""The Label Studio pod, simulated: the real chart rendered offline with the declared Helm values.

The app container's environment is taken from the rendered Deployment: plain values as they are,
every `secretKeyRef` resolved from the Secrets that exist in the namespace (the one the program
declares, the ones the chart renders itself, and any an administrator made beforehand), and every
Secret volume written to disk where the container mounts it. Nothing here knows a storage variable
by name: what the chart and the program produce is what Label Studio gets.

The chart comes from LABEL_STUDIO_CHART_DIR, or from `shared/charts/label-studio-<version>` in the
nearest folder above the project (where CI lays it), or, with LABEL_STUDIO_CHART_DOWNLOAD=1, from
the chart repository the program installs from.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.mockrun import PROJECT_DIR, Declaration, reveal

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
SECRET_TYPE = "kubernetes:core/v1:Secret"
APP_CONTAINER = "app"


def shared_folder(relative: str, holding: str = "") -> Path | None:
    """`shared/<relative>` in the nearest folder above the project that has it (holding the file
    `holding`, if named): where CI lays the chart and the image's files beside the clone."""
    for folder in PROJECT_DIR.resolve().parents:
        candidate = folder / "shared" / relative
        if (candidate / holding).exists() if holding else candidate.is_dir():
            return candidate
    return None


def chart_dir(version: str) -> Path:
    """Where the chart's source is; fails with the way to get it."""
    configured = os.environ.get("LABEL_STUDIO_CHART_DIR")
    if configured:
        return Path(configured)
    found = shared_folder(f"charts/label-studio-{version}", "Chart.yaml")
    if found is not None:
        return found
    if os.environ.get("LABEL_STUDIO_CHART_DOWNLOAD") == "1":
        import helm_python as helm

        from components.label_studio import CHART_NAME, CHART_REPOSITORY

        cache = PROJECT_DIR / ".e2e" / "charts"
        target = cache / CHART_NAME
        if not (target / "Chart.yaml").exists():
            cache.mkdir(parents=True, exist_ok=True)
            helm.pull(CHART_NAME, repo_url=CHART_REPOSITORY, version=version, destination=str(cache), untar=True)
        return target
    pytest.fail(
        f"the Label Studio chart {version} was not found: set LABEL_STUDIO_CHART_DIR to its source, lay it at "
        f"../shared/charts/label-studio-{version}, or set LABEL_STUDIO_CHART_DOWNLOAD=1 where its repository "
        "is reachable",
        pytrace=False,
    )


def render(declaration: Declaration) -> list[dict[str, Any]]:
    """Every manifest the chart renders for the declared release, as the cluster would get it."""
    import helm_python as helm

    release = reveal(declaration.one(RELEASE_TYPE).inputs)
    with helm.Chart.load(str(chart_dir(release["version"]))) as chart:
        assert chart.version == release["version"], "the chart found is not the version the program installs"
        rendered = chart.render(release["values"], name=release["name"], namespace=release["namespace"])
    documents = [doc for path, text in rendered.items() if path.endswith(".yaml") for doc in yaml.safe_load_all(text)]
    return [doc for doc in documents if isinstance(doc, dict) and "kind" in doc]


def secrets_in_namespace(
    declaration: Declaration,
    manifests: list[dict[str, Any]],
    replacements: Mapping[str, str],
    existing: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, dict[str, str]]:
    """Secret name -> its data as text: the ones made beforehand by hand (`existing`), the program's
    (with emulator-issued credentials in place of the stand-ins) and the chart's own."""
    secrets: dict[str, dict[str, str]] = {name: dict(data) for name, data in (existing or {}).items()}
    for registration in declaration.of_type(SECRET_TYPE):
        secret = reveal(registration.inputs)
        data = {key: replacements.get(value, value) for key, value in secret.get("stringData", {}).items()}
        secrets[secret["metadata"]["name"]] = data
    for manifest in manifests:
        if manifest.get("kind") == "Secret":
            data = {key: base64.b64decode(value).decode() for key, value in (manifest.get("data") or {}).items()}
            data.update(manifest.get("stringData") or {})
            secrets[manifest["metadata"]["name"]] = {key: replacements.get(value, value) for key, value in data.items()}
    return secrets


@dataclass
class Pod:
    environment: dict[str, str]
    service_account: str
    namespace: str
    service_account_annotations: dict[str, str]


def app_pod(
    declaration: Declaration,
    root: Path,
    replacements: Mapping[str, str] | None = None,
    existing_secrets: Mapping[str, Mapping[str, str]] | None = None,
    existing_config_maps: Mapping[str, Mapping[str, str]] | None = None,
) -> Pod:
    """The app container as the kubelet would start it, with its Secret and ConfigMap volumes written
    under `root`. `existing_secrets`, `existing_config_maps`: what an administrator created in the
    namespace before the release (name -> data).

    Paths in the environment that point into a mounted volume are moved under `root` too: the
    process runs on this machine, not in the image's file system.
    """
    replacements = replacements or {}
    manifests = render(declaration)
    secrets = secrets_in_namespace(declaration, manifests, replacements, existing_secrets)
    held = {value for data in secrets.values() for value in data.values()}
    unused = set(replacements.values()) - held
    assert not unused, "a stand-in credential to replace is in no Secret: the pod would not get the emulator's"
    (deployment,) = [m for m in manifests if m["kind"] == "Deployment" and m["metadata"]["name"].endswith("-ls-app")]
    spec = deployment["spec"]["template"]["spec"]
    (container,) = [c for c in spec["containers"] if c["name"] == APP_CONTAINER]

    mounts: dict[str, Path] = {}
    volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        source: Mapping[str, str] | None
        if "secret" in volume:
            kind, source = volume["secret"], secrets.get(volume["secret"]["secretName"])
        elif "configMap" in volume:
            kind, source = volume["configMap"], (existing_config_maps or {}).get(volume["configMap"]["name"])
        else:
            continue
        assert source is not None, (
            f"volume {mount['name']} refers to {kind}, which nobody creates: the pod would not start"
        )
        target = root / mount["mountPath"].lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        items = kind.get("items") or [{"key": key, "path": key} for key in source]
        for item in items:
            (target / item["path"]).write_text(source[item["key"]])
        mounts[mount["mountPath"]] = target

    environment: dict[str, str] = {}
    for variable in container.get("env", []):
        if "value" in variable:
            value = str(variable["value"])
        else:
            reference = variable["valueFrom"]["secretKeyRef"]
            secret = secrets.get(reference["name"])
            assert secret is not None, f"{variable['name']} refers to Secret {reference['name']}, which nobody creates"
            assert reference["key"] in secret, (
                f"{variable['name']} refers to a key {reference['key']} not in its Secret"
            )
            value = secret[reference["key"]]
        for mount_path, target in mounts.items():
            if value.startswith(mount_path.rstrip("/") + "/"):
                value = str(target) + value[len(mount_path.rstrip("/")) :]
        environment[variable["name"]] = value
    (account,) = [
        m for m in manifests if m["kind"] == "ServiceAccount" and m["metadata"]["name"] == spec["serviceAccountName"]
    ]
    return Pod(
        environment=environment,
        service_account=spec["serviceAccountName"],
        namespace=deployment["metadata"].get("namespace") or reveal(declaration.one(RELEASE_TYPE).inputs)["namespace"],
        service_account_annotations=dict(account["metadata"].get("annotations") or {}),
    )
