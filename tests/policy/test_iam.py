"""iam-scoped-to-the-bucket and oidc-trust-pinned: grants that reach beyond the bucket and trust that
lets in more than the chart's service accounts.

Each case runs through the rules (test_each_*) or through the pack over gRPC as
`pulumi preview --policy-pack` runs it (test_the_pack_*); tests/policy/stacks.py builds the stacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest

from policy.rules import UNKNOWN, Resource
from tests.conftest import ISSUER
from tests.policy.stacks import (
    ADMIN,
    GCP,
    GOOD_GCP,
    IRSA,
    SA,
    SUBJECT,
    UNSET,
    WORKLOAD_IDENTITY,
    Programs,
    Stack,
    Violation,
    assert_refuses_exactly,
    attach,
    aws_outputs,
    aws_preview,
    changed,
    edit,
    grant,
    iam_json,
    one,
    plus,
    resource,
    rewrite_policy,
    rewrite_trust,
    setting,
    trust,
    verdicts,
    violated,
    with_props,
)

AWS_VIOLATIONS = {
    "s3:* action": (
        "iam-scoped-to-the-bucket",
        lambda rs: changed(rs, "iam/policy:Policy", rewrite_policy(lambda d: d["Statement"][1].update(Action="s3:*"))),
    ),
    "every resource": (
        "iam-scoped-to-the-bucket",
        lambda rs: changed(rs, "iam/policy:Policy", rewrite_policy(lambda d: d["Statement"][1].update(Resource="*"))),
    ),
}


@pytest.mark.parametrize("case", sorted(AWS_VIOLATIONS))
def test_each_aws_rule_catches_its_violation(aws_resources, case):
    policy, break_it = AWS_VIOLATIONS[case]
    assert violated(break_it(aws_resources)) == {policy}


OTHER_CLOUD_VIOLATIONS = {
    "wildcard workload identity": (
        "oidc-trust-pinned",
        GOOD_GCP,
        WORKLOAD_IDENTITY,
        {"member": "serviceAccount:acme.svc.id.goog[label-studio/*]"},
    ),
}


@pytest.mark.parametrize("case", sorted(OTHER_CLOUD_VIOLATIONS))
def test_each_gcp_and_azure_rule_catches_its_violation(case):
    policy, stack, target, props = OTHER_CLOUD_VIOLATIONS[case]
    broken = [with_props(**props)(r) if r is target else r for r in stack]
    assert violated(broken) == {policy}


PASSING: dict[str, Callable[[Programs], Stack]] = {
    "trust: IRSA as the program declares it": IRSA,
    "trust: EKS Pod Identity as the program declares it": lambda p: p.pod_identity,
    "trust: the web-identity action in other letter case, still pinned": trust(
        Action=["STS:AssumeRoleWithWebIdentity"]
    ),
    "scope: access keys as the program declares them": lambda p: p.access_keys,
    "scope: AWS as a preview of a new stack sees it": aws_preview,
    "scope: AWS outputs as `pulumi up` analyzes them": aws_outputs,
    "scope: in a preview, the attachment references the stack's own policy": lambda p: edit(
        p.irsa,
        ":RolePolicyAttachment",
        lambda r: replace(
            r,
            props={**r.props, "policyArn": UNKNOWN},
            property_dependencies={"policyArn": [one(p.irsa, "iam/policy:Policy").urn]},
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(PASSING))
def test_the_pack_passes_stacks_that_keep_every_promise(policy_pack, programs, case):
    assert verdicts(policy_pack, PASSING[case](programs)) == []


VIOLATING: dict[str, Violation] = {
    "trust: sts:* with no condition": ({"oidc-trust-pinned"}, trust(Action="sts:*", Condition=UNSET)),
    "trust: sts:AssumeRoleWith* with no condition": (
        {"oidc-trust-pinned"},
        trust(Action="sts:AssumeRoleWith*", Condition=UNSET),
    ),
    "trust: STS:AssumeRoleWithWebIdentity in capitals with no condition": (
        {"oidc-trust-pinned"},
        trust(Action="STS:AssumeRoleWithWebIdentity", Condition=UNSET),
    ),
    "trust: sub pinned under another issuer's key": (
        {"oidc-trust-pinned"},
        trust(
            Condition={
                "StringEquals": {
                    f"{ISSUER}:aud": "sts.amazonaws.com",
                    "oidc.eks.us-east-1.amazonaws.com/id/FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:sub": SUBJECT,
                }
            }
        ),
    ),
    "trust: Principal AWS *": (
        {"oidc-trust-pinned"},
        trust(Principal={"AWS": "*"}, Action="sts:AssumeRole", Condition=UNSET),
    ),
    "trust: another account may assume the role": (
        {"oidc-trust-pinned"},
        trust(Principal={"AWS": "arn:aws:iam::999999999999:root"}, Action="sts:AssumeRole", Condition=UNSET),
    ),
    "scope: every object of every bucket (arn:aws:s3:::*/*)": (
        {"iam-scoped-to-the-bucket"},
        grant(1, Resource="arn:aws:s3:::*/*"),
    ),
    "scope: every bucket whose name starts with acme": (
        {"iam-scoped-to-the-bucket"},
        grant(0, Resource="arn:aws:s3:::acme*"),
    ),
    "scope: arn:aws:s3:*:*:*": ({"iam-scoped-to-the-bucket"}, grant(1, Resource="arn:aws:s3:*:*:*")),
    "scope: a ? wildcard in an action": ({"iam-scoped-to-the-bucket"}, grant(1, Action=["s3:GetObjec?"])),
    "scope: AdministratorAccess attached to the role": (
        {"iam-scoped-to-the-bucket"},
        plus(IRSA, attach("aws:iam/rolePolicyAttachment:RolePolicyAttachment", ADMIN, role="labelstudio-irsa")),
    ),
    "scope: AmazonS3FullAccess attached to the user": (
        {"iam-scoped-to-the-bucket"},
        lambda p: [
            *p.access_keys,
            attach(
                "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                "arn:aws:iam::aws:policy/AmazonS3FullAccess",
                user="labelstudio-user",
            ),
        ],
    ),
    "scope: a policy from outside the stack attached to the role": (
        {"iam-scoped-to-the-bucket"},
        plus(
            IRSA,
            attach(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "arn:aws:iam::123456789012:policy/AnythingGoes",
                role="labelstudio-irsa",
            ),
        ),
    ),
    "scope: in a preview, an attachment of an unknown policy from outside the stack": (
        {"iam-scoped-to-the-bucket"},
        lambda p: edit(p.irsa, ":RolePolicyAttachment", setting(policyArn=UNKNOWN)),
    ),
    "scope: the role's inline policy allows s3:* everywhere": (
        {"iam-scoped-to-the-bucket"},
        lambda p: edit(
            p.irsa,
            "iam/role:Role",
            setting(
                inlinePolicies=[
                    {"name": "all", "policy": iam_json({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})}
                ]
            ),
        ),
    ),
    "scope: the role's managedPolicyArns name AdministratorAccess": (
        {"iam-scoped-to-the-bucket"},
        lambda p: edit(p.irsa, "iam/role:Role", setting(managedPolicyArns=[ADMIN])),
    ),
    "scope: a group policy on every bucket": (
        {"iam-scoped-to-the-bucket"},
        plus(
            IRSA,
            resource("aws:iam/group:Group", "readers", {"name": "readers"}),
            resource(
                "aws:iam/groupPolicy:GroupPolicy",
                "readers-policy",
                {
                    "group": "readers",
                    "policy": iam_json({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"}),
                },
            ),
        ),
    ),
    "scope: a user policy with a wildcard action": (
        {"iam-scoped-to-the-bucket"},
        lambda p: [
            *p.access_keys,
            resource(
                "aws:iam/userPolicy:UserPolicy",
                "extra",
                {
                    "user": "labelstudio-user",
                    "policy": iam_json({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::acme-labels"}),
                },
            ),
        ],
    ),
    "scope: a project IAM policy grants storage.admin": (
        {"iam-scoped-to-the-bucket"},
        plus(
            GCP,
            resource(
                "gcp:projects/iAMPolicy:IAMPolicy",
                "project-policy",
                {
                    "project": "acme-ml-prod",
                    "policyData": json.dumps({"bindings": [{"role": "roles/storage.admin", "members": [SA]}]}),
                },
            ),
        ),
    ),
    "scope: an organisation member with a storage role": (
        {"iam-scoped-to-the-bucket"},
        plus(
            GCP,
            resource(
                "gcp:organizations/iAMMember:IAMMember",
                "org-member",
                {"orgId": "123456789", "role": "roles/storage.objectViewer", "member": SA},
            ),
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(VIOLATING))
def test_the_pack_refuses_exactly_the_promise_a_stack_breaks(policy_pack, programs, case):
    assert_refuses_exactly(policy_pack, programs, VIOLATING[case])


@pytest.mark.parametrize(
    ("case", "condition"),
    [
        ("no audience", {"StringEquals": {"x:sub": "system:serviceaccount:ls:ls-ls-app"}}),
        ("wildcard subject", {"StringLike": {"x:aud": "sts.amazonaws.com", "x:sub": "system:serviceaccount:ls:*"}}),
        ("any service account", {"StringEquals": {"x:aud": "sts.amazonaws.com", "x:sub": "system:serviceaccount:*"}}),
        ("no condition", {}),
    ],
)
def test_oidc_trust_must_pin_audience_and_exact_service_accounts(irsa_resources, case, condition):
    assert violated(changed(irsa_resources, "iam/role:Role", rewrite_trust(condition))) == {"oidc-trust-pinned"}


def test_project_wide_storage_roles_are_refused():
    project_member = Resource(
        "gcp:projects/iAMMember:IAMMember", "p", {"role": "roles/storage.objectAdmin", "member": "x"}
    )
    assert violated([*GOOD_GCP, project_member]) == {"iam-scoped-to-the-bucket"}
