"""The policy pack's rules, each with a passing and a violating stack, and the pack itself over gRPC."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from policy.rules import POLICIES, UNKNOWN, Resource, evaluate, is_credential
from tests.conftest import aws_stack, run
from tests.policy_analyzer import analyze, running_pack
from tools.plan import policy_resources


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
    "a tls deny on another bucket": (
        "tls-only",
        lambda rs: changed(
            rs, ":BucketPolicy", rewrite_policy(lambda d: d["Statement"][0].update(Resource="arn:aws:s3:::other/*"))
        ),
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
    {
        "accountName": "acmelabels",
        "allowBlobPublicAccess": False,
        "enableHttpsTrafficOnly": True,
        "minimumTlsVersion": "TLS1_2",
    },
    protect=True,
)
CONTAINER = Resource(
    "azure-native:storage:BlobContainer", "container", {"accountName": "acmelabels", "publicAccess": "None"}, True
)
BLOB_SERVICE = Resource(
    "azure-native:storage:BlobServiceProperties",
    "blob",
    {"accountName": "acmelabels", "deleteRetentionPolicy": {"enabled": True, "days": 30}},
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


# -- the pack, as the Pulumi CLI talks to it ---------------------------------------------------------


@pytest.fixture(scope="module")
def policy_pack():
    with running_pack() as stub:
        yield stub


def test_the_pack_passes_the_declared_stack_and_blocks_an_unprotected_bucket(policy_pack):
    resources = policy_resources(run(aws_stack(access="access-keys", credentials="inline")))
    assert analyze(policy_pack, resources) == []
    unprotected = changed(resources, "/bucket:Bucket", lambda r: replace(r, protect=False))
    (diagnostic,) = analyze(policy_pack, unprotected)
    assert diagnostic[0] == "storage-protected" and "labelstudio-bucket is not protected" in diagnostic[1]


def test_the_pack_knows_the_same_credential_keys_as_the_chart_values():
    from components.label_studio import CREDENTIAL_CHART_KEYS
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


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STORAGE_AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG"),
        ("STORAGE_AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        ("STORAGE_AZURE_ACCOUNT_KEY", "c3RhbmQtaW4="),
        ("POSTGRE_PASSWORD", "hunter2"),
        ("LABEL_STUDIO_USER_TOKEN", "abc"),
        ("AZURE_STORAGE_CONNECTION_STRING", "DefaultEndpointsProtocol=https;AccountName=a"),
        ("GOOGLE_APPLICATION_CREDENTIALS", '{"type": "service_account"}'),
        ("ANY_NAME", "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c3RhbmQ="),
        ("UPLOAD_URL", "https://acme.blob.core.windows.net/c?sv=2022&sig=abc"),
        ("REDIS_URL", "redis://:hunter2@redis:6379/0"),
        ("WHATEVER", "AKIAIOSFODNN7EXAMPLE"),
    ],
)
def test_credentials_are_recognised_by_name_or_by_value(name, value):
    assert is_credential(name, value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STORAGE_AWS_SIGNATURE_VERSION", "s3v4"),
        ("LABEL_STUDIO_HOST", "https://label.example.com"),
        ("STORAGE_AWS_SSE_KMS_KEY_ID", "arn:aws:kms:eu-west-1:111122223333:key/7e1c"),
        ("GOOGLE_APPLICATION_CREDENTIALS", "/var/secrets/key.json"),
        ("SSL_KEY_FILE", "/etc/tls/tls.key"),
        ("SECRET_KEY", ""),
        ("DATABASE_HOST", "postgres://db.internal:5432/labelstudio"),
    ],
)
def test_settings_that_only_look_like_credentials_are_not(name, value):
    assert not is_credential(name, value)
