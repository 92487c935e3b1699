"""`check` against storage that hangs, answers garbage or is not there, for each cloud's client:
it fails within its deadline, says so, and prints no credential."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest

from tests.check.test_check_gcs import key_file
from tests.conftest import aws_stack, azure_stack, gcp_stack, run
from tests.harness.check_runner import hostile_endpoint, run_check, table_of
from tools.mockrun import reveal

DEADLINE = 3.0
SLACK = 2.5  # the interpreter starting and importing, before the check's clock runs, on a busy machine
AWS_KEY_ID, AWS_SECRET = "AKIAHOSTILEENDPOINT1", "hostile+Secret/AccessKey0123456789abcdefgh"
AZURE_KEY = base64.b64encode(b"hostile-endpoint-account-key-" * 2).decode()


def with_env(outputs: dict[str, Any], **values: str) -> dict[str, Any]:
    env = dict(line.split("=", 1) for line in outputs["envList"].splitlines() if "=" in line)
    outputs["envList"] = "".join(f"{name}={value}\n" for name, value in {**env, **values}.items())
    return outputs


@pytest.fixture(scope="module")
def keyed() -> dict[str, tuple[dict[str, Any], list[str]]]:
    """Per cloud: the outputs of a stack whose access mode hands out keys, and those keys."""
    settings = {"target": "compose", "folder": "media", "corsOrigins": ["https://label.example.com"]}
    aws = with_env(
        reveal(run(aws_stack(aws=None, **settings)).outputs),
        STORAGE_AWS_ACCESS_KEY_ID=AWS_KEY_ID,
        STORAGE_AWS_SECRET_ACCESS_KEY=AWS_SECRET,
    )
    azure = with_env(reveal(run(azure_stack(**settings)).outputs), STORAGE_AZURE_ACCOUNT_KEY=AZURE_KEY)
    gcp = reveal(run(gcp_stack(**settings)).outputs)
    gcp["serviceAccountKeyJson"] = key_file(gcp["serviceAccountEmail"])
    private_key = json.loads(gcp["serviceAccountKeyJson"])["private_key"]
    pem_body = private_key.splitlines()[1]
    return {
        "aws": (aws, [AWS_KEY_ID, AWS_SECRET]),
        "azure": (azure, [AZURE_KEY]),
        "gcp": (gcp, [pem_body, "PRIVATE KEY"]),
    }


@pytest.mark.parametrize("behaviour", ["hanging", "garbage", "junk-http", "closed"])
@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_storage_that_hangs_babbles_or_is_closed_fails_within_the_deadline(tmp_path, keyed, cloud, behaviour):
    outputs, credentials = keyed[cloud]
    with hostile_endpoint(behaviour) as url:
        began = time.monotonic()
        result = run_check(tmp_path, outputs, url, deadline=DEADLINE)
        took = time.monotonic() - began
    printed = result.stdout + result.stderr
    assert result.returncode == 1, printed
    assert took < DEADLINE + SLACK, printed
    assert "storage is NOT ready" in result.stdout
    assert "put media/.label-studio-storage-check-" in result.stderr  # progress, as each step runs
    for credential in credentials:
        assert credential not in printed
    assert "Traceback" not in printed
    cleanup = table_of(result)["delete the test object"]
    assert not cleanup[1].startswith("skipped"), "the deadline kept no time to delete the test object"
    if behaviour == "hanging":
        assert re.search(r"no answer within|timed out|timeout", result.stdout, re.IGNORECASE), result.stdout
