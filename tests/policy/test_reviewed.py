"""storage-protected and resources-reviewed: unprotected storage, and resource types no rule reads.

Each case runs through the rules (test_each_*) or through the pack over gRPC as
`pulumi preview --policy-pack` runs it (test_the_pack_*); tests/policy/stacks.py builds the stacks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from tests.policy.stacks import (
    ACCOUNT,
    BLOB_SERVICE,
    CONTAINER,
    GCS,
    IRSA,
    WORKLOAD_IDENTITY,
    Programs,
    Stack,
    Violation,
    assert_refuses_exactly,
    changed,
    plus,
    resource,
    verdicts,
    violated,
)

AWS_VIOLATIONS = {
    "bucket unprotected": (
        "storage-protected",
        lambda rs: changed(rs, "/bucket:Bucket", lambda r: replace(r, protect=False)),
    ),
    "key unprotected": (
        "storage-protected",
        lambda rs: changed(rs, "kms/key:Key", lambda r: replace(r, protect=False)),
    ),
}


@pytest.mark.parametrize("case", sorted(AWS_VIOLATIONS))
def test_each_aws_rule_catches_its_violation(aws_resources, case):
    policy, break_it = AWS_VIOLATIONS[case]
    assert violated(break_it(aws_resources)) == {policy}


PASSING: dict[str, Callable[[Programs], Stack]] = {
    "unreviewed: resources that neither store data nor grant access": plus(
        IRSA,
        resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"}),
        resource("kubernetes:core/v1:ConfigMap", "settings", {"data": {"a": "b"}}),
    ),
}


@pytest.mark.parametrize("case", sorted(PASSING))
def test_the_pack_passes_stacks_that_keep_every_promise(policy_pack, programs, case):
    assert verdicts(policy_pack, PASSING[case](programs)) == []


# Types no rule reads, from every provider: each must be refused until a rule reads it.
UNREVIEWED_TYPES = (
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "aws:s3/accessPoint:AccessPoint",
    "aws:s3control/accessPointPolicy:AccessPointPolicy",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws-native:s3:Bucket",
    "gcp:storage/bucketObject:BucketObject",
    "gcp:pubsub/topicIAMMember:TopicIAMMember",
    "gcp:projects/iAMCustomRole:IAMCustomRole",
    "azure-native:authorization:RoleAssignment",
    "azure-native:storage:LocalUser",
    "azure:storage/blob:Blob",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
)
VIOLATING: dict[str, Violation] = {
    f"unreviewed: {unreviewed}": ({"resources-reviewed"}, plus(IRSA, resource(unreviewed, "new", {})))
    for unreviewed in UNREVIEWED_TYPES
}


@pytest.mark.parametrize("case", sorted(VIOLATING))
def test_the_pack_refuses_exactly_the_promise_a_stack_breaks(policy_pack, programs, case):
    assert_refuses_exactly(policy_pack, programs, VIOLATING[case])


def test_unprotected_gcp_and_azure_storage_is_refused():
    assert violated([replace(GCS, protect=False), WORKLOAD_IDENTITY]) == {"storage-protected"}
    assert violated([replace(ACCOUNT, protect=False), CONTAINER, BLOB_SERVICE]) == {"storage-protected"}


def test_the_refusal_of_an_unreviewed_type_names_it(policy_pack, programs):
    stack = [*programs.irsa, resource("azure-native:storage:LocalUser", "sftp", {"hasSshPassword": True})]
    (found,) = verdicts(policy_pack, stack)
    assert found[0] == "resources-reviewed"
    assert (
        found[1].startswith("sftp has the type azure-native:storage:LocalUser")
        and "not reviewed by this pack" in found[1]
    )
