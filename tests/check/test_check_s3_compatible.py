"""The `check` command against moto as an S3-compatible server (tests/harness/s3_compatible_world): the
outputs of an s3-compatible stack, the server set up by hand as docs/s3-compatible.md says, and
IAM enforced, so the check proves Label Studio's user can do its work with the `serverPolicy` output.
The server is `http://localhost:<port>`, where only path-style requests reach it; the Kubernetes
stacks name it by address, `http://127.0.0.1:<port>` (a Kubernetes stack refuses `localhost`: nginx
in Label Studio's image would ask DNS for it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import run, s3_compatible_stack
from tests.harness.check_runner import rows, run_check
from tests.harness.s3_compatible_world import Administered, Server, administer, s3_compatible_server
from tests.harness.s3_world import REGION, client
from tests.harness.servers import enforce_iam, moto_server
from tools.mockrun import Declaration, Decrypted, reveal

FOLDER = "media/label-studio"
ORIGINS = ["https://label.example.com"]
SECRET = "minio-label-studio"
PLAIN_HTTP = "is reached over plain http: objects and signed links travel unencrypted"
ANYONE = "lets anyone list it without keys"
CANNOT_TELL = "cannot tell whether it has versioning (AccessDenied); an administrator can: `mc version info`"


def declared(endpoint: str, keys: dict[str, Any], **settings: Any) -> Declaration:
    on_server = {"endpointUrl": endpoint, "region": REGION, **keys}
    return run(s3_compatible_stack(folder=FOLDER, corsOrigins=ORIGINS, **settings, **{"s3-compatible": on_server}))


def by_address(endpoint: str) -> str:
    return endpoint.replace("://localhost:", "://127.0.0.1:")


def in_secret(endpoint: str) -> Declaration:
    return declared(by_address(endpoint), {"credentialsSecret": {"name": SECRET}}, createNamespace=False)


def keyed(endpoint: str, key_id: str, secret: str) -> dict[str, Any]:
    """The stack's outputs as `pulumi stack output --json --show-secrets` gives them, keys as secret settings."""
    keys = {"accessKeyId": Decrypted(key_id), "secretAccessKey": Decrypted(secret)}
    return dict(reveal(declared(endpoint, keys, target="compose").outputs))


@pytest.fixture
def server() -> Iterator[Server]:
    with s3_compatible_server() as started:
        yield started


def set_up(server: Server, **options: bool) -> Administered:
    """The bucket and user as the administrator makes them from the stack's outputs; then IAM is on."""
    admin = administer(server, in_secret(server.endpoint), **options)
    enforce_iam(server.moto)
    return admin


def warnings_of(stdout: str) -> list[str]:
    return [line.removeprefix("Warning: ") for line in stdout.splitlines() if line.startswith("Warning: ")]


def leftovers(admin: Administered) -> list[str]:
    listed = admin.world.operator.list_objects_v2(Bucket=admin.world.bucket, Prefix=f"{FOLDER}/")
    return [item["Key"] for item in listed.get("Contents", [])]


def test_a_bucket_set_up_as_the_docs_say_passes_with_label_studios_keys_path_style(tmp_path, server):
    admin = set_up(server)
    result = run_check(tmp_path, keyed(server.endpoint, admin.key_id, admin.secret))
    assert result.returncode == 0, result.stdout + result.stderr
    table = rows(result)
    assert set(table.values()) == {"PASS"}, result.stdout
    for expected in ("get it back", f"list {FOLDER}", "signed GET URL", "delete the test object"):
        assert expected in table, result.stdout
    assert f"CORS upload preflight from {ORIGINS[0]}" in table
    assert f"Checking {server.endpoint}/{admin.world.bucket} (S3-compatible" in result.stderr
    # Versioned, encrypted and private; Label Studio's user may not read versioning, and is told who can.
    # (moto lets it read the encryption setting, which real servers refuse it too.)
    warned = warnings_of(result.stdout)
    where = f"{server.endpoint}/{admin.world.bucket}"
    assert f"{where} {PLAIN_HTTP}" in warned, result.stdout
    assert f"{where} {CANNOT_TELL}" in warned, result.stdout
    assert not [line for line in warned if ANYONE in line or "is not versioned" in line or "no default" in line]
    assert leftovers(admin) == []
    assert admin.secret not in result.stdout + result.stderr


def test_a_bucket_whose_cors_does_not_allow_the_origin_fails(tmp_path, server):
    admin = set_up(server, cors=False)
    rule = {"AllowedOrigins": ["https://old-host.example.com"], "AllowedMethods": ["GET", "PUT"]}
    admin.world.operator.put_bucket_cors(Bucket=admin.world.bucket, CORSConfiguration={"CORSRules": [rule]})
    result = run_check(tmp_path, keyed(server.endpoint, admin.key_id, admin.secret))
    assert result.returncode == 1, result.stdout + result.stderr
    table = rows(result)
    assert table[f"CORS upload preflight from {ORIGINS[0]}"] == "FAIL"
    assert table[f"CORS GET from {ORIGINS[0]}"] == "FAIL"
    assert table["signed GET URL"] == "PASS"
    assert "storage is NOT ready" in result.stdout
    assert leftovers(admin) == []


def test_with_the_keys_in_a_secret_the_check_uses_yours_and_says_so(tmp_path, server):
    admin = set_up(server)
    stack_outputs = dict(reveal(in_secret(server.endpoint).outputs))
    assert "envList" not in stack_outputs and stack_outputs["credentialsSecret"] == SECRET
    env = {"AWS_ACCESS_KEY_ID": admin.key_id, "AWS_SECRET_ACCESS_KEY": admin.secret, "PATH": "/usr/bin:/bin"}
    result = run_check(tmp_path, stack_outputs, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Kubernetes Secret {SECRET}" in result.stdout and "YOUR environment" in result.stdout
    # The keys in your environment are what it proves: a user the server does not know fails.
    env |= {"AWS_ACCESS_KEY_ID": "AKIAUNKNOWNUSER00000"}
    assert run_check(tmp_path, stack_outputs, env=env).returncode == 1


@pytest.mark.parametrize("hardened", [True, False], ids=["versioned-encrypted", "unversioned-unencrypted"])
def test_an_administrators_keys_see_the_bucket_settings_and_the_warnings_follow_them(tmp_path, server, hardened):
    """With the keys in a Secret, check uses the keys in the environment: an administrator's read the
    bucket's settings, and what the bucket lacks is warned about, without failing the check."""
    admin = set_up(server, versioned=hardened, encrypted=hardened)
    operator_key, operator_secret = admin.world.operator_key
    env = {"AWS_ACCESS_KEY_ID": operator_key, "AWS_SECRET_ACCESS_KEY": operator_secret, "PATH": "/usr/bin:/bin"}
    result = run_check(tmp_path, dict(reveal(in_secret(server.endpoint).outputs)), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    where = f"{by_address(server.endpoint)}/{admin.world.bucket}"
    lacking = (
        []
        if hardened
        else [
            f"{where} is not versioned: an overwrite or delete is final",
            f"{where} has no default encryption",
        ]
    )
    assert warnings_of(result.stdout) == [f"{where} {PLAIN_HTTP}", *lacking], result.stdout


def test_a_bucket_anyone_may_list_is_warned_about(tmp_path):
    """moto answers a request without keys only while it does not enforce IAM (once it does, it fails
    on them, even with a bucket policy for Principal "*"): before enforcing, it serves anyone, as a
    bucket with `mc anonymous set download` does. The private bucket of the first test is not warned."""
    with moto_server() as moto:
        endpoint = moto.replace("://127.0.0.1:", "://localhost:")
        stack_outputs = keyed(endpoint, "AKIAUNCHECKED0000000", "moto-checks-no-keys-yet")
        client("s3", moto).create_bucket(
            Bucket=stack_outputs["bucketName"], CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        result = run_check(tmp_path, stack_outputs)
    assert f"{endpoint}/{stack_outputs['bucketName']} {ANYONE}" in "\n".join(warnings_of(result.stdout)), result.stdout
