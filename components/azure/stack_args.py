"""The stack's settings as AzureStorage's arguments (the Azure part of components/settings/component_args.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi

from components.azure.settings import AzureSettings
from components.facts import TrustedWorkloads
from components.settings.component_args import storage_mode_args
from components.settings.model import Settings

if TYPE_CHECKING:
    from components.azure.component import AzureStorageArgs


def storage_args(settings: Settings, workloads: TrustedWorkloads) -> AzureStorageArgs:
    azure: AzureSettings = settings.cloud_object
    azure_location = settings.provider_setting
    assert azure is not None and azure_location is not None
    args: AzureStorageArgs = {
        "container": settings.bucket,
        "location": azure_location,
        "cors_origins": list(settings.cors_origins),
        "folder": settings.folder,
        "retention_days": settings.retention_days,
        "protect": settings.protect,
        "allowed_ip_ranges": list(azure.allowed_ip_ranges),
        "allowed_subnet_ids": list(azure.allowed_subnet_ids),
        "trusted_workloads": workloads,
        **storage_mode_args(settings),  # type: ignore[typeddict-item]
    }
    if settings.storage == "adopt":
        # The provider's own setting: the subscription it works in is the one the import ids name.
        args["subscription_id"] = pulumi.Config("azure-native").get("subscriptionId") or ""
    if azure.resource_group:
        args["resource_group"] = azure.resource_group
    if azure.storage_account:
        args["storage_account"] = azure.storage_account
    return args
