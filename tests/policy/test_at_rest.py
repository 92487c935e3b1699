"""encryption-at-rest and versioning-or-soft-delete: stacks whose data is not encrypted or not
recoverable.

Each case runs through the rules (test_each_*) or through the pack over gRPC as
`pulumi preview --policy-pack` runs it (test_the_pack_*); tests/policy/stacks.py builds the stacks."""

from __future__ import annotations

import pytest

from tests.policy.stacks import (
    ACCOUNT,
    BLOB_SERVICE,
    GCS,
    GOOD_AZURE,
    GOOD_GCP,
    Violation,
    assert_refuses_exactly,
    changed,
    classic_azure,
    second_azure_account,
    setting,
    violated,
    with_props,
    without,
)

AWS_VIOLATIONS = {
    "no encryption": ("encryption-at-rest", lambda rs: without(rs, ":BucketServerSideEncryptionConfiguration")),
    "versioning suspended": (
        "versioning-or-soft-delete",
        lambda rs: changed(rs, ":BucketVersioning", with_props(versioningConfiguration={"status": "Suspended"})),
    ),
}


@pytest.mark.parametrize("case", sorted(AWS_VIOLATIONS))
def test_each_aws_rule_catches_its_violation(aws_resources, case):
    policy, break_it = AWS_VIOLATIONS[case]
    assert violated(break_it(aws_resources)) == {policy}


OTHER_CLOUD_VIOLATIONS = {
    "gcs without versioning": ("versioning-or-soft-delete", GOOD_GCP, GCS, {"versioning": {"enabled": False}}),
    "azure without soft delete": (
        "versioning-or-soft-delete",
        GOOD_AZURE,
        BLOB_SERVICE,
        {"deleteRetentionPolicy": {"enabled": False}},
    ),
    "azure encryption off": (
        "encryption-at-rest",
        GOOD_AZURE,
        ACCOUNT,
        {"encryption": {"services": {"blob": {"enabled": False}}}},
    ),
}


@pytest.mark.parametrize("case", sorted(OTHER_CLOUD_VIOLATIONS))
def test_each_gcp_and_azure_rule_catches_its_violation(case):
    policy, stack, target, props = OTHER_CLOUD_VIOLATIONS[case]
    broken = [with_props(**props)(r) if r is target else r for r in stack]
    assert violated(broken) == {policy}


VIOLATING: dict[str, Violation] = {
    "public data: a second Azure account without soft delete": (
        {"versioning-or-soft-delete"},
        lambda p: second_azure_account(p, soft_delete=False),
    ),
    "public data: a classic Azure account without soft delete": (
        {"versioning-or-soft-delete"},
        lambda p: classic_azure(p, account=setting(blobProperties={"versioningEnabled": True})),
    ),
}


@pytest.mark.parametrize("case", sorted(VIOLATING))
def test_the_pack_refuses_exactly_the_promise_a_stack_breaks(policy_pack, programs, case):
    assert_refuses_exactly(policy_pack, programs, VIOLATING[case])
