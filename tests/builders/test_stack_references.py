"""Cluster facts read from the cluster's own stack: `{fromStack: acme/eks/prod, output: ...}`.

The reference is checked for shape with the other settings (all problems at once), and the
value it reads is held, when the stack runs, to the rule the same setting's text is held to.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.settings.cloud import StackOutput
from components.settings.model import SettingsError, load_settings
from tests.conftest import aws_stack, gcp_stack
from tools.mockrun import declare, run_stack_file
from tools.mockrun.stand_ins import StandInCloud

EKS = "acme/eks/prod"
AWS = {"cloud": "aws", "aws:region": "eu-west-1", "bucket": "acme-labels", "host": "https://label.example.com"}
ROLE = "aws:iam/role:Role"


def reference(output: str = "oidcProviderArn", stack: str = EKS) -> dict[str, str]:
    return {"fromStack": stack, "output": output}


def problems(aws: dict[str, Any], **settings: Any) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings({**AWS, **settings, "aws": aws})
    return caught.value.problems


@pytest.mark.parametrize(
    ("setting", "field", "access"),
    [
        ("oidcProviderArn", "oidc_provider_arn", "irsa"),
        ("clusterName", "cluster_name", "pod-identity"),
        ("nodeRoleName", "node_role_name", "node-role"),
    ],
)
def test_each_cluster_fact_may_come_from_another_stack(setting, field, access):
    settings, _ = load_settings({**AWS, "access": access, "aws": {setting: reference(setting)}})
    assert getattr(settings.cloud_object, field) == StackOutput(EKS, setting)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            reference(stack="acme eks"),
            "labelstudio:aws.oidcProviderArn.fromStack: 'acme eks' is not a stack name; write "
            "<organization>/<project>/<stack>, e.g. acme/eks/prod",
        ),
        (reference(stack="a/b/c/d"), "labelstudio:aws.oidcProviderArn.fromStack: 'a/b/c/d' is not a stack name"),
        (reference(output="oidc arn"), "labelstudio:aws.oidcProviderArn.output: 'oidc arn' is not a stack output name"),
        ({"fromStack": EKS}, "labelstudio:aws.oidcProviderArn.output: is required in a stack output reference"),
        (
            {**reference(), "fromStak": EKS},
            "labelstudio:aws.oidcProviderArn.fromStak: is not a key of a stack output reference; write "
            "(an object of fromStack: <organization>/<project>/<stack> and output: <output name>)",
        ),
        ({"fromStack": 7, "output": "x"}, "labelstudio:aws.oidcProviderArn.fromStack: 7 must be text, not a number"),
        (["acme/eks/prod"], 'labelstudio:aws.oidcProviderArn ["acme/eks/prod"] must be text or a stack output'),
    ],
)
def test_a_malformed_reference_is_refused_naming_the_key_and_the_fix(given, message):
    found = problems({"oidcProviderArn": given}, bucket="Bad_Bucket")
    assert any(problem.startswith(message) for problem in found), found
    assert any(problem.startswith("labelstudio:bucket 'Bad_Bucket'") for problem in found), "all at once"


def test_text_keeps_its_own_rule_beside_references():
    assert problems({"oidcProviderArn": "arn:aws:iam::1:role/x"}) == [
        "labelstudio:aws.oidcProviderArn 'arn:aws:iam::1:role/x' is not an IAM OIDC provider ARN; expected "
        "arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id> "
        "(aws eks describe-cluster shows the issuer)"
    ]


def test_the_program_reads_the_other_stack_and_trusts_what_it_exports():
    declaration = declare(aws_stack(aws={"oidcProviderArn": reference()}))

    assert declaration.error is None, declaration.error
    assert ("pulumi:pulumi:StackReference", EKS) in declaration.reads
    role = declaration.one(ROLE)
    federated = role.inputs["assumeRolePolicy"]
    assert "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/" in federated
    assert any(dependency.endswith(f"::{EKS}") for dependency in role.dependencies), "the role waits for the read"


def test_one_read_per_stack_however_many_settings_use_it():
    declaration = declare(
        aws_stack(
            access="pod-identity",
            aws={"clusterName": reference("clusterName"), "oidcProviderArn": reference()},
        )
    )
    assert declaration.error is None, declaration.error
    assert declaration.reads == [("pulumi:pulumi:StackReference", EKS)]
    association = declaration.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")[0]
    assert association.inputs["clusterName"] == "stand-in-cluster"


@pytest.mark.parametrize(
    ("exported", "message"),
    [
        (
            {"oidcProviderArn": "arn:aws:iam::123456789012:role/eks"},
            "labelstudio:aws.oidcProviderArn: output oidcProviderArn of stack acme/eks/prod is not an IAM OIDC "
            "provider ARN",
        ),
        ({}, "labelstudio:aws.oidcProviderArn: stack acme/eks/prod has no output oidcProviderArn holding text"),
    ],
)
def test_what_the_other_stack_exports_is_held_to_the_settings_rule(monkeypatch, exported, message):
    monkeypatch.setattr(StandInCloud, "stack_outputs", lambda self, stack: exported)
    declaration = declare(aws_stack(aws={"oidcProviderArn": reference()}))
    assert declaration.error is not None and message in declaration.error
    assert "Traceback" not in declaration.error


def test_the_shipped_example_plans_with_stand_ins_and_says_so():
    declaration = run_stack_file("examples/Pulumi.eks-shared.yaml")
    assert declaration.error is None, declaration.error
    assert any("reads outputs of stack acme/eks/prod" in note for note in declaration.notes)


WORKLOAD_IDENTITY = "gcp:serviceaccount/iAMMember:IAMMember"


def gcp_members(declaration: Any) -> set[str]:
    """The workload identity members granted use of the Google service account."""
    members = {binding.inputs["member"] for binding in declaration.of_type(WORKLOAD_IDENTITY)}
    return {member for member in members if ".svc.id.goog[" in member}


def test_the_gke_project_names_the_workload_identity_pool_and_may_come_from_the_cluster_stack():
    own = declare(gcp_stack())
    written = declare(gcp_stack(gcp={"clusterProject": "acme-gke-prod"}))
    read = declare(gcp_stack(gcp={"clusterProject": reference("projectId", "acme/gke/prod")}))

    assert own.error is None and written.error is None and read.error is None, (own.error, read.error)
    assert gcp_members(own) == {"serviceAccount:acme-ml-prod.svc.id.goog[label-studio/label-studio-ls-app]"}
    assert gcp_members(written) == {"serviceAccount:acme-gke-prod.svc.id.goog[label-studio/label-studio-ls-app]"}
    assert gcp_members(read) == {"serviceAccount:gke-stand-in-project.svc.id.goog[label-studio/label-studio-ls-app]"}
    assert read.reads == [("pulumi:pulumi:StackReference", "acme/gke/prod")]


def test_a_gke_project_that_is_no_project_id_is_refused():
    refused = declare(gcp_stack(gcp={"clusterProject": "Acme GKE"}))
    assert refused.error is not None and not refused.resources
    assert "labelstudio:gcp.clusterProject 'Acme GKE' is not a Google Cloud project id" in refused.error


def test_an_arn_read_from_the_cluster_stack_is_held_to_the_regions_partition(monkeypatch):
    china = "arn:aws-cn:iam::123456789012:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC"
    monkeypatch.setattr(StandInCloud, "stack_outputs", lambda self, stack: {"oidcProviderArn": china})
    declaration = declare(aws_stack(aws={"oidcProviderArn": reference()}))
    assert declaration.error is not None and not declaration.of_type(ROLE)
    assert (
        "labelstudio:aws.oidcProviderArn: output oidcProviderArn of stack acme/eks/prod is an ARN of partition "
        "aws-cn, but aws:region eu-west-1 is in partition aws" in declaration.error
    )
