"""no-plain-credentials-in-helm-values: credentials in plain Helm values or environment variables,
and settings that only look like credentials.

Each case runs through the rules (test_each_*) or through the pack over gRPC as
`pulumi preview --policy-pack` runs it (test_the_pack_*); tests/policy/stacks.py builds the stacks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from policy.rules import Resource, is_credential
from tests.conftest import aws_stack, run
from tests.policy.stacks import (
    Programs,
    Stack,
    Violation,
    assert_refuses_exactly,
    changed,
    edit,
    verdicts,
    violated,
    with_env,
)
from tools.plan import policy_resources

AWS_VIOLATIONS = {
    "credentials in values not secret": (
        "no-plain-credentials-in-helm-values",
        lambda rs: changed(rs, "v3:Release", lambda r: replace(r, secret_outputs=())),
    ),
}


@pytest.mark.parametrize("case", sorted(AWS_VIOLATIONS))
def test_each_aws_rule_catches_its_violation(aws_resources, case):
    policy, break_it = AWS_VIOLATIONS[case]
    assert violated(break_it(aws_resources)) == {policy}


PASSING: dict[str, Callable[[Programs], Stack]] = {
    "credentials: the non-secret settings the program will add to global.extraEnvironmentVars": with_env(
        "global", STORAGE_AWS_SIGNATURE_VERSION="s3v4", LABEL_STUDIO_HOST="https://label.example.com"
    ),
    "credentials: a key file path and feature switches under app.extraEnvironmentVars": with_env(
        "app", GOOGLE_APPLICATION_CREDENTIALS="/var/secrets/key.json", LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true"
    ),
}


@pytest.mark.parametrize("case", sorted(PASSING))
def test_the_pack_passes_stacks_that_keep_every_promise(policy_pack, programs, case):
    assert verdicts(policy_pack, PASSING[case](programs)) == []


VIOLATING: dict[str, Violation] = {
    "credentials: the S3 secret key under global.extraEnvironmentVars": (
        {"no-plain-credentials-in-helm-values"},
        with_env("global", STORAGE_AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ),
    "credentials: the Azure account key under app.extraEnvironmentVars": (
        {"no-plain-credentials-in-helm-values"},
        with_env("app", STORAGE_AZURE_ACCOUNT_KEY="c3RhbmQtaW4ta2V5"),
    ),
    "credentials: a Google key file as JSON, even with the values kept secret": (
        {"no-plain-credentials-in-helm-values"},
        with_env(
            "global",
            secret_values=True,
            GOOGLE_APPLICATION_CREDENTIALS='{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----"}',
        ),
    ),
    "credentials: a password inside a database URL": (
        {"no-plain-credentials-in-helm-values"},
        with_env("app", DATABASE_URL="postgres://labelstudio:hunter2@db:5432/labelstudio"),
    ),
    "credentials: Django's SECRET_KEY and a user token": (
        {"no-plain-credentials-in-helm-values"},
        with_env("global", SECRET_KEY="not-so-secret", LABEL_STUDIO_USER_TOKEN="abc123"),
    ),
    "credentials: a Kubernetes Secret whose data is not kept secret": (
        {"no-plain-credentials-in-helm-values"},
        lambda p: edit(p.azure, "core/v1:Secret", lambda r: replace(r, secret_outputs=())),
    ),
}


@pytest.mark.parametrize("case", sorted(VIOLATING))
def test_the_pack_refuses_exactly_the_promise_a_stack_breaks(policy_pack, programs, case):
    assert_refuses_exactly(policy_pack, programs, VIOLATING[case])


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
