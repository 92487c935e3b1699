"""A newcomer's first hour (issue 17): one clear answer per mistake, printed once, and a plan that
shows what Label Studio gets without ever printing a secret."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.program.test_plan import AWS, stack_file

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


# -- tools.check without its extras ---------------------------------------------------------------

WITHOUT = textwrap.dedent(
    """
    import runpy, sys
    sys.path.insert(0, ".")
    blocked = sys.argv[1].split(",")
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in blocked:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    sys.meta_path.insert(0, Block())
    sys.argv = ["tools.check", *sys.argv[2:]]
    runpy.run_module("tools.check", run_name="__main__")
    """
)


@pytest.mark.parametrize("missing", ["boto3", "requests"])
def test_check_without_its_extras_says_which_script_installs_them(tmp_path, missing):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        '{"cloud": "aws", "bucketName": "acme-labels", "region": "eu-west-1", "folder": "", '
        '"corsOrigins": ["https://label.example.com"], '
        '"envList": "STORAGE_AWS_ACCESS_KEY_ID=a\\nSTORAGE_AWS_SECRET_ACCESS_KEY=b\\n"}'
    )
    result = run("-c", WITHOUT, missing, "--outputs", str(outputs))
    assert result.returncode == 2
    assert "./scripts/setup.sh check" in result.stderr
    assert f"{missing!r} is not installed" in result.stderr
    assert "Traceback" not in result.stderr and "No module named" not in result.stderr


# -- refusals: once, on stderr, exit 2, with the default and the fix ------------------------------


def test_a_refusal_is_printed_once_on_stderr_and_exits_2(tmp_path):
    path = stack_file(tmp_path, "irsa", AWS)
    result = run("-m", "tools.plan", str(path))
    assert result.returncode == 2
    reason = "labelstudio:aws.oidcProviderArn"
    assert reason not in result.stdout
    assert result.stderr.count(reason) == 1
    assert (result.stdout + result.stderr).lower().count("nothing was declared") == 1
    assert "Refused" in result.stdout  # the stack is still named in the plan's listing


def test_irsa_without_its_provider_says_irsa_is_the_default_and_names_the_other_modes(tmp_path):
    result = run("-m", "tools.plan", str(stack_file(tmp_path, "irsa", AWS)))
    message = result.stderr
    assert "the default access mode" in message and "labelstudio:access is not set" in message
    for mode in ("pod-identity", "access-keys", "node-role"):
        assert mode in message
    chosen = run("-m", "tools.plan", str(stack_file(tmp_path, "chosen", {**AWS, "labelstudio:access": "irsa"})))
    assert "oidcProviderArn" in chosen.stderr and "the default access mode" not in chosen.stderr


# -- what Label Studio gets, and no secret anywhere in any plan format -------------------------------

KEY_ID, SECRET_KEY, HELM_PASSWORD = "AKIDREALKEYID0001", "real/secret+Value0001", "pg-password-0001"
SECRETS = (KEY_ID, SECRET_KEY, HELM_PASSWORD)


def s3_compatible(target: str, credentials: str | None = None) -> dict:
    from tools.mockrun import Decrypted

    values = {
        "labelstudio:cloud": "s3-compatible",
        "labelstudio:bucket": "label-media",
        "labelstudio:host": "https://label.example.com",
        "labelstudio:target": target,
        "labelstudio:s3-compatible": {
            "endpointUrl": "https://minio.example.com",
            "accessKeyId": Decrypted(KEY_ID),
            "secretAccessKey": Decrypted(SECRET_KEY),
        },
    }
    if credentials:
        values["labelstudio:credentials"] = credentials
    if target == "kubernetes":
        values["labelstudio:helmValues"] = {
            "global": {"pgConfig": {"password": Decrypted(HELM_PASSWORD)}},  # secure: the whole object is secret
        }
    return values


def every_plan_format(monkeypatch, capsys, values: dict) -> str:
    """Everything the plan prints for a stack, in every format and for every output it has."""
    import tools.plan
    from tools.mockrun import declare

    declaration = declare(values, stack="secrets")
    assert declaration.error is None, declaration.error
    monkeypatch.setattr(tools.plan, "run_stack_file", lambda path: declare(values, stack="secrets"))
    path = Path(__file__)  # any file that exists: the program run is the one above
    printed = []
    for args in (["--format", "text"], ["--format", "markdown"], *(["--output", name] for name in declaration.outputs)):
        tools.plan.main([*args, str(path)])
        captured = capsys.readouterr()
        printed.append(captured.out + captured.err)
    return "\n".join(printed)


@pytest.mark.parametrize(
    ("target", "credentials"), [("compose", None), ("kubernetes", "secret"), ("kubernetes", "inline")]
)
def test_real_secret_values_given_as_secure_settings_never_appear_in_any_plan_format(
    monkeypatch, capsys, target, credentials
):
    out = every_plan_format(monkeypatch, capsys, s3_compatible(target, credentials))
    assert "What Label Studio gets" in out
    for secret in SECRETS:
        assert secret not in out
    assert "STORAGE_AWS_SECRET_ACCESS_KEY" in out  # the variable is named, its value is not


def test_compose_plan_shows_the_env_list_with_each_secret_as_a_marker_naming_it(monkeypatch, capsys):
    out = every_plan_format(monkeypatch, capsys, s3_compatible("compose"))
    assert "STORAGE_AWS_ACCESS_KEY_ID=[secret: access key id]" in out
    assert "STORAGE_AWS_SECRET_ACCESS_KEY=[secret: secret access key]" in out
    assert "STORAGE_AWS_ENDPOINT_URL=https://minio.example.com" in out
    assert "LABEL_STUDIO_HOST=https://label.example.com" in out


GCP = {"gcp:project": "acme-ml-prod", "labelstudio:cloud": "gcp", "labelstudio:bucket": "acme-labels",
       "labelstudio:host": "https://label.example.com"}  # fmt: skip


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {**GCP, "labelstudio:target": "compose"},
            [
                "GOOGLE_APPLICATION_CREDENTIALS=/opt/heartex/secrets/key.json",
                "- ./key.json:/opt/heartex/secrets/key.json:ro",
                "pulumi stack output serviceAccountKeyJson --show-secrets > key.json",
            ],
        ),
        (
            {**GCP, "labelstudio:access": "key"},
            [
                "GOOGLE_APPLICATION_CREDENTIALS=/opt/heartex/secrets/gcs/key_json",
                "mounted read-only at /opt/heartex/secrets/gcs",
                "Secret label-studio-storage-credentials, key key_json",
            ],
        ),
        (
            {**GCP},
            ["iam.gke.io/gcp-service-account: ls-label-studio-", "GKE's metadata server gives the pod"],
        ),
        (
            {**AWS, "labelstudio:access": "access-keys"},
            ["STORAGE_AWS_SECRET_ACCESS_KEY: from Secret label-studio-storage-credentials, key secretkey"],
        ),
        (
            {**AWS, "labelstudio:access": "access-keys", "labelstudio:credentials": "inline"},
            ["STORAGE_AWS_SECRET_ACCESS_KEY=[secret: secret access key] (inline in the values"],
        ),
        (
            {"azure-native:location": "westeurope", "labelstudio:cloud": "azure", "labelstudio:bucket": "media",
             "labelstudio:host": "https://label.example.com", "labelstudio:target": "compose"},
            ["STORAGE_AZURE_ACCOUNT_KEY=[secret: storage account key]", "STORAGE_AZURE_ACCOUNT_NAME=labelstudio",
             "LABEL_STUDIO_HOST=https://label.example.com"],
        ),
    ],
)  # fmt: skip
def test_the_plan_shows_where_label_studio_finds_its_storage(tmp_path, config, expected):
    result = run("-m", "tools.plan", str(stack_file(tmp_path, "view", config)))
    assert result.returncode == 0, result.stderr
    view = result.stdout.split("What Label Studio gets", 1)[1].split("Stack outputs", 1)[0]
    for line in expected:
        assert line in view, view
    assert "stand-in-secret-access-key" not in result.stdout and "stand-in-account-key" not in result.stdout


# -- stand-ins taken from the stack where it names them ----------------------------------------------

OIDC_111 = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF"
KMS_777 = "arn:aws:kms:eu-west-1:777788889999:key/0f0e0d0c-0b0a-4909-8807-060504030201"
SUBNET = (
    "/subscriptions/6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c/resourceGroups/aks/providers/Microsoft.Network/"
    "virtualNetworks/aks-vnet/subnets/nodes"
)
AZURE = {"azure-native:location": "westeurope", "labelstudio:cloud": "azure", "labelstudio:bucket": "media",
         "labelstudio:host": "https://label.example.com"}  # fmt: skip


@pytest.mark.parametrize(
    ("config", "in_plan", "note"),
    [
        ({**AWS, "labelstudio:aws": {"oidcProviderArn": OIDC_111}}, "arn:aws:iam::111122223333:role/",
         "account 111122223333, the account of labelstudio:aws.oidcProviderArn"),
        ({**AWS, "labelstudio:access": "access-keys", "labelstudio:aws": {"kmsKeyArn": KMS_777}},
         "arn:aws:iam::777788889999:policy/", "the account of labelstudio:aws.kmsKeyArn"),
        ({**AWS, "labelstudio:access": "access-keys"}, "arn:aws:iam::123456789012:policy/",
         "AWS account 123456789012 in ARNs is a stand-in"),
        ({**GCP, "labelstudio:access": "key"}, "@acme-ml-prod.iam.gserviceaccount.com", "project acme-ml-prod"),
        ({**AZURE, "labelstudio:azure": {"allowedSubnetIds": [SUBNET], "allowedIpRanges": ["203.0.113.0/24"]}},
         "Stand-ins: ",  # a created account's ids are not printed; the note says where they would be
         "subscription 6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c, from labelstudio:azure.allowedSubnetIds"),
        ({**AZURE, "azure-native:subscriptionId": "00000000-1111-2222-3333-444444444444"},
         "Stand-ins: ", "from azure-native:subscriptionId"),
        (AZURE, "Stand-ins: ", "Azure subscription 00000000-0000-0000-0000-000000000000 in ids is a stand-in"),
    ],
)  # fmt: skip
def test_stand_ins_are_in_the_account_project_or_subscription_the_stack_names(tmp_path, config, in_plan, note):
    result = run("-m", "tools.plan", str(stack_file(tmp_path, "stand-ins", config)))
    assert result.returncode == 0, result.stderr
    assert in_plan in result.stdout
    stand_ins = next(line for line in result.stdout.splitlines() if line.startswith("Stand-ins: "))
    assert note in stand_ins, stand_ins
    if "111122223333" in note:
        assert "123456789012" not in result.stdout


# -- host follows the rule corsOrigins follows -------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "fixed"),
    [
        ("https://label.example.com/", "https://label.example.com"),
        ("https://label.example.com:443", "https://label.example.com"),
        ("http://label.example.com:80/ls/", "http://label.example.com/ls"),
        ("https://Label.Example.com", "https://label.example.com"),
    ],
)
def test_host_is_refused_where_the_same_text_in_cors_origins_is(host, fixed):
    from components.settings.model import SettingsError, load_settings

    base = {"aws:region": "eu-west-1", "cloud": "aws", "bucket": "acme-labels", "access": "access-keys"}
    with pytest.raises(SettingsError) as host_error:
        load_settings({**base, "host": host})
    (message,) = host_error.value.problems
    assert message.startswith("labelstudio:host") and f"write {fixed}" in message
    with pytest.raises(SettingsError):
        load_settings({**base, "corsOrigins": [host.removesuffix("/ls/")]})
    settings, _ = load_settings({**base, "host": fixed})
    assert settings.host == fixed


def test_a_host_with_a_path_is_kept_as_written():
    from components.settings.model import load_settings

    base = {"aws:region": "eu-west-1", "cloud": "aws", "bucket": "acme-labels", "access": "access-keys"}
    settings, _ = load_settings({**base, "host": "https://example.com:8443/label-studio"})
    assert settings.host == "https://example.com:8443/label-studio"
    assert settings.cors_origins == ["https://example.com:8443"]


# -- another cloud's provider settings, and regions the SDK does not know ----------------------------


@pytest.mark.parametrize(
    ("config", "warning"),
    [
        ({**AWS, "labelstudio:access": "access-keys", "gcp:project": "acme-ml"},
         "gcp:project is a setting of cloud gcp's provider, and this stack's cloud is aws"),
        ({**GCP, "labelstudio:access": "key", "azure-native:location": "westeurope"},
         "azure-native:location is a setting of cloud azure's provider"),
        ({**AWS, "labelstudio:access": "access-keys", "aws:region": "eu-west-9"},
         "aws:region 'eu-west-9' is not a region the installed provider SDK knows; did you mean eu-west-"),
    ],
)  # fmt: skip
def test_settings_nothing_reads_and_unknown_regions_are_warned_about(tmp_path, config, warning):
    result = run("-m", "tools.plan", str(stack_file(tmp_path, "warned", config)))
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("Warning: ") and warning in line for line in result.stdout.splitlines()), result.stdout


def test_a_region_the_sdk_knows_is_not_warned_about(tmp_path):
    from components.aws.regions import known_regions

    assert known_regions() and "eu-west-1" in known_regions()  # pulumi_aws's Region enum, as installed
    result = run("-m", "tools.plan", str(stack_file(tmp_path, "known", {**AWS, "labelstudio:access": "access-keys"})))
    assert "Warning:" not in result.stdout


# -- helmValues: credentials in plain text, keys the program owns -------------------------------------


@pytest.mark.parametrize(
    ("helm_values", "expected"),
    [
        ({"global": {"extraEnvironmentVars": {"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-0001"}}},
         "puts credentials (AWS_SECRET_ACCESS_KEY) in plain text under global.extraEnvironmentVars"),
        ({"global": {"persistence": {"config": {"s3": {"bucket": "other"}}}}},
         "sets global.persistence.config.s3.bucket, which this program writes from labelstudio:bucket"),
        ({"global": {"persistence": {"type": "volume"}}}, "sets global.persistence.type"),
    ],
)  # fmt: skip
def test_helm_values_the_program_owns_or_that_hold_credentials_are_refused_without_echoing(
    tmp_path, helm_values, expected
):
    config = {**AWS, "labelstudio:access": "access-keys", "labelstudio:helmValues": helm_values}
    result = run("-m", "tools.plan", str(stack_file(tmp_path, "helm", config)))
    assert result.returncode == 2
    assert "labelstudio:helmValues" in result.stderr and expected in result.stderr, result.stderr
    assert "wJalrXUtnFEMI-0001" not in result.stdout + result.stderr


def test_chart_values_users_tune_stay_allowed_and_a_secure_helm_values_may_hold_credentials():
    from components.settings.model import load_settings

    base = {"aws:region": "eu-west-1", "cloud": "aws", "bucket": "acme-labels", "access": "access-keys",
            "host": "https://label.example.com"}  # fmt: skip
    tuned = {"global": {"persistence": {"config": {"s3": {"urlExpirationSecs": "3600"}}}}}
    load_settings({**base, "helmValues": tuned})
    secure = {"global": {"extraEnvironmentVars": {"POSTGRE_PASSWORD": "x"}}}
    load_settings({**base, "helmValues": secure}, frozenset({"helmValues"}))


def test_the_plan_says_why_there_is_no_rqworker_access_without_enterprise():
    result = run("-m", "tools.plan", "Pulumi.dev.yaml")
    assert "the chart runs rqworker only in Label Studio Enterprise (labelstudio:enterprise true)" in result.stdout


@pytest.mark.parametrize(
    ("environment", "refused"),
    [
        ({"AWS_SECRET_ACCESS_KEY": "x"}, True),
        ({"AWS_ACCESS_KEY_ID": "x"}, True),
        ({"AZURE_STORAGE_ACCOUNT_KEY": "x"}, True),
        ({"POSTGRE_PASSWORD": "x"}, True),
        ({"GITHUB_TOKEN": "x"}, True),
        ({"SECRET_KEY": "x"}, True),
        ({"GOOGLE_APPLICATION_CREDENTIALS": "/etc/key.json"}, False),  # a path, not a credential
        ({"LOG_LEVEL": "DEBUG", "DJANGO_DB": "default"}, False),
    ],
)
def test_credential_names_in_plain_chart_environment(environment, refused):
    from components.kubernetes.chart import user_values_problems

    values = {"global": {"extraEnvironmentVars": environment}}
    assert bool(user_values_problems(values, False)) is refused
    assert user_values_problems(values, False, secret=True) == []
