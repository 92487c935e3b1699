"""The `check` command against moto's S3: a working bucket, one whose CORS is wrong, denied keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import aws_stack, run
from tests.harness.check_runner import rows, run_check
from tests.harness.s3_world import apply_bucket, client
from tests.harness.servers import enforce_iam, moto_server
from tools.mockrun import Declaration, mask, reveal

ORIGINS = ["https://label.example.com", "http://localhost:8080"]
TLS_WARNING = "has no bucket policy denying requests without TLS (aws:SecureTransport)"


@pytest.fixture(scope="module")
def declared() -> Declaration:
    return run(aws_stack(target="compose", folder="media", corsOrigins=ORIGINS, aws=None))


def outputs_with_keys(declaration: Declaration, key_id: str, secret: str) -> dict[str, Any]:
    """The stack's outputs as `pulumi stack output --json --show-secrets` gives them, with real keys."""
    outputs = reveal(declaration.outputs)
    outputs["envList"] = (
        outputs["envList"].replace("STANDINACCESSKEYID", key_id).replace("stand-in-secret-access-key", secret)
    )
    return outputs


def user_keys(endpoint: str, policy: str | None) -> tuple[str, str]:
    iam = client("iam", endpoint)
    name = f"ls-{len(iam.list_users()['Users'])}"
    iam.create_user(UserName=name)
    if policy:
        arn = iam.create_policy(PolicyName=name, PolicyDocument=policy)["Policy"]["Arn"]
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def leftovers(endpoint: str, bucket: str) -> list[str]:
    listed = client("s3", endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])
    return [item["Key"] for item in listed]


@pytest.fixture
def world(declared) -> Iterator[dict[str, Any]]:
    with moto_server() as endpoint:
        yield {"endpoint": endpoint, "bucket": apply_bucket(declared, endpoint)}


def test_a_correct_bucket_passes_every_check_and_is_left_clean(tmp_path, declared, world):
    policy = reveal(declared.one("aws:iam/policy:Policy").inputs)["policy"]
    key_id, secret = user_keys(world["endpoint"], policy)
    result = run_check(tmp_path, outputs_with_keys(declared, key_id, secret), world["endpoint"])
    assert result.returncode == 0, result.stdout + result.stderr
    table = rows(result)
    assert set(table.values()) == {"PASS"}
    names = list(table)
    assert names[0].startswith("put media/.label-studio-storage-check-")
    for expected in (
        "get it back",
        "list media",
        "signed GET URL",
        "CORS refuses https://storage-check.invalid",
        "delete the test object",
        "it is gone",
    ):
        assert expected in names
    for origin in ORIGINS:
        assert f"CORS upload preflight from {origin}" in names
    assert "storage-check.invalid" in result.stdout
    assert leftovers(world["endpoint"], world["bucket"]) == []
    assert secret not in result.stdout + result.stderr


def test_a_bucket_whose_cors_is_wrong_fails_the_preflights(tmp_path, declared, world):
    client("s3", world["endpoint"]).put_bucket_cors(
        Bucket=world["bucket"],
        CORSConfiguration={
            "CORSRules": [{"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["https://old-host.example.com"]}]
        },
    )
    result = run_check(tmp_path, outputs_with_keys(declared, "any", "any"), world["endpoint"])
    assert result.returncode == 1, result.stdout
    table = rows(result)
    assert table["CORS upload preflight from https://label.example.com"] == "FAIL"
    assert table["CORS upload preflight from http://localhost:8080"] == "FAIL"
    assert table["CORS GET from https://label.example.com"] == "FAIL"
    assert table[next(name for name in table if name.startswith("put "))] == "PASS"
    assert table["delete the test object"] == "PASS"
    assert "storage is NOT ready" in result.stdout
    assert leftovers(world["endpoint"], world["bucket"]) == []


def test_denied_credentials_fail_and_nothing_is_left_behind(tmp_path, declared, world):
    key_id, secret = user_keys(world["endpoint"], policy=None)  # a user with no permissions at all
    enforce_iam(world["endpoint"])
    result = run_check(tmp_path, outputs_with_keys(declared, key_id, secret), world["endpoint"])
    assert result.returncode == 1
    table = rows(result)
    put = next(name for name in table if name.startswith("put "))
    assert table[put] == "FAIL"
    assert "AccessDenied" in result.stdout or "Forbidden" in result.stdout
    assert table["get it back"] == "FAIL"
    assert "storage is NOT ready" in result.stdout


def test_keyless_access_uses_the_callers_credentials_and_says_so(tmp_path, world):
    outputs = reveal(run(aws_stack(folder="media", corsOrigins=ORIGINS)).outputs)  # irsa: no envList
    env = {"AWS_ACCESS_KEY_ID": "caller", "AWS_SECRET_ACCESS_KEY": "caller", "PATH": "/usr/bin:/bin"}
    result = run_check(tmp_path, outputs, world["endpoint"], env=env)
    assert "access is irsa" in result.stdout and "YOUR credentials" in result.stdout
    assert result.returncode == 0, result.stdout


def test_outputs_of_another_project_are_refused_plainly(tmp_path):
    result = run_check(tmp_path, {"something": "else"}, "http://127.0.0.1:9")
    assert result.returncode == 2
    assert "no known cloud" in result.stderr
    assert "Traceback" not in result.stderr


def test_masked_keys_are_refused_even_where_the_callers_credentials_would_pass(tmp_path, declared, world):
    """`pulumi stack output --json` without --show-secrets: the check must not stand in its caller's keys."""
    outputs = mask(declared.outputs)
    env = {"AWS_ACCESS_KEY_ID": "caller", "AWS_SECRET_ACCESS_KEY": "caller", "PATH": "/usr/bin:/bin"}
    result = run_check(tmp_path, outputs, world["endpoint"], env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "`envList` is masked ([secret])" in result.stderr and "--show-secrets" in result.stderr
    assert result.stdout == ""


def test_an_existing_bucket_is_checked_and_its_missing_hardening_warned_without_failing(tmp_path, declared):
    """Storage used as is keeps its own settings: `check` says how they differ from the hardening
    a created bucket gets, as warnings, and the exit code stays the verdict on Label Studio's access."""
    existing = run(aws_stack(target="compose", storage="existing", folder="media", corsOrigins=ORIGINS, aws=None))
    with moto_server() as endpoint:
        s3 = client("s3", endpoint)
        s3.create_bucket(Bucket="acme-labels", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        cors = {"AllowedOrigins": ORIGINS, "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"]}
        s3.put_bucket_cors(Bucket="acme-labels", CORSConfiguration={"CORSRules": [cors]})
        policy = reveal(existing.one("aws:iam/policy:Policy").inputs)["policy"]
        key_id, secret = user_keys(endpoint, policy)
        result = run_check(tmp_path, outputs_with_keys(existing, key_id, secret), endpoint)
        assert result.returncode == 0, result.stdout + result.stderr
        warned = [line for line in result.stdout.splitlines() if line.startswith("Warning: s3://acme-labels ")]
        assert any("no public access block" in line for line in warned), result.stdout
        assert any("is not versioned" in line for line in warned)
        assert any("aws:SecureTransport" in line for line in warned)

    # The same bucket hardened as the project hardens one: nothing else to warn about (the
    # TLS-only policy stays off: moto would then refuse this plain-HTTP test itself).
    with moto_server() as endpoint:
        assert apply_bucket(declared, endpoint) == "acme-labels"
        key_id, secret = user_keys(endpoint, policy)
        result = run_check(tmp_path, outputs_with_keys(existing, key_id, secret), endpoint)
        assert result.returncode == 0, result.stdout + result.stderr
        warned = [line for line in result.stdout.splitlines() if line.startswith("Warning: ")]
        assert warned == [f"Warning: s3://acme-labels {TLS_WARNING}"], result.stdout


def test_an_existing_buckets_cors_is_compared_with_the_stacks_own_origins(tmp_path):
    """The warnings name the origins a rule lets in that are not the stack's, and the stack's origins
    no rule serves (the check's preflights fail on those too: one warning line says why, with the fix)."""
    existing = run(aws_stack(target="compose", storage="existing", folder="media", corsOrigins=ORIGINS, aws=None))
    policy = reveal(existing.one("aws:iam/policy:Policy").inputs)["policy"]
    methods = ["GET", "PUT", "POST", "DELETE", "HEAD"]
    with moto_server() as endpoint:
        s3 = client("s3", endpoint)
        s3.create_bucket(Bucket="acme-labels", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        old = "https://old-host.example.com"
        rule = {"AllowedOrigins": [ORIGINS[0], old], "AllowedMethods": methods, "AllowedHeaders": ["*"]}
        s3.put_bucket_cors(Bucket="acme-labels", CORSConfiguration={"CORSRules": [rule]})
        key_id, secret = user_keys(endpoint, policy)
        outputs = outputs_with_keys(existing, key_id, secret)

        def cors_warnings() -> tuple[dict[str, str], list[str]]:
            result = run_check(tmp_path, outputs, endpoint)
            lines = result.stdout.splitlines()
            return rows(result), [line for line in lines if line.startswith("Warning: s3://acme-labels: CORS")]

        table, warned = cors_warnings()
        assert table[f"CORS upload preflight from {ORIGINS[1]}"] == "FAIL"
        assert table[f"CORS upload preflight from {ORIGINS[0]}"] == "PASS"
        assert len(warned) == 2, warned
        assert warned[0].startswith(f"Warning: s3://acme-labels: CORS lets {old} use the storage from browsers")
        assert warned[1].startswith(f"Warning: s3://acme-labels: CORS does not let {ORIGINS[1]} use GET, PUT")

        s3.put_bucket_cors(Bucket="acme-labels", CORSConfiguration={"CORSRules": [{**rule, "AllowedOrigins": ["*"]}]})
        table, warned = cors_warnings()
        assert table["CORS refuses https://storage-check.invalid"] == "FAIL"
        assert len(warned) == 1, warned
        assert warned[0].startswith("Warning: s3://acme-labels: CORS lets any origin ('*') use the storage")

        s3.delete_bucket_cors(Bucket="acme-labels")  # S3 then answers NoSuchCORSConfiguration: no rule
        table, warned = cors_warnings()
        assert [table[f"CORS upload preflight from {origin}"] for origin in ORIGINS] == ["FAIL", "FAIL"]
        assert len(warned) == 1 and f"CORS does not let {', '.join(ORIGINS)} use" in warned[0], warned

        s3.put_bucket_cors(Bucket="acme-labels", CORSConfiguration={"CORSRules": [{**rule, "AllowedOrigins": ORIGINS}]})
        table, warned = cors_warnings()
        assert set(table.values()) == {"PASS"} and warned == []
