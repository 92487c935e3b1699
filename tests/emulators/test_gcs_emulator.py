"""What the program declares for Cloud Storage, applied to gcp-storage-emulator on 127.0.0.1.

The declared bucket's inputs are translated to the JSON API resource the provider sends and
applied with `google-cloud-storage`, the client Label Studio itself uses, then read back. This
checks that the declared settings have the names and shapes the API takes and keeps, and that
objects round-trip under the folder.

What the emulator does not implement, and so is not shown here:
- it ignores every field of a bucket insert and stores settings only from a PATCH, so the
  settings are sent in the insert (as the provider does) and again in a patch;
- it does not evaluate CORS (no preflight answers), enforce IAM (policies are stored only),
  refuse ACLs under uniform bucket-level access or public access prevention, keep noncurrent
  object versions, run lifecycle rules, encrypt with Cloud KMS, or validate values;
- it has no IAM service accounts, keys or Workload Identity.
Those are asserted on the declared inputs in test_program_gcp.py.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from tests.conftest import GCP_PROJECT as PROJECT
from tests.conftest import KMS_KEY_NAME as KMS_KEY
from tests.conftest import gcp_stack, run
from tests.harness.servers import free_port, serving
from tools.mockrun import Declaration, reveal

ALLOWED = ["https://label.example.com", "http://localhost:8080"]
FOLDER = "media/label-studio"
BUCKET = "acme-labels-emulated"
# The provider's lifecycle `withState` as the JSON API's `isLive` condition.
IS_LIVE = {"LIVE": True, "ARCHIVED": False}


@pytest.fixture(scope="module")
def declared() -> Declaration:
    return run(
        gcp_stack(bucket=BUCKET, folder=FOLDER, corsOrigins=ALLOWED, retentionDays=14, gcp={"kmsKeyName": KMS_KEY})
    )


@pytest.fixture(scope="module")
def bucket_inputs(declared: Declaration) -> dict[str, Any]:
    return reveal(declared.one("gcp:storage/bucket:Bucket").inputs)


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    """gcp-storage-emulator in memory on a free loopback port; its endpoint."""
    port = free_port()
    command = [sys.executable, "-m", "gcp_storage_emulator", "start"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--in-memory", "--quiet"]
    with serving(command, port) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def client(emulator: str) -> storage.Client:
    return storage.Client(
        project=PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": emulator}
    )


def apply_declared(bucket: storage.Bucket, inputs: dict[str, Any]) -> None:
    """Set the declared inputs on `bucket` under their JSON API names, as the provider maps them."""
    bucket.iam_configuration.uniform_bucket_level_access_enabled = inputs["uniformBucketLevelAccess"]
    bucket.iam_configuration.public_access_prevention = inputs["publicAccessPrevention"]
    bucket.versioning_enabled = inputs["versioning"]["enabled"]
    bucket.cors = [
        {
            "origin": rule["origins"],
            "method": rule["methods"],
            "responseHeader": rule["responseHeaders"],
            "maxAgeSeconds": rule["maxAgeSeconds"],
        }
        for rule in inputs["cors"]
    ]
    bucket.lifecycle_rules = [lifecycle_rule(rule) for rule in inputs["lifecycleRules"]]
    bucket.labels = inputs["labels"]
    if "encryption" in inputs:
        bucket.default_kms_key_name = inputs["encryption"]["defaultKmsKeyName"]


def lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    condition = dict(rule["condition"])
    state = condition.pop("withState", None)
    if state in IS_LIVE:
        condition["isLive"] = IS_LIVE[state]
    return {"action": dict(rule["action"]), "condition": condition}


@pytest.fixture(scope="module")
def created(client: storage.Client, bucket_inputs: dict[str, Any]) -> storage.Bucket:
    """The declared bucket, created in the emulator, then read back fresh."""
    bucket = client.bucket(bucket_inputs["name"])
    apply_declared(bucket, bucket_inputs)
    client.create_bucket(bucket, project=bucket_inputs["project"], location=bucket_inputs["location"])
    apply_declared(bucket, bucket_inputs)
    bucket.patch()
    return client.get_bucket(bucket_inputs["name"])


def test_the_bucket_keeps_uniform_access_and_enforced_public_access_prevention(created):
    assert created.iam_configuration.uniform_bucket_level_access_enabled is True
    assert created.iam_configuration.public_access_prevention == "enforced"


def test_the_bucket_keeps_versioning_and_the_noncurrent_version_rule(created):
    assert created.versioning_enabled is True
    assert [dict(rule) for rule in created.lifecycle_rules] == [
        {"action": {"type": "Delete"}, "condition": {"daysSinceNoncurrentTime": 14, "isLive": False}}
    ]


def test_the_bucket_keeps_the_cors_rule_for_every_allowed_origin(created):
    assert created.cors == [
        {
            "origin": ALLOWED,
            "method": ["GET", "PUT", "POST", "DELETE", "HEAD"],
            "responseHeader": ["Content-Type", "Access-Control-Allow-Origin"],
            "maxAgeSeconds": 3600,
        }
    ]


def test_the_bucket_keeps_its_default_kms_key_and_labels(created, bucket_inputs):
    assert created.default_kms_key_name == KMS_KEY
    assert created.labels == bucket_inputs["labels"]


def test_the_declared_object_admin_grant_is_a_binding_the_bucket_policy_takes(created, declared):
    """Stored only: the emulator does not enforce IAM."""
    grant = reveal(declared.one("gcp:storage/bucketIAMMember:BucketIAMMember").inputs)
    assert grant["bucket"] == created.name
    policy = created.get_iam_policy(requested_policy_version=3)
    policy.bindings.append({"role": grant["role"], "members": {grant["member"]}})
    created.set_iam_policy(policy)
    bindings = created.get_iam_policy(requested_policy_version=3).bindings
    assert {"role": "roles/storage.objectAdmin", "members": {grant["member"]}} in [
        {"role": binding["role"], "members": set(binding["members"])} for binding in bindings
    ]


def test_objects_round_trip_under_the_folder(client, created, declared):
    folder = reveal(declared.one("kubernetes:helm.sh/v3:Release").inputs["values"])["global"]["persistence"]["config"][
        "gcs"
    ]["folder"]
    assert folder == FOLDER
    key = f"{folder}/upload/probe.txt"
    created.blob(key).upload_from_string(b"label studio", content_type="text/plain")
    assert created.blob(key).download_as_bytes() == b"label studio"
    assert [blob.name for blob in client.list_blobs(created, prefix=f"{folder}/")] == [key]
    created.blob(key).delete()
    assert list(client.list_blobs(created, prefix=f"{folder}/")) == []
