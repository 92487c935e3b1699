"""Shared test helpers: run the real program for stack settings given as Python values."""

from __future__ import annotations

import json
from typing import Any

from tools.mockrun import Declaration, declare

OIDC_ARN = (
    "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
)
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"


def aws_stack(**settings: Any) -> dict[str, Any]:
    """A valid AWS stack file's config, with `settings` (labelstudio keys) on top."""
    config: dict[str, Any] = {
        "aws:region": "eu-west-1",
        "labelstudio:cloud": "aws",
        "labelstudio:bucket": "acme-labels",
        "labelstudio:host": "https://label.example.com",
        "labelstudio:aws": {"oidcProviderArn": OIDC_ARN},
    }
    for key, value in settings.items():
        full = key if ":" in key else f"labelstudio:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value
    return config


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
