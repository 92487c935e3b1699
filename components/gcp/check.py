"""The `check` command's client for Cloud Storage: Label Studio's own kind of access to live storage.

tools/check.py drives it (deadline, steps, table); importing this module loads no cloud SDK.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from components.storage_check import DEFAULT_TIMEOUTS, StackOutputs, Timeouts


def reach(outputs: StackOutputs, keyed: bool, endpoint_url: str | None, timeouts: Timeouts) -> GcsCheck:
    """The bucket the outputs name, with exactly Label Studio's key file when it has one, else yours."""
    bucket = outputs.text("bucketName")
    if keyed:
        key = outputs.service_account_key()
        return GcsCheck(bucket, outputs.text("project"), key, endpoint_url, key.get("client_email"), timeouts)
    email = outputs.optional_text("serviceAccountEmail")
    return GcsCheck(bucket, outputs.text("project"), None, endpoint_url, email, timeouts)


def secrets_in(outputs: Mapping[str, Any]) -> list[str]:
    """The key file's private parts in these outputs, to keep out of everything printed; never raises."""
    try:
        key = json.loads(outputs.get("serviceAccountKeyJson") or "")
    except (TypeError, ValueError):
        return []
    if not isinstance(key, dict):
        return []
    return [str(key.get("private_key") or ""), str(key.get("private_key_id") or "")]


class GcsCheck:
    """Cloud Storage through google-cloud-storage, with Label Studio's key file or, keyless, yours."""

    upload_headers: Sequence[str] = ("content-type",)

    def __init__(
        self,
        bucket: str,
        project: str,
        key_info: Mapping[str, Any] | None,
        endpoint_url: str | None = None,
        service_account_email: str | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
    ):
        from google.cloud import storage  # type: ignore[attr-defined]
        from google.cloud.storage.retry import DEFAULT_RETRY

        options = {"api_endpoint": endpoint_url} if endpoint_url else None
        self.signer = None
        if key_info:
            from google.oauth2 import service_account

            self.signer = service_account.Credentials.from_service_account_info(dict(key_info))
        if endpoint_url:
            # An emulator has no IAM and no token service: calls go unauthenticated, and URLs
            # are still signed with the key, as Label Studio signs them.
            from google.auth.credentials import AnonymousCredentials

            self.client = storage.Client(project=project, credentials=AnonymousCredentials(), client_options=options)
        else:
            self.client = storage.Client(project=project, credentials=self.signer)
        self.endpoint_url = endpoint_url
        self.service_account_email = service_account_email
        self.bucket = self.client.bucket(bucket)
        self.description = f"gs://{bucket} in project {project}"
        self.timeouts = timeouts
        # The client's own retry keeps trying for two minutes; here a second attempt follows a
        # quick failure after one second, and none follows a slow one.
        retry = DEFAULT_RETRY.with_delay(initial=1.0, maximum=1.0, multiplier=1.0).with_timeout(1.5)
        self.calls = {"timeout": timeouts.pair, "retry": retry if timeouts.attempts > 1 else None}

    def put(self, key: str, body: bytes) -> None:
        self.bucket.blob(key).upload_from_string(body, content_type="text/plain", **self.calls)

    def get(self, key: str) -> bytes:
        return bytes(self.bucket.blob(key).download_as_bytes(**self.calls))

    def list(self, prefix: str) -> list[str]:
        return [blob.name for blob in self.client.list_blobs(self.bucket, prefix=prefix, **self.calls)]

    def delete(self, key: str) -> None:
        self.bucket.blob(key).delete(**self.calls)

    def signed_get_url(self, key: str) -> str:
        endpoint = self.endpoint_url or "https://storage.googleapis.com"
        blob = self.bucket.blob(key)
        if self.signer is None and self.service_account_email:
            # Workload Identity: no key anywhere; sign through IAM signBlob as Label Studio's
            # service account, the way Label Studio does (needs Token Creator on it for you too).
            import google.auth
            import google.auth.transport.requests

            caller, _ = google.auth.default()
            caller.refresh(google.auth.transport.requests.Request())
            signing = {"service_account_email": self.service_account_email, "access_token": caller.token}
        else:
            signing = {"credentials": self.signer}
        url = blob.generate_signed_url(
            version="v4", expiration=300, method="GET", api_access_endpoint=endpoint, **signing
        )
        return str(url)

    def object_url(self, key: str) -> str:
        endpoint = (self.endpoint_url or "https://storage.googleapis.com").rstrip("/")
        return f"{endpoint}/{self.bucket.name}/{quote(key)}"

    def hardening_warnings(self, cors_origins: Sequence[str] = ()) -> builtins.list[str]:
        """How the bucket differs from this project's hardening: public access prevention, uniform
        access, versioning and CORS. Reading the bucket's settings needs `storage.buckets.get`, which
        Label Studio's own grant (objects only) lacks: run `check` with your own credentials for it."""
        from components.gcp.hardening import hardening_differences

        self.bucket.reload(timeout=self.timeouts.pair)
        return hardening_differences(self.bucket._properties, cors_origins)
