"""The rules as a whole: what the program declares passes every one, in every partition and before
its values are known, and the pack the Pulumi CLI runs says the same over gRPC."""

from __future__ import annotations

import json
from dataclasses import replace

from policy.rules import POLICIES, UNKNOWN, Resource, evaluate
from tests.conftest import aws_stack, run
from tests.harness.policy_analyzer import analyze
from tests.policy.stacks import GOOD_AZURE, GOOD_GCP, changed, violated
from tools.plan import policy_resources


def test_what_the_program_declares_passes_every_policy(aws_resources, irsa_resources):
    assert evaluate(aws_resources) == []
    assert evaluate(irsa_resources) == []


def test_a_stack_in_an_isolated_partition_gets_a_policy_that_grants_its_bucket():
    """The IAM policy and the TLS policy name the bucket in the region's partition (aws-iso here),
    the one the settings hold the OIDC provider to; before its ARN is known too."""
    oidc = "arn:aws-iso:iam::111122223333:oidc-provider/oidc.eks.us-iso-east-1.c2s.ic.gov/id/ABCDEF"
    declaration = run(aws_stack(**{"aws:region": "us-iso-east-1"}, aws={"oidcProviderArn": oidc}))
    resources = policy_resources(declaration)
    granted = [
        resource
        for r in resources
        if r.type == "aws:iam/policy:Policy"
        for statement in json.loads(r.props["policy"])["Statement"]
        for resource in ([statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"])
    ]
    assert granted and all(arn.startswith("arn:aws-iso:s3:::acme-labels") for arn in granted)
    assert evaluate(resources) == []
    before_known = changed(resources, "/bucket:Bucket", lambda r: replace(r, props={**r.props, "arn": UNKNOWN}))
    assert evaluate(before_known) == []


def test_good_gcp_and_azure_stacks_pass():
    assert evaluate(GOOD_GCP) == [] and evaluate(GOOD_AZURE) == []


def test_unknown_values_during_a_preview_are_not_violations(aws_resources):
    """A new bucket's name is unknown in a preview: companions that reference it still count."""
    bucket = next(r for r in aws_resources if r.type == "aws:s3/bucket:Bucket")
    bucket = replace(bucket, urn="urn:bucket", props={**bucket.props, "bucket": UNKNOWN})

    def referencing(r: Resource) -> Resource:
        if "bucket" not in r.props or r.type == bucket.type:
            return r
        # The TLS policy's document names the bucket, so it is unknown too.
        unknown = {"bucket": UNKNOWN, **({"policy": UNKNOWN} if "policy" in r.props else {})}
        return replace(r, props={**r.props, **unknown}, property_dependencies={"bucket": [bucket.urn]})

    unknown_names = [referencing(r) if r.type != bucket.type else bucket for r in aws_resources]
    assert evaluate(unknown_names) == []
    unreferenced = [replace(r, property_dependencies={}) for r in unknown_names]
    assert "versioning-or-soft-delete" in violated(unreferenced)


def test_every_policy_has_a_distinct_name_and_a_description():
    names = [policy.name for policy in POLICIES]
    assert len(names) == len(set(names)) == 9
    assert all(policy.description.endswith(".") for policy in POLICIES)


def test_the_pack_passes_the_declared_stack_and_blocks_an_unprotected_bucket(policy_pack):
    resources = policy_resources(run(aws_stack(access="access-keys", credentials="inline")))
    assert analyze(policy_pack, resources) == []
    unprotected = changed(resources, "/bucket:Bucket", lambda r: replace(r, protect=False))
    (diagnostic,) = analyze(policy_pack, unprotected)
    assert diagnostic[0] == "storage-protected" and "labelstudio-bucket is not protected" in diagnostic[1]
