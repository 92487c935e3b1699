"""Existing Azure storage accounts, as the program uses or adopts one: the ids Pulumi imports the
account, its blob service and a container by, and what the plan says of an adopted account's SKU.
Pure; loads no cloud SDK.
"""

from __future__ import annotations

import re

_SUBSCRIPTION_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", re.ASCII)
# Azure's default for an account's Blob service is one setting only: its blob services are always `default`.
BLOB_SERVICE = "default"


def storage_account_id(subscription_id: str, resource_group: str, account: str) -> str:
    """The ARM id azure-native's StorageAccount is imported by."""
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.Storage/storageAccounts/{account}"
    )


def blob_service_id(subscription_id: str, resource_group: str, account: str) -> str:
    """The ARM id BlobServiceProperties is imported by: the account's one blob service, `default`."""
    return f"{storage_account_id(subscription_id, resource_group, account)}/blobServices/{BLOB_SERVICE}"


def blob_container_id(subscription_id: str, resource_group: str, account: str, container: str) -> str:
    """The ARM id BlobContainer is imported by."""
    return f"{blob_service_id(subscription_id, resource_group, account)}/containers/{container}"


def subscription_id_problem(subscription_id: str) -> str | None:
    """Why `subscription_id` cannot be the subscription part of an import id, or None."""
    if _SUBSCRIPTION_ID.fullmatch(subscription_id):
        return None
    return "is not an Azure subscription id (a GUID such as 00000000-0000-0000-0000-000000000000)"


def sku_note(sku: str | None, kind: str | None, wanted_sku: str, wanted_kind: str) -> str | None:
    """What the plan says when an adopted account is not the SKU and kind this project creates, or None.

    SKU and kind are adopted as they are: changing them replaces the account (deleting its data)
    or migrates it, neither of which adoption may do.
    """
    if (sku, kind) == (wanted_sku, wanted_kind):
        return None
    return (
        f"the adopted storage account is {sku} {kind}, kept as it is (this project creates {wanted_sku} "
        f"{wanted_kind}, which Label Studio's guide recommends: on Standard accounts it may be slow)"
    )
