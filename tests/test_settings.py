"""The stack contract: defaults users rely on, and one clear message per mistake, all at once."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings import (
    SettingsError,
    decode_config,
    folder_problem,
    load_settings,
    origin_problem,
    s3_bucket_problem,
)

OIDC = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF"


def aws(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "cloud": "aws",
        "aws:region": "eu-west-1",
        "bucket": "acme-labels",
        "host": "https://label.example.com",
        "aws": {"oidcProviderArn": OIDC},
    }
    raw.update(overrides)
    return {key: value for key, value in raw.items() if value is not None}


def problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(raw)
    return caught.value.problems


def test_kubernetes_defaults_to_irsa_with_the_charts_service_account():
    settings, warnings = load_settings(aws())
    assert settings.target == "kubernetes"
    assert settings.access == "irsa"
    assert settings.credentials is None
    assert settings.namespace == "label-studio" and settings.release == "label-studio"
    assert settings.chart_version == "2.0.5"
    assert settings.protect is True and settings.force_destroy is False
    assert settings.service_account_names == {"app": "label-studio-ls-app"}
    assert warnings == []


def test_enterprise_adds_the_rqworker_service_account_named_after_the_release():
    settings, _ = load_settings(aws(enterprise="true", release="ls"))
    assert settings.service_account_names == {"app": "ls-ls-app", "rqworker": "ls-ls-rqworker"}


def test_compose_uses_access_keys_and_needs_no_aws_object():
    settings, _ = load_settings(aws(target="compose", aws=None))
    assert settings.access == "access-keys"
    assert settings.credentials is None


def test_access_keys_on_kubernetes_default_to_a_kubernetes_secret():
    settings, _ = load_settings(aws(access="access-keys", aws=None))
    assert settings.credentials == "secret"


def test_cors_origins_default_to_the_origin_of_host():
    settings, _ = load_settings(aws(host="https://Label.Example.com:8443/label-studio/"))
    assert settings.cors_origins == ["https://label.example.com:8443"]


def test_explicit_origins_win_over_host_and_duplicates_collapse():
    settings, _ = load_settings(
        aws(corsOrigins=["https://a.example.com", "http://localhost:8080", "https://a.example.com"])
    )
    assert settings.cors_origins == ["https://a.example.com", "http://localhost:8080"]


def test_kms_key_arn_implies_kms_encryption():
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    settings, _ = load_settings(aws(aws={"oidcProviderArn": OIDC, "kmsKeyArn": key}))
    assert settings.aws is not None and settings.aws.uses_kms


@pytest.mark.parametrize(
    ("overrides", "key", "fragment"),
    [
        ({"cloud": "aws-cloud"}, "labelstudio:cloud", "'aws', 'gcp' or 'azure'"),
        ({"cloud": None}, "labelstudio:cloud", "is required"),
        ({"bucket": None}, "labelstudio:bucket", "is required"),
        ({"target": "swarm"}, "labelstudio:target", "'kubernetes' or 'compose'"),
        ({"access": "sso"}, "labelstudio:access", "irsa or pod-identity or access-keys or node-role"),
        ({"aws": {}}, "labelstudio:aws.oidcProviderArn", "required with access irsa"),
        ({"access": "pod-identity", "aws": {}}, "labelstudio:aws.clusterName", "required with access pod-identity"),
        ({"access": "node-role", "aws": {}}, "labelstudio:aws.nodeRoleName", "required with access node-role"),
        (
            {"aws": {"oidcProviderArn": "arn:aws:iam::123:role/x"}},
            "labelstudio:aws.oidcProviderArn",
            "not an IAM OIDC provider ARN",
        ),
        (
            {"aws": {"oidcProviderArn": OIDC, "kmsKeyArn": "alias/labels"}},
            "labelstudio:aws.kmsKeyArn",
            "not a KMS key ARN",
        ),
        ({"aws": {"oidcProviderArn": OIDC, "encryption": "des"}}, "labelstudio:aws.encryption", "'aes256' or 'kms'"),
        ({"aws": {"oidcProviderArn": OIDC, "region": "x"}}, "labelstudio:aws.region", "is not a setting"),
        ({"aws:region": None}, "aws:region", "pulumi config set aws:region"),
        ({"aws:region": "Frankfurt"}, "aws:region", "not an AWS region"),
        ({"bucket": "Acme_Labels"}, "labelstudio:bucket", "not a valid S3 bucket name"),
        ({"bucket": "192.168.1.1"}, "labelstudio:bucket", "not a valid S3 bucket name"),
        ({"bucket": ["a", "b"]}, "labelstudio:bucket", "must be a string, not a list"),
        ({"corsOrigins": "https://a.example.com"}, "labelstudio:corsOrigins", "must be a list, not a string"),
        ({"corsOrigins": ["https://a.example.com/"]}, "labelstudio:corsOrigins[0]", "write https://a.example.com"),
        ({"corsOrigins": ["*"]}, "labelstudio:corsOrigins[0]", "wildcards are not allowed"),
        ({"corsOrigins": ["label.example.com"]}, "labelstudio:corsOrigins[0]", "is not an origin"),
        ({"host": None}, "labelstudio:corsOrigins", "labelstudio:host is not set"),
        ({"host": "label.example.com"}, "labelstudio:host", "public URL"),
        ({"credentials": "inline"}, "labelstudio:credentials", "no effect with access irsa"),
        ({"access": "access-keys", "credentials": "env"}, "labelstudio:credentials", "'secret' or 'inline'"),
        ({"target": "compose", "access": "irsa"}, "labelstudio:access", "cannot be used with target compose"),
        ({"folder": "/uploads/"}, "labelstudio:folder", "must not start or end with '/'"),
        ({"folder": "a/../b"}, "labelstudio:folder", "without '.' or '..'"),
        ({"namespace": "Label Studio"}, "labelstudio:namespace", "Kubernetes name"),
        ({"release": "x" * 52}, "labelstudio:release", "service accounts are named after it"),
        ({"chartVersion": "latest"}, "labelstudio:chartVersion", "semantic version"),
        ({"enterprise": "sometimes"}, "labelstudio:enterprise", "true or false"),
        ({"retentionDays": "0"}, "labelstudio:retentionDays", "greater than or equal to 1"),
        ({"helmValues": "ingress"}, "labelstudio:helmValues", "must be an object"),
        (
            {"helmValues": {"enterprise": {"enabled": True}}},
            "labelstudio:helmValues",
            "set labelstudio:enterprise instead",
        ),
        ({"gcp": {"location": "EU"}}, "labelstudio:gcp", "applies to cloud gcp only"),
        ({"buckets": "x"}, "labelstudio:buckets", "did you mean bucket?"),
    ],
)
def test_each_mistake_names_its_key_and_the_fix(overrides, key, fragment):
    found = problems(aws(**overrides))
    assert len(found) == 1, found
    assert found[0].startswith(key), found
    assert fragment in found[0], found


def test_kms_key_must_live_in_the_buckets_region():
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    (problem,) = problems(aws(aws={"oidcProviderArn": OIDC, "kmsKeyArn": key}))
    assert problem.startswith("labelstudio:aws.kmsKeyArn") and "us-east-1" in problem and "eu-west-1" in problem


def test_every_problem_is_reported_in_one_run():
    found = problems(aws(bucket="UPPER", folder="/x", corsOrigins=["ftp://x"], aws={}, chartVersion="v2", extra=1))
    keys = sorted(problem.split(" ")[0].rstrip(":") for problem in found)
    assert keys == [
        "labelstudio:aws.oidcProviderArn",
        "labelstudio:bucket",
        "labelstudio:chartVersion",
        "labelstudio:corsOrigins[0]",
        "labelstudio:extra",
        "labelstudio:folder",
    ]


def test_the_message_shows_the_bad_value_but_never_a_secret_one():
    (problem,) = problems(aws(bucket="Not_A_Bucket"))
    assert "'Not_A_Bucket'" in problem
    with pytest.raises(SettingsError) as caught:
        load_settings(aws(bucket="Hunter2_Secret"), secret_keys=frozenset({"bucket"}))
    assert "Hunter2" not in str(caught.value)


def test_credentials_with_compose_are_harmless_but_said_out_loud():
    settings, warnings = load_settings(aws(target="compose", aws=None, credentials="secret"))
    assert settings.access == "access-keys"
    assert warnings and "no effect with target compose" in warnings[0]


def test_config_text_from_the_cli_is_decoded_to_what_the_stack_file_says():
    decoded = decode_config(
        {"bucket": '["a","b"]', "corsOrigins": '["https://a.example.com"]', "enterprise": "true", "host": "https://x"}
    )
    assert decoded == {
        "bucket": ["a", "b"],
        "corsOrigins": ["https://a.example.com"],
        "enterprise": "true",
        "host": "https://x",
    }


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Acme",
        "acme_labels",
        "-acme",
        "acme-",
        "acme..labels",
        "acme.-labels",
        "10.0.0.1",
        "xn--acme",
        "acme-s3alias",
        "acme--ol-s3",
    ],
)
def test_s3_refuses_bucket_names_aws_refuses(name):
    assert s3_bucket_problem(name)


@pytest.mark.parametrize("name", ["abc", "a" * 63, "acme-labels", "acme.labels.dev", "0acme9"])
def test_s3_accepts_valid_bucket_names(name):
    assert s3_bucket_problem(name) is None


@pytest.mark.parametrize(
    ("origin", "ok"),
    [
        ("https://label.example.com", True),
        ("http://localhost:8080", True),
        ("https://label.example.com/", False),
        ("https://LABEL.example.com", False),
        ("https://label.example.com/path", False),
        ("https://user@label.example.com", False),
        ("https://*.example.com", False),
        ("file:///etc/passwd", False),
        ("https://label.example.com:99999", False),
    ],
)
def test_origins_must_be_what_browsers_send(origin, ok):
    assert (origin_problem(origin) is None) is ok


@pytest.mark.parametrize(
    ("folder", "ok"),
    [
        ("", True),
        ("media", True),
        ("media/label-studio_1.0", True),
        ("/media", False),
        ("media/", False),
        ("a//b", False),
        ("../a", False),
        ("a/./b", False),
        ("mé", False),
        ("a b", False),
        ("a" * 513, False),
    ],
)
def test_folders_are_clean_key_prefixes(folder, ok):
    assert (folder_problem(folder) is None) is ok
