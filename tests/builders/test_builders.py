"""Pure builders: IAM documents, chart values and env.list, as tables of cases."""

from __future__ import annotations

import pytest

from components.aws import documents
from components.env_list import env_list_text
from components.kubernetes.chart import (
    deep_merge,
    label_studio_values,
    persistence_values,
    user_values_problems,
)
from components.label_studio import label_studio_environment

OIDC = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"


def statements(document):
    return {statement["Sid"]: statement for statement in document["Statement"]}


def test_storage_policy_without_folder_covers_the_bucket_and_its_objects_only():
    found = statements(documents.storage_policy("acme", "eu-west-1"))
    assert found["ListTheBucket"] == {
        "Sid": "ListTheBucket",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::acme",
    }
    assert found["ReadWriteObjects"]["Action"] == ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
    assert found["ReadWriteObjects"]["Resource"] == "arn:aws:s3:::acme/*"
    assert set(found) == {"ListTheBucket", "ReadWriteObjects"}


def test_storage_policy_with_folder_limits_objects_and_listing_to_the_prefix():
    found = statements(documents.storage_policy("acme", "eu-west-1", "media/ls"))
    assert found["ReadWriteObjects"]["Resource"] == "arn:aws:s3:::acme/media/ls/*"
    assert found["ListTheBucket"]["Condition"] == {"StringLike": {"s3:prefix": ["media/ls/*"]}}


def test_storage_policy_grants_the_kms_key_it_is_given_and_no_other():
    key = "arn:aws:kms:eu-west-1:123456789012:key/abc"
    found = statements(documents.storage_policy("acme", "eu-west-1", kms_key_arn=key))
    assert found["UseTheBucketKey"] == {
        "Sid": "UseTheBucketKey",
        "Effect": "Allow",
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": key,
    }


@pytest.mark.parametrize(
    ("region", "arn"),
    [
        ("eu-west-1", "arn:aws:s3:::b"),
        ("cn-north-1", "arn:aws-cn:s3:::b"),
        ("us-gov-west-1", "arn:aws-us-gov:s3:::b"),
        ("us-iso-east-1", "arn:aws-iso:s3:::b"),
        ("us-isob-east-1", "arn:aws-iso-b:s3:::b"),
    ],
)
def test_arns_follow_the_regions_partition(region, arn):
    assert documents.bucket_arn("b", region) == arn


def test_no_policy_ever_grants_a_wildcard_action_or_resource():
    for folder in ("", "media"):
        for statement in documents.storage_policy("acme", "eu-west-1", folder, "arn:aws:kms:eu-west-1:1:key/k")[
            "Statement"
        ]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all("*" not in action for action in actions)
            assert statement["Resource"] not in ("*", "arn:aws:s3:::*")


def test_tls_only_policy_denies_plain_http_on_bucket_and_objects():
    (statement,) = documents.tls_only_bucket_policy("acme", "eu-west-1")["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == "s3:*"
    assert statement["Resource"] == ["arn:aws:s3:::acme", "arn:aws:s3:::acme/*"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_irsa_trust_pins_audience_and_the_one_service_account():
    (statement,) = documents.irsa_trust_policy(OIDC, "ls", ["ls-ls-app"])["Statement"]
    assert statement["Principal"] == {"Federated": OIDC}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
            "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:ls:ls-ls-app",
        }
    }


def test_irsa_trust_lists_rqworker_too_when_there_is_one():
    (statement,) = documents.irsa_trust_policy(OIDC, "ls", ["a", "b"])["Statement"]
    assert statement["Condition"]["StringEquals"]["oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"] == [
        "system:serviceaccount:ls:a",
        "system:serviceaccount:ls:b",
    ]


def test_pod_identity_trust_is_the_eks_pods_service():
    (statement,) = documents.pod_identity_trust_policy()["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]


CREDENTIALS = {"accessKey": "id", "secretKey": "key"}


def test_secret_style_always_writes_whole_existing_secret_pairs_and_no_keys():
    block = persistence_values(
        "s3", {"bucket": "b"}, CREDENTIALS, "secret", "ls-creds", {"accessKey": "accesskey", "secretKey": "secretkey"}
    )
    assert block == {
        "enabled": True,
        "type": "s3",
        "config": {
            "s3": {
                "bucket": "b",
                "accessKeyExistingSecret": "ls-creds",
                "accessKeyExistingSecretKey": "accesskey",
                "secretKeyExistingSecret": "ls-creds",
                "secretKeyExistingSecretKey": "secretkey",
            }
        },
    }


def test_a_secret_reference_without_a_key_for_every_credential_is_refused():
    with pytest.raises(ValueError):
        persistence_values("s3", {}, CREDENTIALS, "secret", "ls-creds", {"accessKey": "accesskey"})


def test_inline_style_puts_the_keys_in_the_values():
    block = persistence_values("s3", {"bucket": "b"}, CREDENTIALS, "inline")
    assert block["config"]["s3"] == {"bucket": "b", "accessKey": "id", "secretKey": "key"}


def test_keyless_access_writes_no_credential_keys():
    block = persistence_values("s3", {"bucket": "b", "region": "r", "folder": ""}, {}, None)
    assert block["config"]["s3"] == {"bucket": "b", "region": "r", "folder": ""}


def test_user_values_merge_deeply_and_ours_win_on_persistence_and_service_accounts():
    user = {
        "app": {"ingress": {"enabled": True}, "serviceAccount": {"name": "mine", "annotations": {"team": "ml"}}},
        "global": {
            "persistence": {"type": "volume", "config": {"s3": {"urlExpirationSecs": "600"}}},
            "image": {"tag": "1.20"},
        },
    }
    values = label_studio_values(
        persistence=persistence_values("s3", {"bucket": "b"}, {}, None),
        service_accounts={"app": "ls-ls-app"},
        annotations={"eks.amazonaws.com/role-arn": "arn"},
        enterprise=False,
        user_values=user,
    )
    assert values["app"]["ingress"] == {"enabled": True}
    assert values["app"]["serviceAccount"] == {
        "create": True,
        "name": "ls-ls-app",
        "annotations": {"team": "ml", "eks.amazonaws.com/role-arn": "arn"},
    }
    assert values["global"]["persistence"]["type"] == "s3"
    assert values["global"]["persistence"]["config"]["s3"] == {"urlExpirationSecs": "600", "bucket": "b"}
    assert values["global"]["image"] == {"tag": "1.20"}
    assert "rqworker" not in values and "enterprise" not in values
    assert user["app"]["serviceAccount"]["name"] == "mine", "the user's values must not be changed in place"


def test_enterprise_turns_the_chart_enterprise_on_with_an_rqworker_service_account():
    values = label_studio_values(
        persistence=persistence_values("s3", {}, {}, None),
        service_accounts={"app": "a", "rqworker": "r"},
        annotations={},
        enterprise=True,
        user_values={},
    )
    assert values["enterprise"] == {"enabled": True}
    assert values["rqworker"]["serviceAccount"]["name"] == "r"


def test_deep_merge_replaces_lists_and_scalars():
    assert deep_merge({"a": [1, 2], "b": {"c": 1, "d": 2}}, {"a": [3], "b": {"c": 9}}) == {
        "a": [3],
        "b": {"c": 9, "d": 2},
    }


def test_plain_credentials_in_user_values_are_refused():
    (problem,) = user_values_problems(
        {"global": {"persistence": {"config": {"s3": {"secretKey": "x"}}}}}, enterprise=False
    )
    assert "secretKey" in problem


def test_env_list_is_one_unquoted_line_per_variable():
    assert (
        env_list_text([("STORAGE_TYPE", "s3"), ("STORAGE_AWS_FOLDER", "")]) == "STORAGE_TYPE=s3\nSTORAGE_AWS_FOLDER=\n"
    )


@pytest.mark.parametrize("line", [("BAD NAME", "x"), ("OK", "two\nlines")])
def test_env_list_refuses_what_compose_would_misread(line):
    with pytest.raises(ValueError):
        env_list_text([line])


@pytest.mark.parametrize(
    ("storage_environment", "host", "expected"),
    [
        ({}, None, {}),
        ({}, "https://label.example.com", {"LABEL_STUDIO_HOST": "https://label.example.com"}),
        (
            {"STORAGE_AWS_S3_SIGNATURE_VERSION": "s3v4"},
            "http://localhost:8080",
            {"STORAGE_AWS_S3_SIGNATURE_VERSION": "s3v4", "LABEL_STUDIO_HOST": "http://localhost:8080"},
        ),
    ],
)
def test_label_studio_environment_adds_its_own_url_only_when_known(storage_environment, host, expected):
    assert label_studio_environment(storage_environment, host) == expected


def test_the_environment_reaches_every_container_through_the_global_extra_environment():
    values = label_studio_values(
        persistence=persistence_values("s3", {}, {}, None),
        service_accounts={"app": "a"},
        annotations={},
        enterprise=False,
        user_values={"global": {"extraEnvironmentVars": {"DJANGO_DB": "default"}}},
        environment={"STORAGE_AWS_S3_SIGNATURE_VERSION": "s3v4"},
    )
    assert values["global"]["extraEnvironmentVars"] == {
        "DJANGO_DB": "default",
        "STORAGE_AWS_S3_SIGNATURE_VERSION": "s3v4",
    }


@pytest.mark.parametrize(
    ("extra", "host", "refused"),
    [
        ({"STORAGE_AWS_S3_SIGNATURE_VERSION": "s3"}, None, True),
        ({"STORAGE_AWS_S3_SIGNATURE_VERSION": "s3v4"}, None, False),
        ({"LABEL_STUDIO_HOST": "https://a.example.com"}, "https://b.example.com", True),
        ({"LABEL_STUDIO_HOST": "https://a.example.com"}, None, False),
        ({"LABEL_STUDIO_HOST": "https://a.example.com"}, "https://a.example.com", False),
    ],
)
def test_user_environment_may_not_undo_signing_or_contradict_the_host(extra, host, refused):
    problems = user_values_problems({"global": {"extraEnvironmentVars": extra}}, enterprise=False, host=host)
    assert bool(problems) is refused, problems
