"""Shared test helpers: run the real program for stack settings given as Python values."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from components.settings.stack_file import PROVIDER_ENVIRONMENT
from tools.mockrun import Declaration, Secret, declare

OIDC_ARN = (
    "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
)
GCP_PROJECT = "acme-ml-prod"
KMS_KEY_NAME = "projects/acme-keys/locations/eu/keyRings/storage/cryptoKeys/label-studio"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"


def stack(base: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """A stack file's config: `base`, with `settings` (labelstudio keys unless namespaced) on top;
    None removes a key."""
    config = dict(base)
    for key, value in settings.items():
        full = key if ":" in key else f"labelstudio:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value
    return config


def aws_stack(**settings: Any) -> dict[str, Any]:
    """A valid AWS stack file's config, with `settings` on top."""
    base = {
        "aws:region": "eu-west-1",
        "labelstudio:cloud": "aws",
        "labelstudio:bucket": "acme-labels",
        "labelstudio:host": "https://label.example.com",
        "labelstudio:aws": {"oidcProviderArn": OIDC_ARN},
    }
    return stack(base, settings)


def gcp_stack(**settings: Any) -> dict[str, Any]:
    """A valid Google Cloud stack file's config, with `settings` (labelstudio keys) on top; None removes a key."""
    base = {
        "gcp:project": GCP_PROJECT,
        "labelstudio:cloud": "gcp",
        "labelstudio:bucket": "acme-labels",
        "labelstudio:host": "https://label.example.com",
    }
    return stack(base, settings)


def azure_stack(**settings: Any) -> dict[str, Any]:
    """A valid Azure stack file's config, with `settings` (labelstudio keys) on top; None removes a key."""
    base = {
        "azure-native:location": "westeurope",
        "labelstudio:cloud": "azure",
        "labelstudio:bucket": "label-media",
        "labelstudio:host": "https://label.example.com",
    }
    return stack(base, settings)


S3_COMPATIBLE_KEYS = {"accessKeyId": {"secure": "v1:id"}, "secretAccessKey": {"secure": "v1:key"}}


def s3_compatible_stack(**settings: Any) -> dict[str, Any]:
    """A valid S3-compatible stack file's config (keys as secure values), with `settings` on top."""
    base = {
        "labelstudio:cloud": "s3-compatible",
        "labelstudio:bucket": "label-studio",
        "labelstudio:host": "https://label.example.com",
        "labelstudio:s3-compatible": {"endpointUrl": "https://minio.example.com", **S3_COMPATIBLE_KEYS},
    }
    return stack(base, settings)


@pytest.fixture(autouse=True)
def settings_only_from_the_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """The program falls back to the providers' environment variables (AWS_REGION...), as the
    providers do; tests take every setting from the stack file alone."""
    for names in PROVIDER_ENVIRONMENT.values():
        for name in names:
            monkeypatch.delenv(name, raising=False)


def exposed_strings(value: Any) -> Iterator[str]:
    """Every string that is not inside a secret."""
    if isinstance(value, Secret):
        return
    if isinstance(value, dict):
        for item in value.values():
            yield from exposed_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from exposed_strings(item)
    elif isinstance(value, str):
        yield value


def assert_no_plain_text(declaration: Declaration, secrets: Sequence[str]) -> None:
    """None of `secrets` appears outside a secret: in inputs, outputs or log messages."""
    everything = [r.inputs for r in declaration.resources] + [declaration.outputs]
    for text in [s for item in everything for s in exposed_strings(item)] + declaration.warnings:
        assert not any(secret in text for secret in secrets), text


def run(config: dict[str, Any], stack: str = "test") -> Declaration:
    declaration = declare(config, stack=stack)
    assert declaration.error is None, declaration.error
    return declaration


def problems_of(config: dict[str, Any]) -> str:
    declaration = declare(config)
    assert declaration.error is not None, "expected the settings to be refused"
    assert declaration.resources == [], "nothing may be declared from refused settings"
    return declaration.error


def json_input(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`-n 2 --dist loadgroup`, pyproject.toml) the engine suite runs on one
    worker, in order, sharing its one cluster and backend; every other module runs whole on one
    worker, so a module-scoped fixture (an emulator, Label Studio) starts once, as it does without
    xdist."""
    for item in items:
        group = "engine" if item.get_closest_marker("engine") else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
