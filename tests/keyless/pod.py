"""A pod's storage calls, made by the client libraries Label Studio uses, in a fresh process.

The process gets only the environment the platform would give the pod (plus PATH and an empty
HOME), so the credential chains of botocore and google-auth find nothing but the stand-in
endpoint. Each step reports its outcome instead of raising, so a test can assert on the
denials as well as on the successes.

Steps are lists: ["whoami"], ["put", bucket, key, text], ["get", bucket, key],
["list", bucket, prefix], ["sign", bucket, key] (a download link, signed the way Label Studio
signs it).

Run as `python -m tests.keyless.pod <aws|gcp> <region or project> <steps as JSON>`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]
POD_TIMEOUT_SECONDS = 60
LINK_MINUTES = 15


def run_pod(cloud: str, where: str, steps: list[list[str]], environment: Mapping[str, str], home: Path) -> list[Any]:
    """The outcome of each step, run by a fresh process with exactly `environment` (plus PATH, HOME)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1", **environment}
    finished = subprocess.run(
        [sys.executable, "-m", "tests.keyless.pod", cloud, where, json.dumps(steps)],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=POD_TIMEOUT_SECONDS,
    )
    if finished.returncode != 0:
        raise AssertionError(f"the pod process failed:\n{finished.stderr[-3000:]}")
    return list(json.loads(finished.stdout))


PROBE = "label studio"
# What the pod must be refused: a write beside the folder, and any call to another bucket.
DENIED_STEPS = ("put outside the folder", "put elsewhere", "list elsewhere")


def probe_key(folder: str) -> str:
    """Where an upload of Label Studio's lands: under the folder."""
    return f"{folder}/upload/probe.txt"


def storage_steps(bucket: str, folder: str, other_bucket: str) -> dict[str, list[str]]:
    """What Label Studio does with its storage, and what it must not be able to do, by name."""
    key = probe_key(folder)
    return {
        "whoami": ["whoami"],
        "put": ["put", bucket, key, PROBE],
        "get": ["get", bucket, key],
        "list": ["list", bucket, f"{folder}/"],
        "sign": ["sign", bucket, key],
        "put outside the folder": ["put", bucket, "outside.txt", "nope"],
        "put elsewhere": ["put", other_bucket, "elsewhere.txt", "nope"],
        "list elsewhere": ["list", other_bucket, ""],
    }


def control_steps(bucket: str, folder: str) -> dict[str, list[str]]:
    """What a pod that must get no access tries: who it is, an upload under the folder, a listing."""
    steps = storage_steps(bucket, folder, bucket)
    return {name: steps[name] for name in ("whoami", "put", "list")}


def run_named(
    cloud: str, where: str, steps: Mapping[str, list[str]], environment: Mapping[str, str], home: Path
) -> dict[str, Any]:
    """`run_pod` for named steps: each step's outcome under its name."""
    return dict(zip(steps, run_pod(cloud, where, list(steps.values()), environment, home), strict=True))


def ok(outcome: Any) -> bool:
    return isinstance(outcome, dict) and outcome.get("ok") is True


def assert_round_trip(outcomes: Mapping[str, Any], folder: str) -> None:
    """The upload landed under the folder, and the pod read it back and found it listed there."""
    assert ok(outcomes["put"]), outcomes["put"]
    assert outcomes["get"] == {"ok": True, "value": PROBE}
    assert outcomes["list"] == {"ok": True, "value": [probe_key(folder)]}


def _outcome(step: Callable[[], Any]) -> dict[str, Any]:
    try:
        return {"ok": True, "value": step()}
    except Exception as error:
        return {"ok": False, "error": type(error).__name__, "code": _error_code(error), "message": str(error)[:500]}


def _error_code(error: Exception) -> str | None:
    """botocore's error code (AccessDenied...) or the HTTP status google-api-core reports."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    code = getattr(error, "code", None)
    return None if code is None else str(int(code)) if isinstance(code, int) else str(code)


def _aws_steps(region: str) -> dict[str, Callable[..., Any]]:
    """What Label Studio's S3 storage does, through boto3's default credential chain."""
    import boto3
    from botocore.config import Config

    session = boto3.Session()
    s3 = session.client("s3", region_name=region, config=Config(signature_version="s3v4"))
    return {
        "whoami": lambda: session.client("sts", region_name=region).get_caller_identity()["Arn"],
        "put": lambda bucket, key, text: s3.put_object(Bucket=bucket, Key=key, Body=text.encode()) and key,
        "get": lambda bucket, key: s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode(),
        "list": lambda bucket, prefix: [
            item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        ],
        "sign": lambda bucket, key: s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=LINK_MINUTES * 60
        ),
    }


def _gcp_steps(project: str) -> dict[str, Callable[..., Any]]:
    """What Label Studio's Cloud Storage does, through google-auth's Application Default Credentials."""
    import datetime

    import google.auth
    import google.auth.transport.requests
    from google.cloud import storage

    client = storage.Client(project=project)

    def signing_credentials() -> Any:
        # As Label Studio's signBlob storage class: ADC, refreshed, then IAM signBlob as itself.
        credentials, _ = google.auth.default(["https://www.googleapis.com/auth/cloud-platform"])
        credentials.refresh(google.auth.transport.requests.Request())
        return credentials

    def sign(bucket: str, key: str) -> str:
        credentials = signing_credentials()
        return str(
            client.bucket(bucket)
            .blob(key)
            .generate_signed_url(
                version="v4",
                expiration=datetime.timedelta(minutes=LINK_MINUTES),
                method="GET",
                service_account_email=credentials.service_account_email,
                access_token=credentials.token,
            )
        )

    return {
        "whoami": lambda: signing_credentials().service_account_email,
        "put": lambda bucket, key, text: client.bucket(bucket).blob(key).upload_from_string(text.encode()) or key,
        "get": lambda bucket, key: client.bucket(bucket).blob(key).download_as_bytes().decode(),
        "list": lambda bucket, prefix: [blob.name for blob in client.list_blobs(bucket, prefix=prefix)],
        "sign": sign,
    }


def main(cloud: str, where: str, steps_json: str) -> None:
    steps = json.loads(steps_json)
    try:
        actions = {"aws": _aws_steps, "gcp": _gcp_steps}[cloud](where)
    except Exception as error:  # a client that cannot even start: every step fails with that cause
        startup_error = error

        def fail(*_: Any) -> Any:
            raise startup_error

        actions = {step[0]: fail for step in steps}
    print(json.dumps([_outcome(partial(actions[name], *arguments)) for name, *arguments in steps]))


if __name__ == "__main__":
    main(*sys.argv[1:4])
