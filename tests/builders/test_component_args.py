"""What each component refuses in its own arguments, named as the package's schema names them.

The stack's settings are checked before any component sees them; these checks guard the
components when other programs (Python or another language) call them directly.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.aws.component import aws_storage_problems
from components.azure.component import azure_storage_problems
from components.gcp.component import gcp_storage_problems
from components.kubernetes.release import release_problems

WORKLOADS = {"namespace": "ls", "service_accounts": {"app": "ls-ls-app"}}
AWS: dict[str, Any] = {
    "bucket": "acme",
    "region": "eu-west-1",
    "access": "irsa",
    "cors_origins": ["https://label.example.com"],
    "oidc_provider_arn": "arn:aws:iam::1:oidc-provider/x",
    "trusted_workloads": WORKLOADS,
}
GCP: dict[str, Any] = {
    "bucket": "acme",
    "project": "acme-ml",
    "access": "workload-identity",
    "cors_origins": [],
    "trusted_workloads": WORKLOADS,
}
AZURE: dict[str, Any] = {"container": "media", "location": "westeurope", "cors_origins": []}


@pytest.mark.parametrize(
    ("check", "args", "expected"),
    [
        (aws_storage_problems, AWS, []),
        (aws_storage_problems, {**AWS, "access": "keys"}, ["access 'keys' is not an access mode; use irsa"]),
        (aws_storage_problems, {**AWS, "oidc_provider_arn": None}, ["oidcProviderArn: access irsa needs the ARN"]),
        (aws_storage_problems, {**AWS, "trusted_workloads": None}, ["trustedWorkloads: access irsa needs"]),
        (aws_storage_problems, {**AWS, "access": "access-keys", "trusted_workloads": None}, []),
        (aws_storage_problems, {**AWS, "encryption": "des"}, ["encryption 'des' is not aes256 or kms"]),
        (aws_storage_problems, {**AWS, "bucket": "A"}, ["bucket 'A' is not a valid S3 bucket name"]),
        (aws_storage_problems, {**AWS, "folder": "/x/"}, ["folder '/x/' must not start or end with '/'"]),
        (aws_storage_problems, {**AWS, "cors_origins": ["*"]}, ["corsOrigins '*' wildcards are not allowed"]),
        (
            aws_storage_problems,
            {**AWS, "storage": "adopt", "force_destroy": True},
            ["forceDestroy never empties storage the stack did not create (storage is adopt)"],
        ),
        (aws_storage_problems, {**AWS, "storage": "create", "force_destroy": True}, []),
        (gcp_storage_problems, GCP, []),
        (
            gcp_storage_problems,
            {**GCP, "storage": "existing", "force_destroy": True},
            ["forceDestroy never empties storage the stack did not create (storage is existing)"],
        ),
        (
            gcp_storage_problems,
            {**GCP, "trusted_workloads": {"namespace": "ls", "service_accounts": {}}},
            ["trustedWorkloads: access workload-identity needs"],
        ),
        (gcp_storage_problems, {**GCP, "access": "key", "trusted_workloads": None}, []),
        (gcp_storage_problems, {**GCP, "bucket": "google-x"}, ["bucket 'google-x' is not a valid Cloud Storage"]),
        (azure_storage_problems, AZURE, []),
        (azure_storage_problems, {**AZURE, "container": "a--b"}, ["container 'a--b' is not a valid Azure blob"]),
        (release_problems, {"storage": {}}, []),
        (release_problems, {"storage": {}, "release": "x" * 60}, ["release '" + "x" * 60 + "' must be a Kubernetes"]),
        (release_problems, {"storage": {}, "credentials": "env"}, ["credentials 'env' is not secret or inline"]),
        (
            release_problems,
            {"storage": {}, "helm_values": {"enterprise": {"enabled": True}}},
            ["helmValues sets enterprise.enabled to something other than labelstudio:enterprise"],
        ),
    ],
)
def test_each_problem_names_its_argument_first(check, args, expected):
    problems = check({key: value for key, value in args.items() if value is not None})
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.sentence.startswith(start), problem
        # The pair names its argument, which the sentence names first: the engine shows it under that property.
        assert start.split(" ", 1)[0].rstrip(":") == problem.argument, problem
