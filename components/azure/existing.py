"""Existing Azure storage accounts: the ids Pulumi imports the account, its blob service and a container
by, and how an account differs from the hardening AzureStorage gives one it creates. Pure; loads no cloud SDK.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from components.cors import cors_differences

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


def account_hardening_differences(account: Mapping[str, Any]) -> list[str]:
    """How an account (azure-native getStorageAccount's result) differs from what AzureStorage declares.

    Only the fields present are judged: the check command, which holds only the account key,
    sees none of these management-plane settings.
    """
    differences = []
    if account.get("allowBlobPublicAccess") is True:
        differences.append("public blob access is allowed: a container could be made public")
    if account.get("enableHttpsTrafficOnly") is False:
        differences.append("plain HTTP is accepted: keys and SAS links can travel unencrypted")
    tls = account.get("minimumTlsVersion")
    if tls is not None and tls not in ("TLS1_2", "TLS1_3"):
        differences.append(f"the minimum TLS version is {tls}, not TLS1_2")
    return differences


def blob_service_differences(service: Mapping[str, Any], cors_origins: Sequence[str]) -> list[str]:
    """How the blob service's soft delete, versioning and CORS differ from what AzureStorage declares.

    Takes the management plane's names (BlobServiceProperties); a field absent is not judged,
    except CORS, where absent rules are no rules.
    """
    differences = []
    retention = service.get("deleteRetentionPolicy")
    if retention is not None and not retention.get("enabled"):
        differences.append("blob soft delete is off: a deleted blob cannot be recovered")
    if service.get("isVersioningEnabled") is False:
        differences.append("blob versioning is off: an overwritten blob cannot be recovered")
    rules = (service.get("cors") or {}).get("corsRules") or []
    differences += cors_differences(
        ((rule.get("allowedOrigins") or [], rule.get("allowedMethods") or []) for rule in rules), cors_origins
    )
    return differences


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
