"""`__main__.py` itself, under the SDK's mocks, for every AWS access mode and both targets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ISSUER, OIDC_ARN, assert_no_plain_text, aws_stack, problems_of, run
from tools.mockrun import Declaration, Secret, declare, reveal

BUCKET = "aws:s3/bucket:Bucket"
RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_SECRET = "kubernetes:core/v1:Secret"
STAND_IN_SECRETS = ("stand-in-secret-access-key", "STANDINACCESSKEYID")


def values_of(declaration: Declaration) -> dict[str, Any]:
    return declaration.one(RELEASE).inputs["values"]


def s3_config(declaration: Declaration) -> dict[str, Any]:
    return reveal(values_of(declaration))["global"]["persistence"]["config"]["s3"]


def test_irsa_declares_a_hardened_bucket_and_a_role_only_the_app_can_assume():
    declaration = run(aws_stack(folder="media"))
    storage = declaration.one("labelstudio:aws:Storage")
    bucket = declaration.one(BUCKET)
    assert bucket.inputs["bucket"] == "acme-labels"
    assert bucket.protect is True and bucket.inputs["forceDestroy"] is False
    assert bucket.parent == storage.urn and storage.parent == ""

    block = declaration.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[key] is True
        for key in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert declaration.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"
    }
    assert declaration.one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"] == {
        "status": "Enabled"
    }
    (rule,) = declaration.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    (lifecycle,) = declaration.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert lifecycle["noncurrentVersionExpiration"] == {"noncurrentDays": 30} and lifecycle["status"] == "Enabled"

    (cors,) = declaration.one("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration").inputs["corsRules"]
    assert cors == {
        "allowedHeaders": ["*"],
        "allowedMethods": ["GET", "PUT", "POST", "DELETE", "HEAD"],
        "allowedOrigins": ["https://label.example.com"],
        "exposeHeaders": ["x-amz-server-side-encryption", "x-amz-request-id", "x-amz-id-2"],
        "maxAgeSeconds": 3600,
    }

    public_access = declaration.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    bucket_policy = declaration.one("aws:s3/bucketPolicy:BucketPolicy")
    assert public_access.urn in bucket_policy.dependencies, "the bucket policy must wait for the public-access block"
    (deny,) = json.loads(bucket_policy.inputs["policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    policy = json.loads(declaration.one("aws:iam/policy:Policy").inputs["policy"])
    resources = {s["Sid"]: s["Resource"] for s in policy["Statement"]}
    assert resources == {
        "ListTheBucket": "arn:aws:s3:::acme-labels",
        "ReadWriteObjects": "arn:aws:s3:::acme-labels/media/*",
    }

    role = declaration.one("aws:iam/role:Role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Federated": OIDC_ARN}
    assert trust["Condition"]["StringEquals"] == {
        f"{ISSUER}:aud": "sts.amazonaws.com",
        f"{ISSUER}:sub": "system:serviceaccount:label-studio:label-studio-ls-app",
    }
    attachment = declaration.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["role"] == declaration.outputs["roleName"]
    assert attachment.inputs["policyArn"] == declaration.outputs["policyArn"]

    values = reveal(values_of(declaration))
    role_arn = declaration.outputs["roleArn"]
    assert values["app"]["serviceAccount"] == {
        "create": True,
        "name": "label-studio-ls-app",
        "annotations": {"eks.amazonaws.com/role-arn": role_arn},
    }
    assert values["global"]["persistence"] == {
        "enabled": True,
        "type": "s3",
        "config": {"s3": {"bucket": "acme-labels", "region": "eu-west-1", "folder": "media"}},
    }
    # Every container that signs links must sign SigV4: S3 refuses SigV2 for new buckets and SSE-KMS.
    assert values["global"]["extraEnvironmentVars"] == {
        "STORAGE_AWS_S3_SIGNATURE_VERSION": "s3v4",
        "LABEL_STUDIO_HOST": "https://label.example.com",
    }
    release = declaration.one(RELEASE)
    assert attachment.urn in release.dependencies, "pods must not start before the role can reach the bucket"
    assert not declaration.of_type(K8S_SECRET) and not declaration.of_type("aws:iam/user:User")
    assert declaration.outputs["serviceAccounts"] == {"app": "label-studio-ls-app"}


def test_every_child_belongs_to_its_component_and_only_storage_is_protected():
    declaration = run(aws_stack(access="access-keys", aws={"encryption": "kms"}))
    components = {r.urn: r for r in declaration.resources if not r.custom}
    assert {r.type for r in components.values()} == {"labelstudio:aws:Storage", "labelstudio:kubernetes:LabelStudio"}
    for resource in declaration.resources:
        if resource.custom:
            assert resource.parent in components, resource.name
            expected = "aws:kms" in resource.type or resource.type == BUCKET
            assert resource.protect is expected, resource.type
        else:
            assert resource.parent == "" and resource.protect is False


def test_release_is_the_heartex_chart_with_its_pinned_version_in_a_created_namespace():
    declaration = run(aws_stack(namespace="labels", release="ls", chartVersion="2.0.6"))
    release = declaration.one(RELEASE)
    namespace = declaration.one("kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["name"] == "labels"
    assert release.inputs["chart"] == "label-studio"
    assert release.inputs["repositoryOpts"] == {"repo": "https://charts.heartex.com/"}
    assert release.inputs["version"] == "2.0.6"
    assert release.inputs["name"] == "ls" and release.inputs["namespace"] == "labels"
    assert namespace.urn in release.dependencies
    assert declaration.outputs["releaseName"] == "ls" and declaration.outputs["namespace"] == "labels"


def test_an_existing_namespace_is_used_not_created():
    declaration = run(aws_stack(namespace="default", createNamespace=False))
    assert not declaration.of_type("kubernetes:core/v1:Namespace")
    assert declaration.one(RELEASE).inputs["namespace"] == "default"


def test_enterprise_trusts_and_annotates_the_rqworker_service_account_too():
    declaration = run(aws_stack(enterprise=True))
    (trust,) = json.loads(declaration.one("aws:iam/role:Role").inputs["assumeRolePolicy"])["Statement"]
    assert trust["Condition"]["StringEquals"][f"{ISSUER}:sub"] == [
        "system:serviceaccount:label-studio:label-studio-ls-app",
        "system:serviceaccount:label-studio:label-studio-ls-rqworker",
    ]
    values = reveal(values_of(declaration))
    assert values["rqworker"]["serviceAccount"]["name"] == "label-studio-ls-rqworker"
    assert values["rqworker"]["serviceAccount"]["annotations"] == values["app"]["serviceAccount"]["annotations"]
    assert values["enterprise"] == {"enabled": True}


def test_pod_identity_associates_the_role_with_each_service_account():
    declaration = run(aws_stack(access="pod-identity", enterprise=True, aws={"clusterName": "ml-prod"}))
    role = declaration.one("aws:iam/role:Role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    associations = declaration.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert sorted(
        (a.inputs["clusterName"], a.inputs["namespace"], a.inputs["serviceAccount"]) for a in associations
    ) == [
        ("ml-prod", "label-studio", "label-studio-ls-app"),
        ("ml-prod", "label-studio", "label-studio-ls-rqworker"),
    ]
    assert all(a.inputs["roleArn"] == declaration.outputs["roleArn"] for a in associations)
    assert reveal(values_of(declaration))["app"]["serviceAccount"]["annotations"] == {}
    release = declaration.one(RELEASE)
    assert all(a.urn in release.dependencies for a in associations)


def test_node_role_attaches_the_policy_to_the_existing_role_and_nothing_else():
    declaration = run(aws_stack(access="node-role", aws={"nodeRoleName": "eks-nodes"}))
    attachment = declaration.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["role"] == "eks-nodes"
    assert not declaration.of_type("aws:iam/role:Role") and not declaration.of_type("aws:iam/accessKey:AccessKey")
    assert reveal(values_of(declaration))["app"]["serviceAccount"]["annotations"] == {}
    assert "accessKey" not in s3_config(declaration)
    assert declaration.outputs["nodeRoleName"] == "eks-nodes"


def test_access_keys_reach_the_chart_through_a_secret_it_reads_in_whole_pairs():
    declaration = run(aws_stack(access="access-keys", aws=None, release="ls"))
    user = declaration.one("aws:iam/user:User")
    key = declaration.one("aws:iam/accessKey:AccessKey")
    assert "secret" in key.additional_secret_outputs
    assert declaration.one("aws:iam/userPolicyAttachment:UserPolicyAttachment").inputs["user"] == key.inputs["user"]
    secret = declaration.one(K8S_SECRET)
    assert secret.inputs["metadata"]["name"] == "ls-storage-credentials"
    assert secret.inputs["metadata"]["namespace"] == "label-studio"
    data = secret.inputs["stringData"]
    assert isinstance(data, Secret)
    assert reveal(data) == {"accesskey": "STANDINACCESSKEYID", "secretkey": "stand-in-secret-access-key"}

    config = s3_config(declaration)
    assert config == {
        "bucket": "acme-labels",
        "region": "eu-west-1",
        "folder": "",
        "accessKeyExistingSecret": "ls-storage-credentials",
        "accessKeyExistingSecretKey": "accesskey",
        "secretKeyExistingSecret": "ls-storage-credentials",
        "secretKeyExistingSecretKey": "secretkey",
    }
    release = declaration.one(RELEASE)
    assert secret.urn in release.dependencies
    assert release.additional_secret_outputs == []
    assert declaration.outputs["userName"] == key.inputs["user"]
    assert user.inputs["path"] == "/labelstudio/"
    assert_no_plain_text(declaration, STAND_IN_SECRETS)


def test_inline_keys_are_secret_in_the_values_and_in_the_release_outputs():
    declaration = run(aws_stack(access="access-keys", credentials="inline", aws=None))
    assert not declaration.of_type(K8S_SECRET)
    config = values_of(declaration)["global"]["persistence"]["config"]["s3"]
    assert isinstance(config["accessKey"], Secret) and isinstance(config["secretKey"], Secret)
    assert not any(key.endswith("ExistingSecret") for key in config)
    assert declaration.one(RELEASE).additional_secret_outputs == ["values"]
    assert_no_plain_text(declaration, STAND_IN_SECRETS)


def test_compose_declares_no_cluster_and_hands_out_a_secret_env_list():
    declaration = run(aws_stack(target="compose", folder="ls", aws=None))
    assert not [r for r in declaration.resources if r.type.startswith("kubernetes:") or "kubernetes" in r.type]
    assert {"releaseName", "namespace", "serviceAccounts"}.isdisjoint(declaration.outputs)
    env_list = declaration.outputs["envList"]
    assert isinstance(env_list, Secret)
    assert env_list.value.splitlines() == [
        "STORAGE_TYPE=s3",
        "STORAGE_AWS_ACCESS_KEY_ID=STANDINACCESSKEYID",
        "STORAGE_AWS_SECRET_ACCESS_KEY=stand-in-secret-access-key",
        "STORAGE_AWS_BUCKET_NAME=acme-labels",
        "STORAGE_AWS_REGION_NAME=eu-west-1",
        "STORAGE_AWS_FOLDER=ls",
        "STORAGE_AWS_S3_SIGNATURE_VERSION=s3v4",
        "LABEL_STUDIO_HOST=https://label.example.com",
    ]
    assert declaration.outputs["access"] == "access-keys"
    assert declaration.outputs["storage"] == "create"  # `check` holds existing storage to warnings only
    assert_no_plain_text(declaration, STAND_IN_SECRETS)


def test_kms_without_a_key_creates_a_rotating_protected_key_and_grants_it():
    declaration = run(aws_stack(aws={"oidcProviderArn": OIDC_ARN, "encryption": "kms"}))
    key = declaration.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True and key.protect is True
    key_arn = declaration.outputs["kmsKeyArn"]
    (rule,) = declaration.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"]
    assert rule == {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn},
        "bucketKeyEnabled": True,
    }
    policy = json.loads(declaration.one("aws:iam/policy:Policy").inputs["policy"])
    assert {
        "Sid": "UseTheBucketKey",
        "Effect": "Allow",
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": key_arn,
    } in policy["Statement"]


def test_a_given_kms_key_is_used_not_created():
    arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    declaration = run(aws_stack(aws={"oidcProviderArn": OIDC_ARN, "kmsKeyArn": arn}))
    assert not declaration.of_type("aws:kms/key:Key")
    (rule,) = declaration.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == arn


def test_protection_and_force_destroy_are_explicit_choices():
    default = run(aws_stack()).one(BUCKET)
    assert default.protect is True and default.inputs["forceDestroy"] is False
    chosen = run(aws_stack(protect=False, forceDestroy=True)).one(BUCKET)
    assert chosen.protect is False and chosen.inputs["forceDestroy"] is True


def test_user_helm_values_reach_the_release_and_secret_ones_stay_secret():
    declaration = run(aws_stack(helmValues={"app": {"ingress": {"enabled": True, "host": "label.example.com"}}}))
    assert reveal(values_of(declaration))["app"]["ingress"] == {"enabled": True, "host": "label.example.com"}
    assert declaration.one(RELEASE).additional_secret_outputs == []

    secret_values = run(aws_stack(helmValues={"global": {"pgConfig": {"password": {"secure": "v1:abc"}}}}))
    password = values_of(secret_values)["global"]["pgConfig"]["password"]
    assert isinstance(password, Secret)
    assert secret_values.one(RELEASE).additional_secret_outputs == ["values"]


def test_bad_settings_stop_the_program_before_any_resource_with_every_problem():
    message = problems_of(aws_stack(bucket="Bad_Bucket", access="magic"))
    assert "labelstudio:bucket 'Bad_Bucket'" in message
    assert "labelstudio:access 'magic'" in message
    assert "2 problems" in message


@pytest.mark.parametrize("target", ["kubernetes", "compose"])
def test_outputs_name_the_storage_for_both_targets(target):
    declaration = run(aws_stack(target=target, access="access-keys", aws=None))
    outputs = declaration.outputs
    assert outputs["bucketName"] == "acme-labels" and outputs["bucketArn"] == "arn:aws:s3:::acme-labels"
    assert outputs["region"] == "eu-west-1" and outputs["folder"] == "" and outputs["cloud"] == "aws"
    assert outputs["target"] == target


@pytest.mark.parametrize("access", ["irsa", "pod-identity", "node-role", "access-keys"])
def test_links_are_signed_sigv4_in_every_access_mode_and_without_a_host(access):
    aws_settings = {
        "irsa": {"oidcProviderArn": OIDC_ARN},
        "pod-identity": {"clusterName": "ml"},
        "node-role": {"nodeRoleName": "nodes"},
        "access-keys": None,
    }[access]
    declaration = run(aws_stack(access=access, aws=aws_settings, host=None, corsOrigins=["https://label.example.com"]))
    environment = reveal(values_of(declaration))["global"]["extraEnvironmentVars"]
    assert environment == {"STORAGE_AWS_S3_SIGNATURE_VERSION": "s3v4"}, "no host: Label Studio keeps the chart's own"


def test_user_values_cannot_turn_sigv2_back_on_or_contradict_the_host():
    message = problems_of(
        aws_stack(
            helmValues={
                "global": {
                    "extraEnvironmentVars": {
                        "STORAGE_AWS_S3_SIGNATURE_VERSION": "s3",
                        "LABEL_STUDIO_HOST": "https://other.example.com",
                    }
                }
            }
        )
    )
    assert "labelstudio:helmValues" in message
    assert "STORAGE_AWS_S3_SIGNATURE_VERSION" in message and "LABEL_STUDIO_HOST" in message


# -- existing and adopted buckets ---------------------------------------------------------------------

STORAGE_TYPES = ("aws:s3/", "aws:kms/")


def storage_resources(declaration: Declaration) -> list[str]:
    return [r.type for r in declaration.resources if r.type.startswith(STORAGE_TYPES)]


@pytest.mark.parametrize("access", ["irsa", "pod-identity", "node-role", "access-keys"])
def test_an_existing_bucket_is_read_not_declared_and_only_access_is(access):
    aws = {"oidcProviderArn": OIDC_ARN, "clusterName": "prod", "nodeRoleName": "nodes"}
    aws = {key: value for key, value in aws.items() if access != "access-keys" or key == "oidcProviderArn"}
    declaration = run(
        aws_stack(storage="existing", folder="media", access=access, aws=aws if access != "access-keys" else None)
    )
    assert storage_resources(declaration) == []
    assert declaration.imports == []
    policy = json.loads(declaration.one("aws:iam/policy:Policy").inputs["policy"])
    assert "arn:aws:s3:::acme-labels/media/*" in json.dumps(policy)
    assert declaration.outputs["bucketArn"] == "arn:aws:s3:::acme-labels"  # read with aws.s3.get_bucket
    assert declaration.outputs["storage"] == "existing"
    assert s3_config(declaration)["bucket"] == "acme-labels" if access != "access-keys" else True


def test_an_existing_bucket_gets_cors_only_when_asked_and_then_the_whole_rule():
    declaration = run(aws_stack(storage="existing", folder="media", manageCors=True))
    assert storage_resources(declaration) == ["aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"]
    cors = declaration.one("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration").inputs
    assert cors["bucket"] == "acme-labels"
    assert cors["corsRules"][0]["allowedOrigins"] == ["https://label.example.com"]


def test_an_existing_bucket_with_kms_needs_its_key_and_creates_none():
    refused = declare(aws_stack(storage="existing", aws={"oidcProviderArn": OIDC_ARN, "encryption": "kms"}))
    assert refused.error is not None and "kmsKeyArn" in refused.error and "creates no key" in refused.error
    assert [r.type for r in refused.resources if r.custom] == []
    key = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-4000-8000-000000000001"
    declaration = run(aws_stack(storage="existing", aws={"oidcProviderArn": OIDC_ARN, "kmsKeyArn": key}))
    assert storage_resources(declaration) == []
    assert key in declaration.one("aws:iam/policy:Policy").inputs["policy"]


def test_adopting_imports_the_bucket_by_its_name_protected_and_keeps_old_versions():
    declaration = run(aws_stack(storage="adopt", folder="media", protect=False))
    bucket = declaration.one(BUCKET)
    assert bucket.import_id == "acme-labels"  # the id pulumi_aws documents for aws.s3.Bucket
    assert bucket.protect is True
    assert set(bucket.inputs) <= {"bucket", "forceDestroy"} and "tags" not in bucket.inputs
    assert [r.name for r in declaration.imports] == ["labelstudio-bucket"]
    kinds = storage_resources(declaration)
    for hardening in ("BucketPublicAccessBlock", "BucketVersioning", "BucketPolicy", "BucketOwnershipControls"):
        assert any(kind.endswith(":" + hardening) for kind in kinds)
    assert not [kind for kind in kinds if "Lifecycle" in kind]  # would expire versions it already holds
    assert not [kind for kind in kinds if "Cors" in kind]


def test_existing_then_adopt_then_create_never_replaces_the_bucket():
    """The same logical names in every mode: the engine sees one bucket, updated, never replaced."""
    modes = {mode: run(aws_stack(storage=mode, folder="media")) for mode in ("existing", "adopt", "create")}
    urns = {mode: {r.urn for r in declared.resources} for mode, declared in modes.items()}
    assert urns["existing"] <= urns["adopt"] <= urns["create"] | {r.urn for r in modes["adopt"].imports}
    assert modes["adopt"].one(BUCKET).urn == modes["create"].one(BUCKET).urn
    assert modes["adopt"].one(BUCKET).inputs["bucket"] == modes["create"].one(BUCKET).inputs["bucket"]


@pytest.mark.parametrize("mode", ["existing", "adopt"])
def test_force_destroy_is_refused_on_a_bucket_the_stack_did_not_create(mode):
    assert "forceDestroy" in problems_of(aws_stack(storage=mode, forceDestroy=True))


def test_an_existing_bucket_in_another_region_stops_the_run_naming_the_region_to_set():
    from pulumi import RunError

    from components.aws.component import _in_region

    assert _in_region("acme-labels", "eu-west-1", "arn:aws:s3:::acme-labels", "eu-west-1") == "arn:aws:s3:::acme-labels"
    with pytest.raises(RunError, match="is in region us-east-2, not eu-west-1; set aws:region to us-east-2"):
        _in_region("acme-labels", "eu-west-1", "arn:aws:s3:::acme-labels", "us-east-2")
