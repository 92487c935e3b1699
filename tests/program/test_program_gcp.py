"""`__main__.py` itself, under the SDK's mocks, for Google Cloud: both access modes and both targets."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.gcp.component import default_service_account_id, label_value
from policy.rules import evaluate
from tests.conftest import GCP_PROJECT as PROJECT
from tests.conftest import KMS_KEY_NAME as KMS_KEY
from tests.conftest import assert_no_plain_text, gcp_stack, problems_of, run
from tools.mockrun import Declaration, Registration, Secret, reveal
from tools.plan import policy_resources

BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
ACCOUNT = "gcp:serviceaccount/account:Account"
ACCOUNT_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
KEY = "gcp:serviceaccount/key:Key"
KMS_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_SECRET = "kubernetes:core/v1:Secret"
# StandInCloud's answer for the project's Cloud Storage service agent.
STORAGE_AGENT = "serviceAccount:service-000000000000@gs-project-accounts.iam.gserviceaccount.com"
# The stack is "test" (tests.conftest.run).
DEFAULT_ID = default_service_account_id("label-studio", "test")
EMAIL = f"{DEFAULT_ID}@{PROJECT}.iam.gserviceaccount.com"
ACCOUNT_NAME = f"projects/{PROJECT}/serviceAccounts/{EMAIL}"
# What only the stand-in key file holds: its private key, the key's field name, and its base64 form.
STAND_IN_SECRETS = ('"private_key"', "stand-in", "eyJ0eXBlIjog")
VALID_ACCOUNT_ID = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])$")


def values_of(declaration: Declaration) -> dict[str, Any]:
    return declaration.one(RELEASE).inputs["values"]


def gcs_config(declaration: Declaration) -> dict[str, Any]:
    return reveal(values_of(declaration))["global"]["persistence"]["config"]["gcs"]


def account_members(declaration: Declaration, role: str) -> list[Registration]:
    return [r for r in declaration.of_type(ACCOUNT_MEMBER) if r.inputs["role"] == role]


# The stand-in key file as the provider's privateKey holds it once decoded, minus its key and key id.
KEY_FILE = {"type": "service_account", "project_id": PROJECT}


def key_file_of(key_json: str) -> dict[str, Any]:
    """The key file Label Studio gets, parsed: it must be the decoded JSON, not the provider's base64."""
    document = json.loads(key_json)
    assert document.pop("private_key") == "stand-in"
    assert isinstance(document.pop("private_key_id"), str)
    return document


# -- the bucket -----------------------------------------------------------------------------------


def test_workload_identity_declares_a_hardened_bucket_and_an_account_only_the_app_can_act_as():
    declaration = run(gcp_stack(folder="media"))
    storage = declaration.one("labelstudio:gcp:Storage")
    bucket = declaration.one(BUCKET)
    assert bucket.parent == storage.urn and storage.parent == ""
    assert bucket.protect is True
    assert bucket.inputs == {
        "name": "acme-labels",
        "project": PROJECT,
        "location": "US",
        "uniformBucketLevelAccess": True,
        "publicAccessPrevention": "enforced",
        "versioning": {"enabled": True},
        "lifecycleRules": [
            {"action": {"type": "Delete"}, "condition": {"daysSinceNoncurrentTime": 30, "withState": "ARCHIVED"}}
        ],
        "cors": [
            {
                "origins": ["https://label.example.com"],
                "methods": ["GET", "PUT", "POST", "DELETE", "HEAD"],
                "responseHeaders": ["Content-Type", "Access-Control-Allow-Origin"],
                "maxAgeSeconds": 3600,
            }
        ],
        "forceDestroy": False,
        "labels": {"app": "label-studio", "pulumi-stack": "test", "managed-by": "pulumi"},
    }
    assert not declaration.of_type(KMS_MEMBER) and bucket.dependencies == []

    account = declaration.one(ACCOUNT)
    assert account.inputs["accountId"] == DEFAULT_ID and account.inputs["project"] == PROJECT
    (object_admin,) = declaration.of_type(BUCKET_MEMBER)
    assert object_admin.inputs == {
        "bucket": "acme-labels",
        "role": "roles/storage.objectAdmin",
        "member": f"serviceAccount:{EMAIL}",
    }
    (signing,) = account_members(declaration, "roles/iam.serviceAccountTokenCreator")
    assert signing.inputs == {
        "serviceAccountId": ACCOUNT_NAME,
        "role": "roles/iam.serviceAccountTokenCreator",
        "member": f"serviceAccount:{EMAIL}",
    }
    (workload_identity,) = account_members(declaration, "roles/iam.workloadIdentityUser")
    assert workload_identity.inputs == {
        "serviceAccountId": ACCOUNT_NAME,
        "role": "roles/iam.workloadIdentityUser",
        "member": f"serviceAccount:{PROJECT}.svc.id.goog[label-studio/label-studio-ls-app]",
    }
    assert len(declaration.of_type(ACCOUNT_MEMBER)) == 2, "no other grant on the service account"
    assert not declaration.of_type(KEY) and not declaration.of_type(K8S_SECRET)

    values = reveal(values_of(declaration))
    assert values["app"]["serviceAccount"] == {
        "create": True,
        "name": "label-studio-ls-app",
        "annotations": {"iam.gke.io/gcp-service-account": EMAIL},
    }
    assert values["global"]["persistence"] == {
        "enabled": True,
        "type": "gcs",
        "config": {"gcs": {"projectID": PROJECT, "bucket": "acme-labels", "folder": "media"}},
    }
    release = declaration.one(RELEASE)
    for grant in (object_admin, signing, workload_identity):
        assert grant.urn in release.dependencies, f"pods must not start before {grant.name} exists"
    assert release.additional_secret_outputs == []
    assert {"envList", "serviceAccountKeyJson"}.isdisjoint(declaration.outputs)


def test_outputs_name_the_bucket_the_account_and_where_they_live():
    outputs = run(gcp_stack(folder="media", gcp={"location": "europe-west4"})).outputs
    assert {key: outputs[key] for key in outputs if key not in ("namespace", "releaseName", "serviceAccounts")} == {
        "cloud": "gcp",
        "target": "kubernetes",
        "access": "workload-identity",
        "storage": "create",
        "bucketName": "acme-labels",
        "bucketUrl": "gs://acme-labels",
        "serviceAccountEmail": EMAIL,
        "project": PROJECT,
        "location": "europe-west4",
        "folder": "media",
        "corsOrigins": ["https://label.example.com"],
    }


def test_cors_takes_every_listed_origin_and_retention_takes_its_days():
    origins = ["https://label.example.com", "http://localhost:8080"]
    bucket = run(gcp_stack(corsOrigins=origins, retentionDays=7)).one(BUCKET).inputs
    (cors,) = bucket["cors"]
    assert cors["origins"] == origins
    (rule,) = bucket["lifecycleRules"]
    assert rule["condition"]["daysSinceNoncurrentTime"] == 7


def test_bucket_labels_are_valid_whatever_the_stack_is_called():
    labels = run(gcp_stack(), stack="Prod.EU_1").one(BUCKET).inputs["labels"]
    assert labels["pulumi-stack"] == "prod-eu_1"
    assert all(re.fullmatch(r"[a-z0-9_-]{0,63}", value) for value in labels.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [("dev", "dev"), ("Prod.EU", "prod-eu"), ("a_b-c", "a_b-c"), ("x" * 80, "x" * 63), ("", "")],
)
def test_label_values_are_lowercase_and_short(text, expected):
    assert label_value(text) == expected


# -- customer-managed encryption ------------------------------------------------------------------


def test_a_kms_key_seals_the_bucket_only_after_the_storage_agent_may_use_it():
    declaration = run(gcp_stack(gcp={"kmsKeyName": KMS_KEY}))
    bucket = declaration.one(BUCKET)
    grant = declaration.one(KMS_MEMBER)
    assert bucket.inputs["encryption"] == {"defaultKmsKeyName": KMS_KEY}
    assert grant.inputs == {
        "cryptoKeyId": KMS_KEY,
        "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        "member": STORAGE_AGENT,
    }
    assert grant.urn in bucket.dependencies, "Cloud Storage refuses writes until its agent may use the key"
    assert grant.parent == declaration.one("labelstudio:gcp:Storage").urn
    assert grant.retain_on_delete is True, "a kept bucket's objects stay sealed by the key"
    assert declaration.outputs["kmsKeyName"] == KMS_KEY
    # The key belongs to Cloud Storage's agent, never to Label Studio's account.
    assert EMAIL not in json.dumps(reveal(grant.inputs))


def test_without_protection_the_key_grant_goes_with_the_stack():
    grant = run(gcp_stack(protect=False, gcp={"kmsKeyName": KMS_KEY})).one(KMS_MEMBER)
    assert grant.retain_on_delete is False


# -- protection and ownership ---------------------------------------------------------------------


@pytest.mark.parametrize("access", ["workload-identity", "key"])
def test_every_child_belongs_to_its_component_and_only_the_bucket_is_protected(access):
    declaration = run(gcp_stack(access=access, enterprise=True, gcp={"kmsKeyName": KMS_KEY}))
    components = {r.urn: r for r in declaration.resources if not r.custom}
    assert {r.type for r in components.values()} == {"labelstudio:gcp:Storage", "labelstudio:kubernetes:LabelStudio"}
    for resource in declaration.resources:
        if resource.custom:
            assert resource.parent in components, resource.name
            assert resource.protect is (resource.type == BUCKET), resource.type
        else:
            assert resource.parent == "" and resource.protect is False


def test_protection_and_force_destroy_are_explicit_choices():
    default = run(gcp_stack()).one(BUCKET)
    assert default.protect is True and default.inputs["forceDestroy"] is False
    chosen = run(gcp_stack(protect=False, forceDestroy=True)).one(BUCKET)
    assert chosen.protect is False and chosen.inputs["forceDestroy"] is True


@pytest.mark.parametrize("access", ["workload-identity", "key"])
def test_what_the_program_declares_passes_every_policy(access):
    declaration = run(gcp_stack(access=access, enterprise=True, gcp={"kmsKeyName": KMS_KEY}))
    assert evaluate(policy_resources(declaration)) == []


# -- Workload Identity ----------------------------------------------------------------------------


def test_enterprise_lets_the_rqworker_act_as_the_account_too():
    declaration = run(gcp_stack(enterprise=True, namespace="labels", release="ls"))
    members = sorted(r.inputs["member"] for r in account_members(declaration, "roles/iam.workloadIdentityUser"))
    assert members == [
        f"serviceAccount:{PROJECT}.svc.id.goog[labels/ls-ls-app]",
        f"serviceAccount:{PROJECT}.svc.id.goog[labels/ls-ls-rqworker]",
    ]
    email = declaration.outputs["serviceAccountEmail"]
    values = reveal(values_of(declaration))
    assert values["rqworker"]["serviceAccount"] == {
        "create": True,
        "name": "ls-ls-rqworker",
        "annotations": {"iam.gke.io/gcp-service-account": email},
    }
    assert values["app"]["serviceAccount"]["annotations"] == {"iam.gke.io/gcp-service-account": email}
    release = declaration.one(RELEASE)
    assert all(r.urn in release.dependencies for r in account_members(declaration, "roles/iam.workloadIdentityUser"))


def test_a_given_service_account_id_is_used():
    declaration = run(gcp_stack(gcp={"serviceAccountId": "label-studio-media"}))
    assert declaration.one(ACCOUNT).inputs["accountId"] == "label-studio-media"
    assert declaration.outputs["serviceAccountEmail"] == f"label-studio-media@{PROJECT}.iam.gserviceaccount.com"


# -- keys -----------------------------------------------------------------------------------------


def test_a_key_reaches_the_chart_through_a_secret_it_reads_in_a_whole_pair():
    declaration = run(gcp_stack(access="key", release="ls"))
    key = declaration.one(KEY)
    assert (
        key.inputs["serviceAccountId"]
        == f"projects/{PROJECT}/serviceAccounts/{declaration.outputs['serviceAccountEmail']}"
    )
    assert "privateKey" in key.additional_secret_outputs

    secret = declaration.one(K8S_SECRET)
    assert secret.inputs["metadata"]["name"] == "ls-storage-credentials"
    assert secret.inputs["metadata"]["namespace"] == "label-studio"
    data = secret.inputs["stringData"]
    assert isinstance(data, Secret)
    assert set(reveal(data)) == {"key_json"}
    assert key_file_of(reveal(data)["key_json"]) == KEY_FILE

    assert gcs_config(declaration) == {
        "projectID": PROJECT,
        "bucket": "acme-labels",
        "folder": "",
        "applicationCredentialsJSONExistingSecret": "ls-storage-credentials",
        "applicationCredentialsJSONExistingSecretKey": "key_json",
    }
    values = reveal(values_of(declaration))
    assert values["app"]["serviceAccount"]["annotations"] == {}
    assert not account_members(declaration, "roles/iam.workloadIdentityUser")
    (signing,) = account_members(declaration, "roles/iam.serviceAccountTokenCreator")
    assert signing.inputs["member"] == f"serviceAccount:{declaration.outputs['serviceAccountEmail']}"

    release = declaration.one(RELEASE)
    assert secret.urn in release.dependencies
    assert declaration.one(BUCKET_MEMBER).urn in release.dependencies
    assert release.additional_secret_outputs == []
    # Keyed access hands out the key for tools.check and a local Label Studio, secret as ever.
    assert isinstance(declaration.outputs["serviceAccountKeyJson"], Secret)
    assert isinstance(declaration.outputs["envList"], Secret)
    assert_no_plain_text(declaration, STAND_IN_SECRETS)


def test_an_inline_key_is_secret_in_the_values_and_in_the_release_outputs():
    declaration = run(gcp_stack(access="key", credentials="inline"))
    assert not declaration.of_type(K8S_SECRET)
    config = values_of(declaration)["global"]["persistence"]["config"]["gcs"]
    assert isinstance(config["applicationCredentialsJSON"], Secret)
    assert key_file_of(reveal(config["applicationCredentialsJSON"])) == KEY_FILE
    assert not any("ExistingSecret" in key for key in config)
    assert set(config) == {"projectID", "bucket", "folder", "applicationCredentialsJSON"}
    assert declaration.one(RELEASE).additional_secret_outputs == ["values"]
    assert_no_plain_text(declaration, STAND_IN_SECRETS)


def test_compose_declares_no_cluster_and_hands_out_a_secret_env_list_and_key_file():
    declaration = run(gcp_stack(target="compose", folder="ls", host="http://localhost:8080"))
    assert not [r for r in declaration.resources if "kubernetes" in r.type]
    assert {"releaseName", "namespace", "serviceAccounts"}.isdisjoint(declaration.outputs)
    assert declaration.outputs["access"] == "key"
    assert not account_members(declaration, "roles/iam.workloadIdentityUser")
    env_list = declaration.outputs["envList"]
    assert isinstance(env_list, Secret)
    assert env_list.value.splitlines() == [
        "STORAGE_TYPE=gcs",
        "STORAGE_GCS_BUCKET_NAME=acme-labels",
        f"STORAGE_GCS_PROJECT_ID={PROJECT}",
        "STORAGE_GCS_FOLDER=ls",
        "GOOGLE_APPLICATION_CREDENTIALS=/opt/heartex/secrets/key.json",
        "LABEL_STUDIO_HOST=http://localhost:8080",
    ]
    key_file = declaration.outputs["serviceAccountKeyJson"]
    assert isinstance(key_file, Secret)
    assert key_file_of(key_file.value) == KEY_FILE
    assert declaration.one(BUCKET).inputs["cors"][0]["origins"] == ["http://localhost:8080"]
    assert_no_plain_text(declaration, STAND_IN_SECRETS)


# -- settings refused before anything is declared -------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"bucket": "Acme-Labels"}, "labelstudio:bucket 'Acme-Labels' is not a valid Cloud Storage bucket name"),
        ({"bucket": "ab"}, "labelstudio:bucket 'ab' is not a valid Cloud Storage bucket name"),
        ({"bucket": "a" * 64}, "is not a valid Cloud Storage bucket name"),
        ({"bucket": "goog-labels"}, "labelstudio:bucket 'goog-labels' is not a valid Cloud Storage bucket name"),
        ({"bucket": "labels-"}, "labelstudio:bucket 'labels-' is not a valid Cloud Storage bucket name"),
        ({"bucket": "label$studio"}, "is not a valid Cloud Storage bucket name"),
        (
            {"gcp:project": None},
            "gcp:project is required for cloud gcp; run `pulumi config set gcp:project <project-id>`",
        ),
        ({"gcp:project": "Acme"}, "gcp:project 'Acme' is not a Google Cloud project id"),
        (
            {"gcp": {"kmsKeyName": "projects/acme/keyRings/storage/cryptoKeys/ls"}},
            "labelstudio:gcp.kmsKeyName 'projects/acme/keyRings/storage/cryptoKeys/ls' is not a Cloud KMS key name; "
            "expected "
            "projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>",
        ),
        (
            {"access": "irsa"},
            "labelstudio:access 'irsa' is not an access mode for cloud gcp; use workload-identity or key",
        ),
        (
            {"target": "compose", "access": "workload-identity"},
            "labelstudio:access 'workload-identity' cannot be used with target compose",
        ),
        ({"credentials": "inline"}, "labelstudio:credentials 'inline' has no effect with access workload-identity"),
        ({"gcp": {"kmsKey": KMS_KEY}}, "labelstudio:gcp.kmsKey: is not a setting; did you mean kmsKeyName?"),
        (
            {"gcp": {"serviceAccountId": "ls"}},
            "labelstudio:gcp.serviceAccountId 'ls' is not a service account id; use 6-30 lowercase letters",
        ),
        (
            {"gcp": {"serviceAccountId": "9-label-studio"}},
            "labelstudio:gcp.serviceAccountId '9-label-studio' is not a service account id",
        ),
        (
            {"gcp": {"location": "us central1"}},
            "labelstudio:gcp.location 'us central1' is not a Cloud Storage location",
        ),
    ],
)
def test_each_gcp_mistake_stops_the_program_with_one_clear_message(settings, expected):
    message = problems_of(gcp_stack(**settings))
    assert expected in message
    assert "1 problem;" in message


@pytest.mark.parametrize("bucket", ["abc", "a" * 63, "acme_labels.media-1", "0-labels"])
def test_valid_bucket_names_at_the_edges_are_accepted(bucket):
    assert run(gcp_stack(bucket=bucket)).one(BUCKET).inputs["name"] == bucket


def test_the_aws_object_is_refused_by_name_on_gcp():
    message = problems_of(gcp_stack(aws={"encryption": "kms"}))
    assert "labelstudio:aws" in message and "applies to cloud aws only" in message and "cloud is gcp" in message


def test_every_problem_is_reported_at_once():
    message = problems_of(gcp_stack(bucket="goog-x", access="magic", gcp={"kmsKeyName": "key"}))
    assert "3 problems" in message
    assert "labelstudio:bucket 'goog-x'" in message
    assert "labelstudio:access 'magic'" in message
    assert "labelstudio:gcp.kmsKeyName" in message


def test_a_project_from_the_environment_is_used_as_the_provider_would(monkeypatch):
    monkeypatch.setenv("GOOGLE_PROJECT", "env-project-1")
    declaration = run(gcp_stack(**{"gcp:project": None}))
    assert declaration.outputs["project"] == "env-project-1"
    assert declaration.one(BUCKET).inputs["project"] == "env-project-1"


# -- the default service account id ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("release", "stack"),
    [
        ("a", "dev"),
        ("1", "dev"),
        ("label-studio", "prod"),
        ("x" * 51, "staging"),
        ("0" * 51, "s"),
        ("a" + "-" * 49 + "b", "dev"),
        ("ls-" * 17, "dev"),
    ],
)
def test_default_service_account_ids_are_valid_for_shortest_and_longest_releases(release, stack):
    account_id = default_service_account_id(release, stack)
    assert 6 <= len(account_id) <= 30 and VALID_ACCOUNT_ID.match(account_id), account_id


def test_default_service_account_ids_read_like_the_release_and_keep_stacks_apart():
    assert DEFAULT_ID.startswith("ls-label-studio-")
    assert default_service_account_id("label-studio", "dev") != default_service_account_id("label-studio", "prod")
    assert default_service_account_id("label-studio", "dev") == default_service_account_id("label-studio", "dev")


RELEASES = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,49}[a-z0-9])?", fullmatch=True)
STACKS = st.from_regex(r"[A-Za-z0-9_.-]{1,100}", fullmatch=True)


@given(RELEASES, STACKS)
def test_every_valid_release_gets_a_valid_service_account_id(release, stack):
    account_id = default_service_account_id(release, stack)
    assert 6 <= len(account_id) <= 30 and VALID_ACCOUNT_ID.match(account_id), account_id
