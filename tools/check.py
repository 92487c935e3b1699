"""Prove a deployed stack's storage works the way Label Studio uses it.

    pulumi stack output --json --show-secrets > outputs.json
    .venv/bin/python -m tools.check --outputs outputs.json      # or: --stack dev

With the stack's outputs it puts, gets, lists and deletes an object under the folder, fetches
it through a signed GET URL, and sends browser-style CORS requests from each allowed origin
and from one that must be refused. Where the access mode hands out keys (the `envList` output)
it uses exactly those; otherwise (IRSA, Pod Identity, Workload Identity) it uses your own
credentials and says so. It prints a pass/fail table, exits 1 on any failure, and deletes its
test object even when a step fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import requests

REFUSED_ORIGIN = "https://storage-check.invalid"
TIMEOUT = 20


@dataclass
class Step:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Report:
    target: str
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    def run(self, name: str, action: Callable[[], str | bool | None]) -> bool:
        """Record one step. It passes when it returns None or True; a string is why it failed."""
        try:
            result = action()
        except Exception as error:
            self.steps.append(Step(name, False, _one_line(error)))
            return False
        ok = result is None or result is True
        self.steps.append(Step(name, ok, result if isinstance(result, str) else ""))
        return ok

    def table(self) -> str:
        width = max([len(step.name) for step in self.steps] + [5])
        lines = [f"Storage check: {self.target}", ""]
        lines += [f"  {'check'.ljust(width)}  result  detail", f"  {'-' * width}  ------  ------"]
        for step in self.steps:
            lines.append(f"  {step.name.ljust(width)}  {'PASS' if step.ok else 'FAIL':<6}  {step.detail}".rstrip())
        lines += [""] + [f"Note: {note}" for note in self.notes]
        passed = sum(step.ok for step in self.steps)
        lines.append(f"{passed} of {len(self.steps)} checks passed" + ("" if self.ok else "; storage is NOT ready"))
        return "\n".join(lines) + "\n"


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


class Storage(Protocol):
    """What the check needs from one cloud's storage, through Label Studio's own kind of access."""

    description: str
    upload_headers: Sequence[str]  # request headers a browser names in an upload preflight

    def put(self, key: str, body: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def list(self, prefix: str) -> list[str]: ...
    def delete(self, key: str) -> None: ...
    def signed_get_url(self, key: str) -> str: ...
    def object_url(self, key: str) -> str: ...


def parse_env_list(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return {name.strip(): value for name, value in pairs}


# -- the clouds --------------------------------------------------------------------------------------


class S3Storage:
    upload_headers: Sequence[str] = ("content-type",)

    def __init__(self, bucket: str, region: str, env: Mapping[str, str], endpoint_url: str | None = None):
        import boto3
        from botocore.config import Config

        self.bucket, self.region, self.endpoint_url = bucket, region, endpoint_url
        keys = {}
        if env.get("STORAGE_AWS_ACCESS_KEY_ID"):
            keys = {
                "aws_access_key_id": env["STORAGE_AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": env["STORAGE_AWS_SECRET_ACCESS_KEY"],
            }
        addressing = "path" if endpoint_url else "virtual"
        config = Config(signature_version="s3v4", s3={"addressing_style": addressing}, retries={"max_attempts": 2})
        self.client = boto3.client("s3", region_name=region, endpoint_url=endpoint_url, config=config, **keys)
        self.description = f"s3://{bucket} in {region}"

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="text/plain")

    def get(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def list(self, prefix: str) -> list[str]:
        response = self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for item in response.get("Contents", [])]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def signed_get_url(self, key: str) -> str:
        return str(
            self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=300)
        )

    def object_url(self, key: str) -> str:
        if self.endpoint_url:
            return f"{self.endpoint_url.rstrip('/')}/{self.bucket}/{quote(key)}"
        return f"https://{self.bucket}.s3.{self.region}.amazonaws.com/{quote(key)}"


class GcsStorage:
    upload_headers: Sequence[str] = ("content-type",)

    def __init__(
        self,
        bucket: str,
        project: str,
        key_json: str | None,
        endpoint_url: str | None = None,
        service_account_email: str | None = None,
    ):
        from google.cloud import storage  # type: ignore[attr-defined]

        options = {"api_endpoint": endpoint_url} if endpoint_url else None
        self.signer = None
        if key_json:
            from google.oauth2 import service_account

            self.signer = service_account.Credentials.from_service_account_info(json.loads(key_json))
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

    def put(self, key: str, body: bytes) -> None:
        self.bucket.blob(key).upload_from_string(body, content_type="text/plain")

    def get(self, key: str) -> bytes:
        return bytes(self.bucket.blob(key).download_as_bytes())

    def list(self, prefix: str) -> list[str]:
        return [blob.name for blob in self.client.list_blobs(self.bucket, prefix=prefix)]

    def delete(self, key: str) -> None:
        self.bucket.blob(key).delete()

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


class AzureStorage:
    upload_headers: Sequence[str] = ("x-ms-blob-type", "content-type")

    def __init__(self, account: str, account_key: str | None, container: str, blob_endpoint: str):
        from azure.storage.blob import BlobServiceClient

        self.account, self.account_key, self.container_name = account, account_key, container
        self.endpoint = blob_endpoint.rstrip("/")
        if account_key:
            service = BlobServiceClient(self.endpoint, credential={"account_name": account, "account_key": account_key})
        else:
            from azure.identity import DefaultAzureCredential  # type: ignore[import-not-found]

            service = BlobServiceClient(self.endpoint, credential=DefaultAzureCredential())
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

        if not self.account_key:
            raise RuntimeError("a SAS URL needs the account key, which these outputs do not hold")
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


def storage_from_outputs(outputs: Mapping[str, Any], endpoint_url: str | None = None) -> tuple[Storage, list[str]]:
    """The storage the outputs describe, reached with Label Studio's keys where it has keys."""
    cloud = outputs.get("cloud")
    env = parse_env_list(outputs.get("envList") or "")
    access = outputs.get("access", "")
    notes: list[str] = []
    if not env:
        notes.append(
            f"access is {access}: Label Studio's pods get their own identity, so this check used YOUR "
            "credentials; it proves the bucket, CORS and signed URLs, not the pods' identity"
        )
    if cloud == "aws":
        return S3Storage(outputs["bucketName"], outputs["region"], env, endpoint_url), notes
    if cloud == "gcp":
        key_json, email = outputs.get("serviceAccountKeyJson"), outputs.get("serviceAccountEmail")
        return GcsStorage(outputs["bucketName"], outputs["project"], key_json, endpoint_url, email), notes
    if cloud == "azure":
        endpoint = endpoint_url or outputs["blobEndpoint"]
        account = env.get("STORAGE_AZURE_ACCOUNT_NAME") or outputs["storageAccountName"]
        key = env.get("STORAGE_AZURE_ACCOUNT_KEY")
        return AzureStorage(account, key, outputs["containerName"], endpoint), notes
    raise ValueError(f"the outputs name no known cloud (cloud={cloud!r}); are they this project's stack outputs?")


# -- the checks --------------------------------------------------------------------------------------


def _cors_allows(response: requests.Response, origin: str) -> bool:
    return response.status_code in (200, 204) and response.headers.get("Access-Control-Allow-Origin") in (origin, "*")


def check(storage: Storage, folder: str, origins: Sequence[str], refused_origin: str = REFUSED_ORIGIN) -> Report:
    report = Report(storage.description)
    token = uuid.uuid4().hex[:12]
    prefix = f"{folder}/" if folder else ""
    key = f"{prefix}.label-studio-storage-check-{token}.txt"
    body = f"label-studio-storage check {token}\n".encode()
    try:
        put = report.run(f"put {key}", lambda: storage.put(key, body))
        report.run("get it back", lambda: storage.get(key) == body or "content differs")
        report.run(
            f"list {folder or '(bucket root)'}",
            lambda: key in storage.list(prefix) or "not listed",
        )

        def signed_get() -> str | bool:
            answer = requests.get(storage.signed_get_url(key), timeout=TIMEOUT)
            return (answer.status_code == 200 and answer.content == body) or f"HTTP {answer.status_code}"

        report.run("signed GET URL", signed_get)
        # A browser preflights an upload to a key that does not exist yet.
        upload_key = key.replace("-check-", "-check-upload-")
        for origin in origins:
            report.run(f"CORS upload preflight from {origin}", partial(_preflight, storage, upload_key, origin))
            if put:
                report.run(f"CORS GET from {origin}", partial(_cors_get, storage, key, origin))
        report.run(f"CORS refuses {refused_origin}", lambda: _refused(storage, upload_key, refused_origin))
    finally:
        report.run("delete the test object", lambda: storage.delete(key))
        report.run("it is gone", lambda: key not in storage.list(prefix) or "still listed")
    return report


def _preflight_response(storage: Storage, key: str, origin: str) -> requests.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": ",".join(storage.upload_headers),
    }
    return requests.options(storage.object_url(key), headers=headers, timeout=TIMEOUT)


def _preflight(storage: Storage, key: str, origin: str) -> str | bool:
    answer = _preflight_response(storage, key, origin)
    return (
        _cors_allows(answer, origin)
        or f"HTTP {answer.status_code}, allowed origin {answer.headers.get('Access-Control-Allow-Origin')!r}"
    )


def _cors_get(storage: Storage, key: str, origin: str) -> str | bool:
    answer = requests.get(storage.signed_get_url(key), headers={"Origin": origin}, timeout=TIMEOUT)
    allowed = answer.headers.get("Access-Control-Allow-Origin") in (origin, "*")
    return (
        answer.status_code == 200 and allowed
    ) or f"HTTP {answer.status_code}, allowed origin {answer.headers.get('Access-Control-Allow-Origin')!r}"


def _refused(storage: Storage, key: str, origin: str) -> str | bool:
    answer = _preflight_response(storage, key, origin)
    return not _cors_allows(answer, origin) or "a foreign origin was allowed to upload"


# -- command line ------------------------------------------------------------------------------------


def read_outputs(path: str | None, stack: str | None) -> dict[str, Any]:
    if path == "-":
        return dict(json.load(sys.stdin))
    if path:
        return dict(json.loads(Path(path).read_text()))
    command = ["pulumi", "stack", "output", "--json", "--show-secrets"] + (["--stack", stack] if stack else [])
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=True)
    except FileNotFoundError:
        raise SystemExit("the Pulumi CLI is not installed; pass the outputs with --outputs <file>") from None
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"`{' '.join(command)}` failed: {error.stderr.strip()}") from None
    return dict(json.loads(result.stdout))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.check", description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--outputs", help="JSON file of `pulumi stack output --json --show-secrets` ('-' for stdin)")
    source.add_argument("--stack", help="read the outputs of this stack with the Pulumi CLI")
    parser.add_argument("--endpoint-url", help="talk to this storage endpoint instead of the cloud's (an emulator)")
    parser.add_argument("--refused-origin", default=REFUSED_ORIGIN, help="an origin the CORS rules must refuse")
    args = parser.parse_args(argv)
    outputs = read_outputs(args.outputs, args.stack)
    try:
        storage, notes = storage_from_outputs(outputs, args.endpoint_url)
    except (KeyError, ValueError) as error:
        print(f"cannot check: the outputs lack {error}", file=sys.stderr)
        return 2
    report = check(storage, outputs.get("folder") or "", list(outputs.get("corsOrigins") or []), args.refused_origin)
    report.notes += notes
    sys.stdout.write(report.table())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
