"""The `check` command's client for Azure Blob Storage: Label Studio's own kind of access to live storage.

tools/check.py drives it (deadline, steps, table); importing this module loads no cloud SDK.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from components.label_studio import STORAGE_KEYS
from components.storage_check import DEFAULT_TIMEOUTS, StackOutputs, Timeouts, keys_in_env_list

# The key the keyed access mode writes into the `envList` output for Label Studio.
KEYED_ENV = (STORAGE_KEYS["azure"]["account_key"].env_name,)
ACCOUNT_NAME_ENV = STORAGE_KEYS["azure"]["account_name"].env_name


def secrets_in(outputs: Mapping[str, Any]) -> list[str]:
    """Label Studio's keys in these outputs, to keep out of everything printed; never raises."""
    return keys_in_env_list(outputs, KEYED_ENV)


def reach(outputs: StackOutputs, keyed: bool, endpoint_url: str | None, timeouts: Timeouts) -> AzureBlobCheck:
    """The container the outputs name, with Label Studio's account key (its only kind of access)."""
    env = outputs.label_studio_env(KEYED_ENV)
    account = env.get(ACCOUNT_NAME_ENV) or outputs.text("storageAccountName")
    endpoint = endpoint_url or outputs.text("blobEndpoint")
    return AzureBlobCheck(account, env[KEYED_ENV[0]].strip(), outputs.text("containerName"), endpoint, timeouts)


class AzureBlobCheck:
    """Label Studio reaches Azure Blob Storage only with the account key, so the check does too."""

    upload_headers: Sequence[str] = ("x-ms-blob-type", "content-type")

    def __init__(
        self, account: str, account_key: str, container: str, blob_endpoint: str, timeouts: Timeouts = DEFAULT_TIMEOUTS
    ):
        from azure.storage.blob import BlobServiceClient, LinearRetry

        self.account, self.account_key, self.container_name = account, account_key, container
        self.endpoint = blob_endpoint.rstrip("/")
        self.timeouts = timeouts
        service = BlobServiceClient(
            self.endpoint,
            credential={"account_name": account, "account_key": account_key},
            connection_timeout=timeouts.connect,
            read_timeout=timeouts.read,
            # The SDK's own retry waits 15 s and more between attempts; one retry after a second will do.
            retry_policy=LinearRetry(backoff=1, retry_total=timeouts.attempts - 1, random_jitter_range=0),
        )
        self.service = service
        self.container = service.get_container_client(container)
        self.description = f"{self.endpoint}/{container}"

    def put(self, key: str, body: bytes) -> None:
        from azure.storage.blob import ContentSettings

        self.container.upload_blob(
            key, body, overwrite=True, content_settings=ContentSettings(content_type="text/plain")
        )

    def get(self, key: str) -> bytes:
        return bytes(self.container.download_blob(key).readall())

    def list(self, prefix: str) -> list[str]:
        return [blob.name for blob in self.container.list_blobs(name_starts_with=prefix)]

    def delete(self, key: str) -> None:
        self.container.delete_blob(key)

    def signed_get_url(self, key: str) -> str:
        from datetime import datetime, timedelta, timezone

        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        expiry = datetime.now(timezone.utc) + timedelta(minutes=5)
        sas = generate_blob_sas(
            self.account,
            self.container_name,
            key,
            account_key=self.account_key,
            permission=BlobSasPermissions(read=True),
            expiry=expiry,
        )
        return f"{self.object_url(key)}?{sas}"

    def object_url(self, key: str) -> str:
        return f"{self.endpoint}/{self.container_name}/{quote(key)}"

    def hardening_warnings(self, cors_origins: Sequence[str] = ()) -> builtins.list[str]:
        """How the account differs from this project's hardening, as far as the account key shows it:
        blob soft delete and CORS (the blob service), public access (the container) and HTTPS (the
        endpoint). Versioning, TLS and the account-wide settings need the management plane: the
        plan and `pulumi up` of storage adopt set them."""
        from components.azure.hardening import blob_service_differences

        found = self.service.get_service_properties()
        retention, rules = found.get("delete_retention_policy"), found.get("cors") or []
        service = {
            "deleteRetentionPolicy": {"enabled": bool(retention and retention.enabled)},
            "cors": {"corsRules": [_cors_rule(rule) for rule in rules]},
        }
        warnings = blob_service_differences(service, cors_origins)
        if self.container.get_container_properties().public_access:
            warnings.insert(0, f"container {self.container_name} allows anonymous public read access")
        if not self.endpoint.startswith("https://"):
            warnings.append(f"the blob endpoint {self.endpoint} is plain HTTP")
        return warnings


def _cors_rule(rule: Any) -> dict[str, list[str]]:
    """A data-plane CorsRule (comma-separated text) in the management plane's form (lists)."""

    def split(text: str) -> list[str]:
        return [item.strip() for item in (text or "").split(",") if item.strip()]

    return {"allowedOrigins": split(rule.allowed_origins), "allowedMethods": split(rule.allowed_methods)}
