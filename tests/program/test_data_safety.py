"""No setting change can silently destroy labelled data."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import KMS_KEY_NAME, OIDC_ARN, aws_stack, azure_stack, gcp_stack, run
from tools.mockrun import Declaration

DATA = {"aws:s3/bucket:Bucket", "aws:kms/key:Key"}
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

VARIANTS: dict[str, dict[str, Any]] = {
    "irsa": {},
    "pod identity": {"access": "pod-identity", "aws": {"clusterName": "c", "encryption": "kms"}},
    "node role": {"access": "node-role", "aws": {"nodeRoleName": "nodes", "encryption": "kms"}},
    "keys in a secret": {"access": "access-keys", "aws": {"encryption": "kms"}},
    "inline keys": {"access": "access-keys", "credentials": "inline", "aws": None},
    "compose": {"target": "compose", "aws": {"encryption": "kms"}},
    "enterprise, other release and namespace": {"enterprise": True, "release": "ls2", "namespace": "labels"},
    "folder and retention": {"folder": "media/x", "retentionDays": 365},
    "given kms key": {"aws": {"oidcProviderArn": OIDC_ARN, "kmsKeyArn": KEY_ARN}},
}


def data_resources(declaration: Declaration) -> dict[str, Any]:
    """The declared data resources by URN; never empty, so no check below can pass by matching nothing."""
    found = {r.urn: r for r in declaration.resources if r.type in DATA}
    assert found, f"no resource of {sorted(DATA)} declared: did a type or logical name change?"
    return found


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_storage_is_protected_and_never_force_destroyed_by_default(variant):
    declaration = run(aws_stack(**VARIANTS[variant]))
    resources = data_resources(declaration)
    for resource in resources.values():
        assert resource.protect, resource.name
        assert not resource.delete_before_replace and not resource.ignore_changes
    bucket = declaration.one("aws:s3/bucket:Bucket")
    assert bucket.inputs["forceDestroy"] is False


def test_switching_access_mode_target_or_release_keeps_the_same_bucket_resource():
    """The bucket's identity (URN) does not depend on any setting, so changing one is an update
    of the same protected bucket, never a delete of the old one and a create of a new one."""
    bucket_urns = {
        variant: run(aws_stack(**settings)).one("aws:s3/bucket:Bucket").urn for variant, settings in VARIANTS.items()
    }
    assert len(set(bucket_urns.values())) == 1, bucket_urns


def test_renaming_the_bucket_is_a_replacement_that_protection_stops():
    before = run(aws_stack(bucket="acme-labels")).one("aws:s3/bucket:Bucket")
    after = run(aws_stack(bucket="acme-labels-v2")).one("aws:s3/bucket:Bucket")
    # Same resource, new physical name: the engine must replace it, and refuses to because the
    # old bucket is protected, so `pulumi up` stops before any data is touched.
    assert before.urn == after.urn
    assert before.inputs["bucket"] != after.inputs["bucket"]
    assert before.protect and after.protect


def test_force_destroy_and_unprotected_storage_need_to_be_asked_for_by_name():
    assert run(aws_stack(forceDestroy=True)).one("aws:s3/bucket:Bucket").inputs["forceDestroy"] is True
    unprotected = run(aws_stack(protect=False, aws={"oidcProviderArn": OIDC_ARN, "encryption": "kms"}))
    assert not any(r.protect for r in data_resources(unprotected).values())


def test_old_versions_stay_recoverable_for_the_configured_days():
    for days in (1, 30, 365):
        declaration = run(aws_stack(retentionDays=days))
        (rule,) = declaration.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
        assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": days}
        assert "expiration" not in rule, "current objects never expire"
        versioning = declaration.one("aws:s3/bucketVersioning:BucketVersioning")
        assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}


def test_a_created_kms_key_waits_30_days_before_deletion():
    key = run(aws_stack(aws={"oidcProviderArn": OIDC_ARN, "encryption": "kms"})).one("aws:kms/key:Key")
    assert key.inputs["deletionWindowInDays"] == 30 and key.protect


HARDENING = {
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketPolicy:BucketPolicy",
}


def test_a_kept_bucket_keeps_its_hardening_when_the_stack_goes():
    """`pulumi destroy --exclude-protected` keeps the bucket; its settings must stay on it too."""
    declaration = run(aws_stack())
    assert {r.type for r in declaration.resources} >= HARDENING, "every hardening resource is declared"
    for resource in declaration.resources:
        if resource.type in HARDENING:
            assert resource.retain_on_delete, resource.type
        elif resource.type.startswith("aws:iam/"):
            assert not resource.retain_on_delete, "access must go with the stack"
    unprotected = run(aws_stack(protect=False))
    assert not any(r.retain_on_delete for r in unprotected.resources)


OTHER_CLOUDS = {
    "gcp": (
        gcp_stack,
        {"gcp:storage/bucket:Bucket"},
        [{}, {"access": "key"}, {"target": "compose"}, {"enterprise": True, "gcp": {"kmsKeyName": KMS_KEY_NAME}}],
    ),
    "azure": (
        azure_stack,
        {
            "azure-native:storage:StorageAccount",
            "azure-native:storage:BlobContainer",
            "azure-native:resources:ResourceGroup",
        },
        [{}, {"credentials": "inline"}, {"target": "compose"}, {"enterprise": True, "folder": "x"}],
    ),
}


@pytest.mark.parametrize("cloud", sorted(OTHER_CLOUDS))
def test_google_and_azure_storage_is_protected_and_keeps_its_identity_across_settings(cloud):
    build, data_types, variants = OTHER_CLOUDS[cloud]
    identities = set()
    for variant in variants:
        declaration = run(build(**variant))
        data = [r for r in declaration.resources if r.type in data_types]
        assert {r.type for r in data} == data_types, variant
        assert all(r.protect for r in data), variant
        assert all(r.inputs.get("forceDestroy") in (None, False) for r in data), variant
        identities.add(frozenset(r.urn for r in data))
    assert len(identities) == 1, "a setting change must never make the storage a different resource"
    unprotected = run(build(protect=False))
    assert not any(r.protect for r in unprotected.resources)


def test_azure_soft_delete_and_gcs_version_expiry_follow_retention_days():
    blob_service = run(azure_stack(retentionDays=45)).one("azure-native:storage:BlobServiceProperties").inputs
    assert blob_service["deleteRetentionPolicy"]["days"] == 45
    assert blob_service["containerDeleteRetentionPolicy"]["days"] == 45
    assert blob_service["deleteRetentionPolicy"]["allowPermanentDelete"] is False
    bucket = run(gcp_stack(retentionDays=45)).one("gcp:storage/bucket:Bucket").inputs
    (rule,) = bucket["lifecycleRules"]
    assert rule["action"] == {"type": "Delete"}
    assert rule["condition"]["daysSinceNoncurrentTime"] == 45 and rule["condition"]["withState"] == "ARCHIVED"
    assert bucket["versioning"] == {"enabled": True}
