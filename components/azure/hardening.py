"""How an existing Azure storage account and its blob service differ from the hardening AzureStorage
gives one it creates: the `check` command's report on storage the stack uses or adopts. Pure;
loads no cloud SDK, and `pulumi up` does not import it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.cors import cors_differences


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
