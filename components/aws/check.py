"""The `check` command's client for S3: Label Studio's own kind of access to live storage.

tools/check.py drives it (deadline, steps, table); importing this module loads no cloud SDK.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any
from urllib.parse import quote

from components.label_studio import STORAGE_KEYS
from components.storage_check import DEFAULT_TIMEOUTS, StackOutputs, Timeouts, keys_in_env_list

# The keys the keyed access mode writes into the `envList` output for Label Studio.
KEYED_ENV = (STORAGE_KEYS["s3"]["access_key_id"].env_name, STORAGE_KEYS["s3"]["secret_access_key"].env_name)


def secrets_in(outputs: Mapping[str, Any]) -> list[str]:
    """Label Studio's keys in these outputs, to keep out of everything printed; never raises."""
    return keys_in_env_list(outputs, KEYED_ENV)


def reach(outputs: StackOutputs, keyed: bool, endpoint_url: str | None, timeouts: Timeouts) -> S3Check:
    """The bucket the outputs name, with exactly Label Studio's keys when it has keys, else yours."""
    bucket, keys = outputs.text("bucketName"), None
    if keyed:
        env = outputs.label_studio_env(KEYED_ENV)
        keys = (env[KEYED_ENV[0]].strip(), env[KEYED_ENV[1]].strip())
    return S3Check(bucket, outputs.text("region"), keys, endpoint_url, timeouts)


class S3Check:
    """S3 through boto3, with Label Studio's access keys or, for keyless access, yours."""

    upload_headers: Sequence[str] = ("content-type",)

    def __init__(
        self,
        bucket: str,
        region: str,
        keys: tuple[str, str] | None,
        endpoint_url: str | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
    ):
        import boto3
        from botocore.config import Config

        self.bucket, self.region, self.endpoint_url, self.timeouts = bucket, region, endpoint_url, timeouts
        credentials = {"aws_access_key_id": keys[0], "aws_secret_access_key": keys[1]} if keys else {}
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if endpoint_url else "virtual"},
            connect_timeout=timeouts.connect,
            read_timeout=timeouts.read,
            retries={"total_max_attempts": timeouts.attempts, "mode": "standard"},
        )
        session = boto3.session.Session(**credentials)
        if session.get_credentials() is None:
            raise RuntimeError("found no AWS credentials of yours, which keyless access checks with; log in first")
        self.client = session.client("s3", region_name=region, endpoint_url=endpoint_url, config=config)
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

    def hardening_warnings(self, cors_origins: Sequence[str] = ()) -> Sequence[str]:
        """How this bucket differs from the hardening the project gives a bucket it creates
        (for storage the stack uses as is or adopted): public access, default encryption,
        versioning, the TLS-only bucket policy, and CORS rules compared with `cors_origins`
        (origins allowed that are not the stack's, the stack's origins not allowed)."""
        from botocore.exceptions import ClientError

        found: list[str] = []
        reads: dict[str, Callable[[Any, str], str | list[str] | None]] = {
            **_HARDENING_READS,
            "CORS rules": partial(_cors, cors_origins=cors_origins),
        }
        for what, read in reads.items():
            try:
                problems = read(self.client, self.bucket)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                problems = _MISSING.get(code) or (
                    f"cannot tell whether it has {what} ({code or error}); check with credentials that may read "
                    "the bucket's settings"
                )
            for problem in [problems] if isinstance(problems, str) else problems or []:
                found.append(f"s3://{self.bucket}{': ' if problem.startswith('CORS') else ' '}{problem}")
        return found


def _public_access(client: Any, bucket: str) -> str | None:
    block = client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    open_ = sorted(name for name in _BLOCK_FLAGS if not block.get(name))
    return f"does not block all public access ({', '.join(open_)} off)" if open_ else None


def _encryption(client: Any, bucket: str) -> str | None:
    rules = client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"].get("Rules", [])
    return None if rules else _MISSING["ServerSideEncryptionConfigurationNotFoundError"]


def _versioning(client: Any, bucket: str) -> str | None:
    status = client.get_bucket_versioning(Bucket=bucket).get("Status")
    return None if status == "Enabled" else "is not versioned: an overwrite or delete is final"


def _tls_only(client: Any, bucket: str) -> str | None:
    policy = json.loads(client.get_bucket_policy(Bucket=bucket)["Policy"])
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        condition = statement.get("Condition", {}).get("Bool", {}) if isinstance(statement, dict) else {}
        if statement.get("Effect") == "Deny" and str(condition.get("aws:SecureTransport")).lower() == "false":
            return None
    return _MISSING["NoSuchBucketPolicy"]


def _cors(client: Any, bucket: str, cors_origins: Sequence[str]) -> list[str]:
    from botocore.exceptions import ClientError

    from components.cors import cors_differences

    try:
        rules = client.get_bucket_cors(Bucket=bucket).get("CORSRules", [])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchCORSConfiguration":
            raise
        rules = []  # S3's answer for a bucket without CORS: no rule
    pairs = ((rule.get("AllowedOrigins", []), rule.get("AllowedMethods", [])) for rule in rules)
    return cors_differences(pairs, cors_origins, wildcards=True)


_BLOCK_FLAGS = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
_HARDENING_READS = {
    "a public access block": _public_access,
    "default encryption": _encryption,
    "versioning": _versioning,
    "a TLS-only bucket policy": _tls_only,
}
# What S3 answers when a bucket lacks the setting, as the warning says it.
_MISSING = {
    "NoSuchPublicAccessBlockConfiguration": "has no public access block",
    "ServerSideEncryptionConfigurationNotFoundError": "has no default encryption",
    "NoSuchBucketPolicy": "has no bucket policy denying requests without TLS (aws:SecureTransport)",
}
