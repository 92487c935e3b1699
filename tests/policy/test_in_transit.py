"""tls-only: stacks whose storage accepts requests without TLS, and denials of plain HTTP written other ways.

Each case runs through the rules (test_each_*) or through the pack over gRPC as
`pulumi preview --policy-pack` runs it (test_the_pack_*); tests/policy/stacks.py builds the stacks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.policy.stacks import (
    ACCOUNT,
    GOOD_AZURE,
    OTHER_BUCKET,
    UNSET,
    Programs,
    Stack,
    Violation,
    assert_refuses_exactly,
    changed,
    classic_azure,
    document,
    edit,
    rewrite_policy,
    setting,
    tls_statement,
    verdicts,
    violated,
    with_props,
    without,
)

AWS_VIOLATIONS = {
    "no tls policy": ("tls-only", lambda rs: without(rs, ":BucketPolicy")),
    "a tls deny on another bucket": (
        "tls-only",
        lambda rs: changed(
            rs, ":BucketPolicy", rewrite_policy(lambda d: d["Statement"][0].update(Resource="arn:aws:s3:::other/*"))
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(AWS_VIOLATIONS))
def test_each_aws_rule_catches_its_violation(aws_resources, case):
    policy, break_it = AWS_VIOLATIONS[case]
    assert violated(break_it(aws_resources)) == {policy}


OTHER_CLOUD_VIOLATIONS = {
    "azure http": ("tls-only", GOOD_AZURE, ACCOUNT, {"enableHttpsTrafficOnly": False}),
    "azure tls 1.0": ("tls-only", GOOD_AZURE, ACCOUNT, {"minimumTlsVersion": "TLS1_0"}),
}


@pytest.mark.parametrize("case", sorted(OTHER_CLOUD_VIOLATIONS))
def test_each_gcp_and_azure_rule_catches_its_violation(case):
    policy, stack, target, props = OTHER_CLOUD_VIOLATIONS[case]
    broken = [with_props(**props)(r) if r is target else r for r in stack]
    assert violated(broken) == {policy}


PASSING: dict[str, Callable[[Programs], Stack]] = {
    "tls: the Deny written with BoolIfExists, Principal AWS *, S3:* and a wildcard resource": tls_statement(
        Principal={"AWS": "*"},
        Action="S3:*",
        Resource="arn:aws:s3:::acme-labels*",
        Condition={"BoolIfExists": {"aws:SecureTransport": False}},
    ),
    "tls: the Deny split into one statement for the bucket and one for its objects": lambda p: edit(
        p.irsa,
        ":BucketPolicy",
        document(
            "policy",
            lambda d: d.update(
                Statement=[
                    {**d["Statement"][0], "Resource": "arn:aws:s3:::acme-labels"},
                    {**d["Statement"][0], "Resource": "arn:aws:s3:::acme-labels/*"},
                ]
            ),
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(PASSING))
def test_the_pack_passes_stacks_that_keep_every_promise(policy_pack, programs, case):
    assert verdicts(policy_pack, PASSING[case](programs)) == []


VIOLATING: dict[str, Violation] = {
    "tls: a Deny of one action on another bucket": (
        {"tls-only"},
        tls_statement(Action="s3:GetObject", Resource=OTHER_BUCKET),
    ),
    "tls: a Deny of every action on another bucket": ({"tls-only"}, tls_statement(Resource=OTHER_BUCKET)),
    "tls: a Deny of one action on this bucket": ({"tls-only"}, tls_statement(Action="s3:GetObject")),
    "tls: a Deny on the bucket but not its objects": ({"tls-only"}, tls_statement(Resource="arn:aws:s3:::acme-labels")),
    "tls: an Azure account leaving its minimum TLS version unset": (
        {"tls-only"},
        lambda p: edit(p.azure, ":StorageAccount", setting(minimumTlsVersion=UNSET)),
    ),
    "tls: a classic Azure account accepting HTTP": (
        {"tls-only"},
        lambda p: classic_azure(p, account=setting(httpsTrafficOnlyEnabled=False)),
    ),
    "tls: a classic Azure account accepting TLS 1.0": (
        {"tls-only"},
        lambda p: classic_azure(p, account=setting(minTlsVersion="TLS1_0")),
    ),
}


@pytest.mark.parametrize("case", sorted(VIOLATING))
def test_the_pack_refuses_exactly_the_promise_a_stack_breaks(policy_pack, programs, case):
    assert_refuses_exactly(policy_pack, programs, VIOLATING[case])
