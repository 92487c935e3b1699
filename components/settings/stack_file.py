"""Reading this stack's configuration from the Pulumi runtime into validated settings."""

from __future__ import annotations

import os
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from components import registry
from components.settings.model import NAMESPACE, Settings, SettingsError, cloud_settings, decode_config, load_settings


def provider_environment() -> dict[str, tuple[str, ...]]:
    """Where each registered cloud's provider looks when its stack setting is absent, by setting."""
    keys = (cloud_settings(cloud).provider_key for cloud in registry.BACKENDS)
    return {key.key: key.environment for key in keys if key}


PROVIDER_ENVIRONMENT = provider_environment()  # the shipped clouds', for tests that clear them


def _all_config() -> dict[str, Any]:
    """Every configuration value the engine passed in, keyed `namespace:key`."""
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def secret_keys() -> frozenset[str]:
    """Our keys (without the namespace) that the stack file holds as secrets."""
    prefix = f"{NAMESPACE}:"
    every = set(runtime_config.get_config_secret_keys_env())
    every |= {key for key in _all_config() if runtime_config.is_config_secret(key)}
    return frozenset(key[len(prefix) :] for key in every if key.startswith(prefix))


def read_settings() -> Settings:
    """This stack's settings; a configuration mistake stops the program with one plain message."""
    config = _all_config()
    prefix = f"{NAMESPACE}:"
    # `labelstudio:aws:region` keeps its namespace, so it is refused rather than read as `aws:region`.
    ours = {key: value for key, value in config.items() if key.startswith(prefix)}
    raw = decode_config({(key if ":" in key[len(prefix) :] else key[len(prefix) :]): v for key, v in ours.items()})
    for key, environment in provider_environment().items():
        value = config.get(key) or next((os.environ[name] for name in environment if os.environ.get(name)), None)
        if value is not None:
            raw[key] = value
    try:
        settings, warnings = load_settings(raw, secret_keys())
    except SettingsError as error:
        # The CLI prints a RunError as a plain message, without a Python traceback.
        raise pulumi.RunError(str(error)) from None
    for warning in warnings + foreign_provider_warnings(config, settings.cloud):
        pulumi.log.warn(warning)
    return settings


def foreign_provider_warnings(config: dict[str, Any], cloud: str) -> list[str]:
    """A warning for each setting of another cloud's provider (`gcp:project` on an AWS stack): the
    program never reads it, as it never reads `labelstudio:gcp` there (which is refused)."""
    namespaces = {
        key.key.split(":", 1)[0]: other
        for other in registry.BACKENDS
        if (key := cloud_settings(other).provider_key) and other != cloud
    }
    chosen = cloud_settings(cloud).provider_key
    namespaces.pop(chosen.key.split(":", 1)[0] if chosen else "", None)
    return [
        f"{key} is a setting of cloud {namespaces[key.split(':', 1)[0]]}'s provider, and this stack's cloud is "
        f"{cloud}: nothing reads it; remove it (`pulumi config rm {key}`)"
        for key in sorted(config)
        if key.split(":", 1)[0] in namespaces
    ]
