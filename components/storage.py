"""Which component builds the storage for each cloud; only the chosen cloud's SDK is imported."""

from __future__ import annotations

import importlib
from typing import Protocol

import pulumi

from components.facts import StorageFacts
from components.settings import Settings

COMPONENTS = {
    "aws": ("components.aws", "AwsStorage"),
    "gcp": ("components.gcp", "GcpStorage"),
    "azure": ("components.azure", "AzureStorage"),
}


class Storage(Protocol):
    facts: StorageFacts


def create_storage(name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> Storage:
    module_name, class_name = COMPONENTS[settings.cloud]
    component = getattr(importlib.import_module(module_name), class_name)
    storage: Storage = component(name, settings, opts=opts)
    return storage
