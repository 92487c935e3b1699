"""The `check` command against gcp-storage-emulator on 127.0.0.1.

The emulator stores objects and serves signed URLs (it does not verify signatures), but it has
no IAM and answers every CORS preflight with 501. So this proves the object steps and the
signed GET with the key file Label Studio gets, and that the check reports a CORS failure when
storage does not answer preflights; wrong CORS rules and denied keys on Google Cloud are
shown on the declared inputs (test_program_gcp.py) and the policy pack, not here.
"""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import gcp_stack, run
from tests.emulators.test_gcs_emulator import client, emulator  # noqa: F401 - pytest fixtures
from tests.harness.check_runner import run_check, table_of
from tools.mockrun import Declaration, reveal

ORIGINS = ["https://label.example.com"]


@pytest.fixture(scope="module")
def declared() -> Declaration:
    return run(gcp_stack(target="compose", bucket="acme-labels-checked", folder="media", corsOrigins=ORIGINS))


def key_file(email: str) -> str:
    """A service-account key file with a real RSA key, so URLs are signed for real."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {"type": "service_account", "project_id": "p", "private_key_id": "check", "private_key": pem}
    info |= {"client_email": email, "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}
    return json.dumps(info)


def test_objects_and_signed_urls_work_with_the_key_file_and_nothing_is_left(tmp_path, declared, client, emulator):  # noqa: F811
    outputs = reveal(declared.outputs)
    outputs["serviceAccountKeyJson"] = key_file(outputs["serviceAccountEmail"])
    bucket = client.create_bucket(outputs["bucketName"])
    result = run_check(tmp_path, outputs, emulator)
    table = table_of(result)
    put = next(name for name in table if name.startswith("put media/.label-studio-storage-check-"))
    for step in (put, "get it back", "list media", "signed GET URL", "delete the test object", "it is gone"):
        assert table[step][0] == "PASS", (step, result.stdout)
    assert table["CORS upload preflight from https://label.example.com"] == ("FAIL", "HTTP 501, allowed origin None")
    assert result.returncode == 1 and "storage is NOT ready" in result.stdout
    assert list(client.list_blobs(bucket)) == []
    assert "PRIVATE KEY" not in result.stdout + result.stderr
