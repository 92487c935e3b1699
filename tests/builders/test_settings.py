"""The stack contract: defaults users rely on, and one clear message per mistake, all at once."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from components.aws.settings import s3_bucket_problem
from components.names import folder_problem, origin_problem
from components.settings.component_args import trusted_workloads
from components.settings.model import SettingsError, decode_config, load_settings

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
    assert trusted_workloads(settings)["service_accounts"] == {"app": "label-studio-ls-app"}
    assert warnings == []


def test_enterprise_adds_the_rqworker_service_account_named_after_the_release():
    settings, _ = load_settings(aws(enterprise="true", release="ls"))
    assert trusted_workloads(settings)["service_accounts"] == {"app": "ls-ls-app", "rqworker": "ls-ls-rqworker"}


def test_compose_uses_access_keys_and_needs_no_aws_object():
    settings, _ = load_settings(aws(target="compose", aws=None))
    assert settings.access == "access-keys"
    assert settings.credentials is None


def test_access_keys_on_kubernetes_default_to_a_kubernetes_secret():
    settings, _ = load_settings(aws(access="access-keys", aws=None))
    assert settings.credentials == "secret"


def test_cors_origins_default_to_the_origin_of_host():
    settings, _ = load_settings(aws(host="https://label.example.com:8443/label-studio"))
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
        ({"cloud": "aws-cloud"}, "labelstudio:cloud", "'aws', 'gcp', 'azure' or 's3-compatible'"),
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


# -- hardening: whole values, ASCII, browsers' origins, shapes JSON can hold -----------------------

GCP_BASE = {"cloud": "gcp", "gcp:project": "acme-ml-prod", "bucket": "acme-labels", "host": "https://label.example.com"}
AZURE_BASE = {
    "cloud": "azure",
    "azure-native:location": "westeurope",
    "bucket": "label-media",
    "host": "https://label.example.com",
}
SUBNET = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/aks-network/providers/"
    "Microsoft.Network/virtualNetworks/aks-vnet/subnets/nodes"
)
KMS_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0f0e0d0c-0b0a-4909-8807-060504030201"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (aws(release="ls\n"), "labelstudio:release"),
        (aws(namespace="label-studio\n"), "labelstudio:namespace"),
        (aws(folder="media\n"), "labelstudio:folder"),
        (aws(**{"aws:region": "eu-west-1\n"}), "aws:region"),
        (aws(aws={"oidcProviderArn": OIDC + "\n"}), "labelstudio:aws.oidcProviderArn"),
        (aws(aws={"oidcProviderArn": OIDC, "kmsKeyArn": KMS_ARN + "\n"}), "labelstudio:aws.kmsKeyArn"),
        (aws(access="pod-identity", aws={"clusterName": "prod\n"}), "labelstudio:aws.clusterName"),
        (aws(access="node-role", aws={"nodeRoleName": "nodes\n"}), "labelstudio:aws.nodeRoleName"),
        (aws(chartVersion="2.0.5\n"), "labelstudio:chartVersion"),
        ({**AZURE_BASE, "azure-native:location": "westeurope\n"}, "azure-native:location"),
        ({**AZURE_BASE, "azure": {"resourceGroup": "labels\n"}}, "labelstudio:azure.resourceGroup"),
        ({**AZURE_BASE, "azure": {"allowedSubnetIds": [SUBNET + "\n"]}}, "labelstudio:azure.allowedSubnetIds[0]"),
        ({**GCP_BASE, "gcp:project": "acme-ml-prod\n"}, "gcp:project"),
        ({**GCP_BASE, "gcp": {"serviceAccountId": "label-studio\n"}}, "labelstudio:gcp.serviceAccountId"),
        ({**GCP_BASE, "gcp": {"location": "EU\n"}}, "labelstudio:gcp.location"),
        (aws(host="https://label.example.com\n"), "labelstudio:host"),
        (aws(corsOrigins=["https://label.example.com\n"]), "labelstudio:corsOrigins[0]"),
    ],
)
def test_a_trailing_newline_is_refused_wherever_a_value_reaches_a_name_or_policy(raw, key):
    (problem,) = problems(raw)
    assert problem.startswith(key), problem


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (aws(access="node-role", aws={"nodeRoleName": "rôle-des-nœuds"}), "labelstudio:aws.nodeRoleName"),
        (aws(access="pod-identity", aws={"clusterName": "prod-٣"}), "labelstudio:aws.clusterName"),
        ({**AZURE_BASE, "azure": {"resourceGroup": "étiquettes"}}, "labelstudio:azure.resourceGroup"),
        (aws(chartVersion="٢.0.5"), "labelstudio:chartVersion"),
        (aws(**{"aws:region": "eu-west-\u0661"}), "aws:region"),
    ],
)
def test_names_take_ascii_letters_and_digits_only(raw, key):
    (problem,) = problems(raw)
    assert problem.startswith(key), problem


@pytest.mark.parametrize(
    ("origin", "fragment"),
    [
        ("https://label.example.com:443", "write https://label.example.com"),
        ("http://label.example.com:80", "write http://label.example.com"),
        ("https://bücher.example", "write https://xn--bcher-kva.example"),
        ("https://label.example.com:0", "port 0"),
        ("https://label.example.com:08080", "write https://label.example.com:8080"),
        ("https://label.example.com:", "write https://label.example.com"),
        ("https://label .example.com", "space"),
        ("https://label.example.com:70000", "port 70000"),
        ("https://label_studio.example.com", "invalid host name"),
        ("https://[::1", "not an origin or URL"),
        ("https://999.1.1.1", "invalid IPv4"),
    ],
)
def test_origins_browsers_never_send_are_refused_with_the_spelling_to_use(origin, fragment):
    (problem,) = problems(aws(corsOrigins=[origin]))
    assert problem.startswith("labelstudio:corsOrigins[0]"), problem
    assert fragment in problem, problem


@pytest.mark.parametrize("origin", ["https://[::1]:8443", "http://127.0.0.1:8080", "https://xn--bcher-kva.example"])
def test_ip_literals_and_punycode_are_origins(origin):
    settings, _ = load_settings(aws(corsOrigins=[origin]))
    assert settings.cors_origins == [origin]


@pytest.mark.parametrize("key", ["host", "corsOrigins"])
def test_a_password_in_a_url_is_refused_and_never_repeated(key):
    url = "https://admin:hunter2@label.example.com"
    (problem,) = problems(aws(**{key: [url] if key == "corsOrigins" else url}))
    assert "credentials" in problem
    assert "hunter2" not in problem and "admin" not in problem


def test_the_origin_derived_from_host_is_what_a_browser_sends():
    """host is held to corsOrigins' rule: a spelling browsers never send is refused with the one to use."""
    (problem,) = problems(aws(host="https://Label.Example.com:443/label-studio"))
    assert problem.endswith("write https://label.example.com/label-studio"), problem
    settings, _ = load_settings(aws(host="https://label.example.com/label-studio"))
    assert settings.cors_origins == ["https://label.example.com"]


@pytest.mark.parametrize("host", ["https://label.example.com:0", "https://bücher.example", "https://a b.example"])
def test_a_host_no_browser_can_reach_is_refused(host):
    (problem,) = problems(aws(host=host))
    assert problem.startswith("labelstudio:host"), problem


@pytest.mark.parametrize(
    "setting",
    [
        {"helmValues": {"ingress": {}}},
        {"namespace": "ls"},
        {"release": "ls"},
        {"enterprise": "true"},
        {"chartVersion": "2.0.5"},
        {"createNamespace": "false"},
    ],
)
def test_compose_refuses_what_only_a_helm_release_uses(setting):
    (problem,) = problems(aws(target="compose", aws=None, **setting))
    (key,) = setting
    assert problem.startswith(f"labelstudio:{key}"), problem
    assert "target kubernetes only" in problem


@pytest.mark.parametrize("ranges", [["0.0.0.0/0"], ["0.0.0.0/1"], ["52.1.2.3", "10.1.2.3"], ["192.168.7.0/24"]])
def test_ip_rules_refuse_the_private_ranges_azure_refuses(ranges):
    (problem,) = problems({**AZURE_BASE, "azure": {"allowedIpRanges": ranges}})
    assert problem.startswith(f"labelstudio:azure.allowedIpRanges[{len(ranges) - 1}]"), problem
    assert "RFC 1918" in problem


@pytest.mark.parametrize(
    "ranges",
    [
        ["203.0.113.0/24"],  # docs/azure.md's example: documentation ranges are public as far as Azure is concerned
        ["198.51.100.7", "192.0.2.0/24"],
        ["11.0.0.0/8", "172.32.0.0/16", "192.169.0.0/16"],  # just outside RFC 1918
        ["20.50.1.4/30"],  # the smallest prefix Azure takes
    ],
)
def test_ip_rules_take_what_azure_takes(ranges):
    settings, _ = load_settings({**AZURE_BASE, "azure": {"allowedIpRanges": ranges}})
    assert settings.azure.allowed_ip_ranges == ranges


@pytest.mark.parametrize(
    ("region", "aws_object", "key"),
    [
        ("eu-west-1", {"oidcProviderArn": OIDC.replace("arn:aws:", "arn:aws-cn:")}, "oidcProviderArn"),
        ("cn-north-1", {"oidcProviderArn": OIDC}, "oidcProviderArn"),
        (
            "us-gov-west-1",
            {
                "oidcProviderArn": OIDC.replace("arn:aws:", "arn:aws-us-gov:"),
                "kmsKeyArn": KMS_ARN.replace("eu-west-1", "us-gov-west-1"),
            },
            "kmsKeyArn",
        ),
    ],
)
def test_arns_must_be_in_the_partition_of_the_region(region, aws_object, key):
    (problem,) = problems(aws(**{"aws:region": region}, aws=aws_object))
    assert problem.startswith(f"labelstudio:aws.{key}"), problem
    assert "partition" in problem


def test_a_govcloud_stack_with_govcloud_arns_is_accepted():
    arn = OIDC.replace("arn:aws:", "arn:aws-us-gov:")
    settings, _ = load_settings(aws(**{"aws:region": "us-gov-west-1"}, aws={"oidcProviderArn": arn}))
    assert settings.aws is not None and settings.aws.oidc_provider_arn == arn


@pytest.mark.parametrize(
    ("value", "where", "fragment"),
    [
        ({"image": {"tag": datetime.date(2024, 1, 1)}}, "labelstudio:helmValues.image.tag", "a date"),
        ({"blob": b"\x00\x01"}, "labelstudio:helmValues.blob", "binary"),
        ({"hosts": {"a", "b"}}, "labelstudio:helmValues.hosts", "a set"),
        ({"ratio": float("nan")}, "labelstudio:helmValues.ratio", "finite"),
        ({1: "x"}, "labelstudio:helmValues", "not text"),
        (json.loads('{"a": ' * 40 + "{}" + "}" * 40), "labelstudio:helmValues.a.a", "deeper"),
    ],
)
def test_values_json_cannot_hold_are_refused_naming_the_place(value, where, fragment):
    (problem,) = problems(aws(helmValues=value))
    assert problem.startswith(where), problem
    assert fragment in problem


def test_json_nested_too_deep_for_the_decoder_is_refused_not_a_crash():
    raw = decode_config({"helmValues": "[" * 100_000 + "]" * 100_000})
    (problem,) = problems(aws(**raw))
    assert problem.startswith("labelstudio:helmValues") and "deeper" in problem


def test_shared_parts_count_every_time_and_cost_little():
    leaf: list = ["x"] * 10
    for _ in range(8):
        leaf = [leaf] * 10  # 10**9 values once expanded, a few hundred objects in memory
    (problem,) = problems(aws(helmValues={"bomb": leaf}))
    assert "too large" in problem


def test_a_key_with_two_colons_is_not_read_as_another_setting():
    raw = aws()
    raw["labelstudio:aws:region"] = raw.pop("aws:region")
    found = problems(raw)
    assert any(p.startswith("labelstudio:aws:region: is not a setting") and "aws:region?" in p for p in found)


@pytest.mark.parametrize(
    "raw",
    [
        aws(corsOrigins=["https://label.example.com/x?token=s3cr3t-value"]),
        aws(helmValues={"global": {"extraEnvironmentVars": {"STORAGE_AWS_S3_SIGNATURE_VERSION": "s3cr3t-value"}}}),
        {**AZURE_BASE, "azure": {"allowedIpRanges": ["s3cr3t-value"]}},
        aws(bucket="s3cr3t-value_"),
    ],
)
def test_a_secret_value_is_never_quoted(raw):
    secret = next(
        key for key in ("corsOrigins", "helmValues", "azure", "bucket") if key in raw and "s3cr3t" in str(raw[key])
    )
    with pytest.raises(SettingsError) as caught:
        load_settings(raw, frozenset({secret}))
    assert caught.value.problems and "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (aws(corsOrigins=["https://S3cret-Host.example.com:443"]), "corsOrigins"),
        (aws(folder="/s3cret-folder/"), "folder"),
        ({**AZURE_BASE, "azure": {"allowedIpRanges": ["52.12.34.56/16"]}}, "azure"),
    ],
)
def test_a_fix_spelled_from_a_secret_value_is_withheld(raw, key):
    (problem,) = problems_with_secret(raw, key)
    assert problem.startswith(f"labelstudio:{key}") and "secret" in problem
    assert "s3cret" not in problem.lower() and "52.12" not in problem


def problems_with_secret(raw: dict[str, Any], key: str) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(raw, frozenset({key}))
    return caught.value.problems


# -- storage that exists already --------------------------------------------------------------------


def test_storage_defaults_to_create_with_cors_managed_and_nothing_to_warn():
    settings, warnings = load_settings(aws())
    assert settings.storage == "create" and settings.manage_cors is True
    assert warnings == []


@pytest.mark.parametrize("mode", ["existing", "adopt"])
def test_existing_storage_leaves_cors_alone_unless_asked_and_the_plan_says_so(mode):
    settings, warnings = load_settings(aws(storage=mode, folder="media"))
    assert settings.manage_cors is False
    assert [w for w in warnings if "left as they are" in w and "labelstudio:manageCors" in w]
    settings, warnings = load_settings(aws(storage=mode, folder="media", manageCors="true"))
    assert settings.manage_cors is True
    assert [w for w in warnings if "REPLACED wholesale" in w and "https://label.example.com" in w]


def test_create_may_opt_out_of_cors():
    settings, warnings = load_settings(aws(manageCors="false"))
    assert settings.manage_cors is False and warnings == []


@pytest.mark.parametrize("mode", ["existing", "adopt"])
def test_existing_storage_with_an_empty_folder_warns_that_the_whole_bucket_is_shared(mode):
    _, warnings = load_settings(aws(storage=mode))
    assert [w for w in warnings if w.startswith("labelstudio:folder is empty") and "'acme-labels'" in w]
    _, warnings = load_settings(aws(storage=mode, folder="media/label-studio"))
    assert not [w for w in warnings if "labelstudio:folder" in w]


def test_an_unknown_storage_mode_is_refused_naming_the_choices():
    found = problems(aws(storage="import"))
    assert len(found) == 1 and "labelstudio:storage" in found[0]
    assert "'create'" in found[0] and "'existing'" in found[0] and "'adopt'" in found[0]


REDIS: dict[str, Any] = {"global": {"redisConfig": {"host": "redis://redis.internal:6379/1"}}}
DATABASE: dict[str, Any] = {
    "postgresql": {"enabled": False},
    "global": {
        "pgConfig": {
            "host": "db.internal",
            "dbName": "labelstudio",
            "userName": "labelstudio",
            "password": {"secretName": "pg", "secretKey": "password"},
        }
    },
}
DATABASE_AND_REDIS = {**DATABASE, "global": {**DATABASE["global"], **REDIS["global"]}}


@pytest.mark.parametrize(
    ("enterprise", "helm_values", "warned_about"),
    [
        # Chart 2.0.5's _checkConfig.tpl: Enterprise needs a Redis and refuses the bundled databases.
        (True, {}, ["bundled postgresql on", "names no Redis"]),
        (True, REDIS, ["bundled postgresql on"]),
        (True, {**REDIS, "redis": {"enabled": True}}, ["bundled postgresql and redis on"]),
        (True, DATABASE_AND_REDIS, []),
        (True, {"ci": True, **REDIS}, []),
        (True, {"checkConfig": {"skipEnvValues": True}, "postgresql": {"enabled": False}}, []),
        (
            True,
            {
                **DATABASE_AND_REDIS,
                "global": {
                    **DATABASE_AND_REDIS["global"],
                    "redisConfig": {
                        "host": "redis://redis.internal:6379/1",
                        "ssl": {"redisSslSecretName": "redis-tls"},
                    },
                },
            },
            ["rediss://"],
        ),
        # Any edition: the bundled PostgreSQL off needs the database named.
        (False, {}, []),
        (False, {"postgresql": {"enabled": False}}, ["global.pgConfig.host, global.pgConfig.dbName"]),
        (False, DATABASE, []),
    ],
)
def test_what_the_charts_own_check_refuses_is_warned_about_before_anything_is_made(
    enterprise, helm_values, warned_about
):
    _, warnings = load_settings(aws(enterprise=enterprise, helmValues=helm_values))
    chart = [w for w in warnings if "chart 2.0.5" in w]
    assert len(chart) == len(warned_about), chart
    for warning, expected in zip(chart, warned_about, strict=True):
        assert warning.startswith("labelstudio:helmValues ") and expected in warning, warning
