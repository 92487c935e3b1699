"""What Label Studio gets from a planned stack, as a reader of Label Studio's guide looks for it:
the env.list lines (Docker Compose) or the app container's storage environment and mounts
(Kubernetes), every secret value replaced by a marker naming what it is. Pure: plain data in
(the declaration's outputs and Helm values, secrets still wrapped), lines of text out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from contextlib import suppress
from typing import Any

from components.label_studio import (
    CHART_GCS_KEY_DIR,
    COMPOSE_KEY_PATH,
    STORAGE_KEYS,
    StorageKey,
)
from tools.mockrun import Secret, reveal

# What each credential is, for its marker.
WHAT = {
    "access_key_id": "access key id",
    "secret_access_key": "secret access key",
    "credentials_json": "service-account key file (JSON)",
    "account_name": "storage account name",
    "account_key": "storage account key",
}
# How a cloud's keyless access reaches the pod, by the service-account annotation that grants it.
KEYLESS = {
    "eks.amazonaws.com/role-arn": "the EKS webhook gives the pod AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE",
    "iam.gke.io/gcp-service-account": "GKE's metadata server gives the pod this account's tokens",
}


def marker(name: str) -> str:
    return f"[secret: {WHAT.get(name, name.replace('_', ' '))}]"


def secret_texts(
    config: Mapping[str, str], secret_keys: Iterable[str], marked: Mapping[str, set[str]] | None = None
) -> list[str]:
    """Every text inside the stack's secure settings (decoded), longest first. `marked` names, for an
    object setting whose model says which of its keys are secrets, those keys: the object is secure
    because of them, and its other keys (an endpoint) are shown."""
    found: list[str] = []
    for key in secret_keys:
        value: Any = config.get(key, "")
        with suppress(ValueError):
            value = json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value
        only = (marked or {}).get(key.split(":", 1)[-1])
        if only and isinstance(value, dict):
            value = [item for name, item in value.items() if name in only]
        pending = [value]
        while pending:
            item = pending.pop()
            if isinstance(item, dict):
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, str) and len(item) >= 4:
                found.append(item)
    return sorted(set(found), key=len, reverse=True)


def _keys_by_env() -> dict[str, tuple[str, StorageKey]]:
    return {key.env_name: (name, key) for keys in STORAGE_KEYS.values() for name, key in keys.items()}


def compose_lines(outputs: Mapping[str, Any], secrets: list[str]) -> list[str]:
    """env.list as `pulumi stack output envList --show-secrets` writes it, secrets as markers."""
    text = reveal(outputs.get("envList"))
    if not isinstance(text, str):
        return []
    by_env = _keys_by_env()
    lines = ["env.list (`pulumi stack output envList --show-secrets > env.list`; Compose: env_file: env.list)"]
    for line in text.splitlines():
        name, _, value = line.partition("=")
        credential = by_env.get(name)
        if credential and credential[1].secret_key and credential[1].confidential and value != COMPOSE_KEY_PATH:
            value = marker(credential[0])
        elif any(secret in value for secret in secrets):
            value = "[secret: from a secure setting]"
        lines.append(f"  {name}={value}")
    if "serviceAccountKeyJson" in outputs:
        lines += [
            "key file: `pulumi stack output serviceAccountKeyJson --show-secrets > key.json` "
            + marker("credentials_json"),
            f"  env.list names it at {COMPOSE_KEY_PATH}; mount it there, read-only, in the app service:",
            "    volumes:",
            f"      - ./key.json:{COMPOSE_KEY_PATH}:ro",
        ]
    return lines


def kubernetes_lines(values: Mapping[str, Any], release: str, secrets: list[str]) -> list[str]:
    """The app container's storage environment and key mounts, as chart 2.0.5 renders these values."""
    persistence = (values.get("global") or {}).get("persistence") or {}
    storage_type = persistence.get("type")
    storage_type = str(storage_type)
    block = ((persistence.get("config") or {}).get(storage_type)) or {}
    lines = [f"the app container of release {release} (chart values as above)"]
    if storage_type in STORAGE_KEYS:
        lines.append(f"  STORAGE_TYPE={storage_type}")
    for name, key in STORAGE_KEYS.get(storage_type, {}).items():
        in_secret = block.get(f"{key.chart_key}ExistingSecret")
        secret_key = block.get(f"{key.chart_key}ExistingSecretKey")
        value = block.get(key.chart_key)
        if name == "credentials_json" and (in_secret or value is not None):
            file = secret_key if in_secret else "key.json"
            source = f"Secret {in_secret}, key {secret_key}" if in_secret else "the chart's own Secret, from the values"
            lines.append(
                f"  {key.env_name}={CHART_GCS_KEY_DIR}/{file}  ({source} {marker(name)}, "
                f"mounted read-only at {CHART_GCS_KEY_DIR})"
            )
        elif in_secret:
            lines.append(f"  {key.env_name}: from Secret {in_secret}, key {secret_key}")
        elif value is not None:
            shown = (
                marker(name)
                if isinstance(value, Secret) or (key.secret_key and key.confidential)
                else _shown(value, secrets)
            )
            inline = " (inline in the values; the chart's own Secret)" if key.secret_key else ""
            lines.append(f"  {key.env_name}={shown}{inline}")
    extra = (values.get("global") or {}).get("extraEnvironmentVars") or {}
    for name in sorted(extra):
        lines.append(f"  {name}={_shown(extra[name], secrets)}  (global.extraEnvironmentVars)")
    for component in ("app", "rqworker"):
        account = (values.get(component) or {}).get("serviceAccount") or {}
        for annotation, value in sorted((account.get("annotations") or {}).items()):
            how = KEYLESS.get(annotation, "")
            lines.append(
                f"  service account {account.get('name')} ({component}): {annotation}: {_shown(value, secrets)}"
                + (f"; {how}" if how else "")
            )
    if "rqworker" not in values and storage_type in STORAGE_KEYS:
        lines.append(
            "  no rqworker service account or access: the chart runs rqworker only in Label Studio Enterprise "
            "(labelstudio:enterprise true)"
        )
    return lines


def _shown(value: Any, secrets: list[str]) -> str:
    if isinstance(value, Secret):
        return "[secret]"
    text = str(reveal(value))
    return "[secret: from a secure setting]" if any(secret in text for secret in secrets) else text
