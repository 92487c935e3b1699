"""no-public-storage: stacks whose bucket, container, object or key can be made public, and stacks that
keep them private in another spelling.

Each case runs through the rules (test_each_*) or through the pack over gRPC as
`pulumi preview --policy-pack` runs it (test_the_pack_*); tests/policy/stacks.py builds the stacks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from policy.rules import UNKNOWN
from tests.policy.stacks import (
    ACCOUNT,
    BUCKET_MEMBER,
    CONTAINER,
    GCP,
    GCS,
    GOOD_AZURE,
    GOOD_GCP,
    PUBLIC_GRANT,
    SA,
    UNSET,
    Programs,
    Stack,
    Violation,
    assert_refuses_exactly,
    auto_named_bucket,
    azure_outputs,
    bucket_acl_v2,
    changed,
    classic_azure,
    edit,
    gcp_preview,
    gcs_iam_policy,
    gcs_with,
    s3_v2,
    second_azure_account,
    setting,
    verdicts,
    violated,
    with_props,
    without,
)

AWS_VIOLATIONS = {
    "public ACL": ("no-public-storage", lambda rs: changed(rs, "/bucket:Bucket", with_props(acl="public-read"))),
    "no public-access block": ("no-public-storage", lambda rs: without(rs, ":BucketPublicAccessBlock")),
    "a block half off": (
        "no-public-storage",
        lambda rs: changed(rs, ":BucketPublicAccessBlock", with_props(restrictPublicBuckets=False)),
    ),
}


@pytest.mark.parametrize("case", sorted(AWS_VIOLATIONS))
def test_each_aws_rule_catches_its_violation(aws_resources, case):
    policy, break_it = AWS_VIOLATIONS[case]
    assert violated(break_it(aws_resources)) == {policy}


OTHER_CLOUD_VIOLATIONS = {
    "gcs public access inherited": ("no-public-storage", GOOD_GCP, GCS, {"publicAccessPrevention": "inherited"}),
    "gcs object acls": ("no-public-storage", GOOD_GCP, GCS, {"uniformBucketLevelAccess": False}),
    "gcs bucket for allUsers": ("no-public-storage", GOOD_GCP, BUCKET_MEMBER, {"member": "allUsers"}),
    "azure public blobs": ("no-public-storage", GOOD_AZURE, ACCOUNT, {"allowBlobPublicAccess": True}),
    "azure public container": ("no-public-storage", GOOD_AZURE, CONTAINER, {"publicAccess": "Blob"}),
}


@pytest.mark.parametrize("case", sorted(OTHER_CLOUD_VIOLATIONS))
def test_each_gcp_and_azure_rule_catches_its_violation(case):
    policy, stack, target, props = OTHER_CLOUD_VIOLATIONS[case]
    broken = [with_props(**props)(r) if r is target else r for r in stack]
    assert violated(broken) == {policy}


PASSING: dict[str, Callable[[Programs], Stack]] = {
    "public data: GCS as the program declares it": GCP,
    "public data: in a preview, GCS grants name the new service account by reference": gcp_preview,
    "public data: a GCS bucket IAM policy for the service account only": gcs_with(
        gcs_iam_policy("roles/storage.objectAdmin", SA)
    ),
    "public data: S3 declared with the V2 resources and a private BucketAclV2": lambda p: s3_v2(
        p, bucket_acl_v2(acl="private")
    ),
    "public data: an auto-named bucket with hardening of its own": lambda p: auto_named_bucket(p, tied_to_itself=True),
    "public data: an auto-named bucket with hardening that only depends on it": lambda p: auto_named_bucket(
        p, tied_to_itself=True, by_property=False
    ),
    "public data: Azure as the program declares it": lambda p: p.azure,
    "public data: a second Azure account, as hardened as the first": second_azure_account,
    "public data: Azure outputs, where companions keep the account's name out and only reference it": azure_outputs,
    "public data: a classic-provider Azure account and container, hardened": classic_azure,
}


@pytest.mark.parametrize("case", sorted(PASSING))
def test_the_pack_passes_stacks_that_keep_every_promise(policy_pack, programs, case):
    assert verdicts(policy_pack, PASSING[case](programs)) == []


VIOLATING: dict[str, Violation] = {
    "public data: GCS public access prevention unset": (
        {"no-public-storage"},
        lambda p: edit(p.gcp, "storage/bucket:Bucket", setting(publicAccessPrevention=UNSET)),
    ),
    "public data: GCS uniform bucket-level access unset": (
        {"no-public-storage"},
        lambda p: edit(p.gcp, "storage/bucket:Bucket", setting(uniformBucketLevelAccess=UNSET)),
    ),
    "public data: in a preview, GCS public access prevention left for the provider to compute": (
        {"no-public-storage"},
        lambda p: edit(p.gcp, "storage/bucket:Bucket", setting(publicAccessPrevention=UNKNOWN)),
    ),
    "public data: a GCS bucket IAM policy for allUsers": (
        {"no-public-storage"},
        gcs_with(gcs_iam_policy("roles/storage.objectViewer", SA, "allUsers")),
    ),
    "public data: a GCS BucketAccessControl for allUsers": (
        {"no-public-storage"},
        gcs_with(
            {
                "type": "gcp:storage/bucketAccessControl:BucketAccessControl",
                "props": {"entity": "allUsers", "role": "READER"},
            }
        ),
    ),
    "public data: a GCS DefaultObjectAccessControl for allAuthenticatedUsers": (
        {"no-public-storage"},
        gcs_with(
            {
                "type": "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
                "props": {"entity": "allAuthenticatedUsers", "role": "READER"},
            }
        ),
    ),
    "public data: a GCS BucketACL with READER:allUsers": (
        {"no-public-storage"},
        gcs_with({"type": "gcp:storage/bucketACL:BucketACL", "props": {"roleEntities": ["READER:allUsers"]}}),
    ),
    "public data: BucketV2 with a public-read BucketAclV2": (
        {"no-public-storage"},
        lambda p: s3_v2(p, bucket_acl_v2(acl="public-read")),
    ),
    "public data: BucketV2 with a BucketAclV2 granting AllUsers": (
        {"no-public-storage"},
        lambda p: s3_v2(p, bucket_acl_v2(accessControlPolicy=PUBLIC_GRANT)),
    ),
    "public data: an auto-named bucket covered only by the other bucket's hardening": (
        {"no-public-storage", "encryption-at-rest", "tls-only", "versioning-or-soft-delete"},
        lambda p: auto_named_bucket(p, tied_to_itself=False),
    ),
    "public data: a second Azure account allowing public blobs": (
        {"no-public-storage"},
        lambda p: second_azure_account(p, allowBlobPublicAccess=True),
    ),
    "public data: a classic Azure account allowing public blobs": (
        {"no-public-storage"},
        lambda p: classic_azure(p, account=setting(allowNestedItemsToBePublic=True)),
    ),
    "public data: a classic Azure account leaving public blobs at the provider's default": (
        {"no-public-storage"},
        lambda p: classic_azure(p, account=setting(allowNestedItemsToBePublic=UNSET)),
    ),
    "public data: a classic Azure container open to anonymous reads": (
        {"no-public-storage"},
        lambda p: classic_azure(p, container=setting(containerAccessType="blob")),
    ),
}


@pytest.mark.parametrize("case", sorted(VIOLATING))
def test_the_pack_refuses_exactly_the_promise_a_stack_breaks(policy_pack, programs, case):
    assert_refuses_exactly(policy_pack, programs, VIOLATING[case])
