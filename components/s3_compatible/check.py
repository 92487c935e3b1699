"""The `check` command's client for an S3-compatible server: S3's client, at the stack's endpoint.

tools/check.py drives it (deadline, steps, table); importing this module loads no cloud SDK.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from components.aws.check import KEYED_ENV, S3Check, _encryption, _versioning
from components.aws.check import secrets_in as s3_secrets_in
from components.storage_check import StackOutputs, Timeouts


def secrets_in(outputs: Mapping[str, Any]) -> list[str]:
    """Label Studio's keys in these outputs (env.list, as on S3), to keep out of everything printed."""
    return s3_secrets_in(outputs)


def reach(outputs: StackOutputs, keyed: bool, endpoint_url: str | None, timeouts: Timeouts) -> S3CompatibleCheck:
    """The bucket at the stack's endpoint (or `endpoint_url`), with exactly Label Studio's keys when
    the stack holds them; when they live in a Kubernetes Secret, with the keys in your environment."""
    endpoint = endpoint_url or outputs.text("endpointUrl")
    secret = outputs.optional_text("credentialsSecret")
    notes: list[str] = []
    keys = None
    if secret:
        notes.append(
            f"Label Studio's keys are in the Kubernetes Secret {secret}, which the stack never reads: this check "
            "used the keys in YOUR environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); export the "
            "Secret's keys to prove Label Studio's user"
        )
    else:
        env = outputs.label_studio_env(KEYED_ENV)
        keys = (env[KEYED_ENV[0]].strip(), env[KEYED_ENV[1]].strip())
    notes += trust_authority(outputs.optional_text("caCertificate"))
    return S3CompatibleCheck(outputs.text("bucketName"), outputs.text("region"), keys, endpoint, timeouts, notes)


def trust_authority(authority: str | None) -> list[str]:
    """Trust the server's private authority as Label Studio does, for this run: botocore reads
    AWS_CA_BUNDLE, the check's browser-like requests REQUESTS_CA_BUNDLE. The stack knows the file
    on Compose (`<file>:<mount>:ro`); a ConfigMap's or Secret's certificate is yours to export."""
    if not authority or os.environ.get("AWS_CA_BUNDLE"):
        return []
    host_file = authority.split(":", 1)[0] if authority.endswith(":ro") else None
    if host_file and os.path.isfile(host_file):
        os.environ["AWS_CA_BUNDLE"] = host_file
        os.environ.setdefault("REQUESTS_CA_BUNDLE", host_file)
        return [f"trusted the server's private authority in {host_file} (labelstudio:s3-compatible.caCertificate)"]
    return [
        f"the server's certificate is from a private authority ({authority}); export AWS_CA_BUNDLE and "
        "REQUESTS_CA_BUNDLE with its PEM file's path to check it as Label Studio trusts it"
    ]


class S3CompatibleCheck(S3Check):
    """S3 through boto3 at the server's endpoint, path-style, signing with SigV4 as Label Studio does."""

    def __init__(
        self,
        bucket: str,
        region: str,
        keys: tuple[str, str] | None,
        endpoint_url: str,
        timeouts: Timeouts,
        notes: Sequence[str] = (),
    ):
        super().__init__(bucket, region, keys, endpoint_url, timeouts)
        self.description = f"{endpoint_url.rstrip('/')}/{bucket} (S3-compatible, region {region})"
        self.notes = list(notes)

    def hardening_warnings(self, cors_origins: Sequence[str] = ()) -> Sequence[str]:
        """How the bucket differs from the hardening this project gives buckets it creates, as far as
        the S3 API shows it on any server: anonymous reads, versioning and default encryption. CORS
        is left to the check's own browser requests: MinIO sets it server-wide, with no bucket API."""
        import requests
        from botocore.exceptions import ClientError

        where = f"{self.endpoint_url}/{self.bucket}"
        found: list[str] = []
        if str(self.endpoint_url).startswith("http://"):
            found.append(f"{where} is reached over plain http: objects and signed links travel unencrypted")
        anonymous = requests.get(f"{where}?list-type=2&max-keys=1", timeout=self.timeouts.pair)
        if anonymous.status_code == 200:
            found.append(f"{where} lets anyone list it without keys (an anonymous bucket policy): remove it")
        for what, read, command in _SETTINGS:
            try:
                problem = read(self.client, self.bucket)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                problem = (
                    "has no default encryption"
                    if code == "ServerSideEncryptionConfigurationNotFoundError"
                    # Label Studio's user never may read the bucket's settings (serverPolicy grants objects only).
                    else f"cannot tell whether it has {what} ({code or error}); an administrator can: `{command}`"
                )
            if problem:
                found.append(f"{where} {problem}")
        return found


# The bucket settings the warnings read, and how an administrator reads each on MinIO.
_SETTINGS = (("versioning", _versioning, "mc version info"), ("default encryption", _encryption, "mc encrypt info"))
