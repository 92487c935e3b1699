"""The policy pack's rules, each with a passing and a violating stack, and the pack itself over gRPC."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2

from policy.rules import POLICIES, Resource, evaluate
from tests.conftest import aws_stack, run
from tools.mockrun import Declaration, reveal
from tools.plan import policy_resources

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def aws_resources() -> list[Resource]:
    return policy_resources(
        run(aws_stack(access="access-keys", credentials="inline", enterprise=True, aws={"encryption": "kms"}))
    )


@pytest.fixture(scope="module")
def irsa_resources() -> list[Resource]:
    return policy_resources(run(aws_stack(enterprise=True)))


def violated(resources: list[Resource]) -> set[str]:
    return {violation.policy for violation in evaluate(resources)}


def changed(resources: list[Resource], type_suffix: str, change: Callable[[Resource], Resource]) -> list[Resource]:
    return [change(r) if r.type.endswith(type_suffix) else r for r in resources]


def with_props(**props: Any) -> Callable[[Resource], Resource]:
    return lambda r: replace(r, props={**r.props, **props})


def without(resources: list[Resource], type_suffix: str) -> list[Resource]:
    return [r for r in resources if not r.type.endswith(type_suffix)]


def test_what_the_program_declares_passes_every_policy(aws_resources, irsa_resources):
    assert evaluate(aws_resources) == []
    assert evaluate(irsa_resources) == []


def rewrite_policy(document_change: Callable[[dict], None]) -> Callable[[Resource], Resource]:
    def change(resource: Resource) -> Resource:
        document = json.loads(resource.props["policy"])
        document_change(document)
        return replace(resource, props={**resource.props, "policy": json.dumps(document)})

    return change


def rewrite_trust(condition: dict) -> Callable[[Resource], Resource]:
    def change(resource: Resource) -> Resource:
        document = json.loads(resource.props["assumeRolePolicy"])
        document["Statement"][0]["Condition"] = condition
        return replace(resource, props={**resource.props, "assumeRolePolicy": json.dumps(document)})

    return change


AWS_VIOLATIONS = {
    "public ACL": ("no-public-storage", lambda rs: changed(rs, "/bucket:Bucket", with_props(acl="public-read"))),
    "no public-access block": ("no-public-storage", lambda rs: without(rs, ":BucketPublicAccessBlock")),
    "a block half off": (
        "no-public-storage",
        lambda rs: changed(rs, ":BucketPublicAccessBlock", with_props(restrictPublicBuckets=False)),
    ),
    "no encryption": ("encryption-at-rest", lambda rs: without(rs, ":BucketServerSideEncryptionConfiguration")),
    "no tls policy": ("tls-only", lambda rs: without(rs, ":BucketPolicy")),
    "a policy that allows http": (
        "tls-only",
        lambda rs: changed(rs, ":BucketPolicy", rewrite_policy(lambda d: d["Statement"][0].update(Effect="Allow"))),
    ),
    "versioning suspended": (
        "versioning-or-soft-delete",
        lambda rs: changed(rs, ":BucketVersioning", with_props(versioningConfiguration={"status": "Suspended"})),
    ),
    "s3:* action": (
        "iam-scoped-to-the-bucket",
        lambda rs: changed(rs, "iam/policy:Policy", rewrite_policy(lambda d: d["Statement"][1].update(Action="s3:*"))),
    ),
    "every resource": (
        "iam-scoped-to-the-bucket",
        lambda rs: changed(rs, "iam/policy:Policy", rewrite_policy(lambda d: d["Statement"][1].update(Resource="*"))),
    ),
    "credentials in values not secret": (
        "no-plain-credentials-in-helm-values",
        lambda rs: changed(rs, "v3:Release", lambda r: replace(r, secret_outputs=())),
    ),
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


GCS = Resource(
    "gcp:storage/bucket:Bucket",
    "bucket",
    {"publicAccessPrevention": "enforced", "uniformBucketLevelAccess": True, "versioning": {"enabled": True}},
    protect=True,
)
WORKLOAD_IDENTITY = Resource(
    "gcp:serviceaccount/iAMMember:IAMMember",
    "wi",
    {
        "role": "roles/iam.workloadIdentityUser",
        "member": "serviceAccount:acme.svc.id.goog[label-studio/label-studio-ls-app]",
    },
)
BUCKET_MEMBER = Resource(
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    "member",
    {"role": "roles/storage.objectAdmin", "member": "serviceAccount:x"},
)
ACCOUNT = Resource(
    "azure-native:storage:StorageAccount",
    "account",
    {"allowBlobPublicAccess": False, "enableHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2"},
    protect=True,
)
CONTAINER = Resource("azure-native:storage:BlobContainer", "container", {"publicAccess": "None"}, protect=True)
BLOB_SERVICE = Resource(
    "azure-native:storage:BlobServiceProperties", "blob", {"deleteRetentionPolicy": {"enabled": True, "days": 30}}
)
GOOD_GCP = [GCS, WORKLOAD_IDENTITY, BUCKET_MEMBER]
GOOD_AZURE = [ACCOUNT, CONTAINER, BLOB_SERVICE]

OTHER_CLOUD_VIOLATIONS = {
    "gcs public access inherited": ("no-public-storage", GOOD_GCP, GCS, {"publicAccessPrevention": "inherited"}),
    "gcs object acls": ("no-public-storage", GOOD_GCP, GCS, {"uniformBucketLevelAccess": False}),
    "gcs bucket for allUsers": ("no-public-storage", GOOD_GCP, BUCKET_MEMBER, {"member": "allUsers"}),
    "gcs without versioning": ("versioning-or-soft-delete", GOOD_GCP, GCS, {"versioning": {"enabled": False}}),
    "wildcard workload identity": (
        "oidc-trust-pinned",
        GOOD_GCP,
        WORKLOAD_IDENTITY,
        {"member": "serviceAccount:acme.svc.id.goog[label-studio/*]"},
    ),
    "azure public blobs": ("no-public-storage", GOOD_AZURE, ACCOUNT, {"allowBlobPublicAccess": True}),
    "azure public container": ("no-public-storage", GOOD_AZURE, CONTAINER, {"publicAccess": "Blob"}),
    "azure http": ("tls-only", GOOD_AZURE, ACCOUNT, {"enableHttpsTrafficOnly": False}),
    "azure tls 1.0": ("tls-only", GOOD_AZURE, ACCOUNT, {"minimumTlsVersion": "TLS1_0"}),
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


def test_good_gcp_and_azure_stacks_pass():
    assert evaluate(GOOD_GCP) == [] and evaluate(GOOD_AZURE) == []


@pytest.mark.parametrize("case", sorted(OTHER_CLOUD_VIOLATIONS))
def test_each_gcp_and_azure_rule_catches_its_violation(case):
    policy, stack, target, props = OTHER_CLOUD_VIOLATIONS[case]
    broken = [with_props(**props)(r) if r is target else r for r in stack]
    assert violated(broken) == {policy}


def test_project_wide_storage_roles_are_refused():
    project_member = Resource(
        "gcp:projects/iAMMember:IAMMember", "p", {"role": "roles/storage.objectAdmin", "member": "x"}
    )
    assert violated([*GOOD_GCP, project_member]) == {"iam-scoped-to-the-bucket"}


def test_unprotected_gcp_and_azure_storage_is_refused():
    assert violated([replace(GCS, protect=False), WORKLOAD_IDENTITY]) == {"storage-protected"}
    assert violated([replace(ACCOUNT, protect=False), CONTAINER, BLOB_SERVICE]) == {"storage-protected"}


def test_unknown_values_during_a_preview_are_not_violations(aws_resources):
    unknown_bucket_names = [
        replace(r, props={**r.props, "bucket": None}) if "bucket" in r.props else r for r in aws_resources
    ]
    assert evaluate(unknown_bucket_names) == []


def test_every_policy_has_a_distinct_name_and_a_description():
    names = [policy.name for policy in POLICIES]
    assert len(names) == len(set(names)) == 8
    assert all(policy.description.endswith(".") for policy in POLICIES)


# -- the pack, as the Pulumi CLI talks to it ---------------------------------------------------------


@pytest.fixture(scope="module")
def policy_pack():
    """The policy pack's gRPC analyzer, started the way the CLI starts it: it prints its port."""
    from pulumi.runtime.proto import analyzer_pb2_grpc

    # The pack's own environment (policy/venv, from scripts/setup.sh), as the CLI would run it:
    # this also proves policy/requirements.txt is all the pack needs.
    python = ROOT / "policy" / "venv" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run scripts/setup.sh", pytrace=False)
    process = subprocess.Popen([str(python), "__main__.py"], cwd=ROOT / "policy", stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(10)


def analyze(stub: Any, declaration: Declaration, unprotect: str = "") -> list[tuple[str, str]]:
    from pulumi.runtime.proto import analyzer_pb2

    resources = []
    for r in declaration.resources:
        if not r.custom:
            continue
        properties = struct_pb2.Struct()
        json_format.ParseDict(reveal(r.inputs), properties)
        options = analyzer_pb2.AnalyzerResourceOptions(
            protect=r.protect and r.type != unprotect, additionalSecretOutputs=r.additional_secret_outputs
        )
        resources.append(
            analyzer_pb2.AnalyzerResource(type=r.type, name=r.name, urn=r.urn, properties=properties, options=options)
        )
    response = stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources))
    return [(d.policyName, d.message) for d in response.diagnostics]


def test_the_pack_passes_the_declared_stack_and_blocks_an_unprotected_bucket(policy_pack):
    declaration = run(aws_stack(access="access-keys", credentials="inline"))
    assert analyze(policy_pack, declaration) == []
    (diagnostic,) = analyze(policy_pack, declaration, unprotect="aws:s3/bucket:Bucket")
    assert diagnostic[0] == "storage-protected" and "labelstudio-bucket is not protected" in diagnostic[1]


def test_the_pack_knows_the_same_credential_keys_as_the_chart_values():
    from components.chart_values import CREDENTIAL_CHART_KEYS
    from policy.rules import CREDENTIAL_CHART_KEYS as POLICY_KEYS

    # The pack runs in its own environment without this project's code, so it keeps a copy.
    assert set(POLICY_KEYS) == set(CREDENTIAL_CHART_KEYS)


def test_license_and_database_secret_references_are_not_mistaken_for_credentials(aws_resources):
    references = {"enterprise": {"enterpriseLicense": {"secretName": "l", "secretKey": "license"}}}

    def add_references(release: Resource) -> Resource:
        return replace(
            release, props={**release.props, "values": {**release.props["values"], **references}}, secret_outputs=()
        )

    keyless = [r for r in aws_resources if not r.type.endswith("v3:Release")]
    release = next(r for r in policy_resources(run(aws_stack())) if r.type.endswith("v3:Release"))
    assert violated([*keyless, add_references(release)]) == set()
