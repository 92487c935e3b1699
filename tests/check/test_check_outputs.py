"""Outputs the check cannot use are refused in one line with exit 2, before any request is sent:
unreadable files, JSON that is not an object, and masked or missing keys where the access mode
hands out keys (the check never falls back to the caller's own credentials there)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import aws_stack, azure_stack, gcp_stack, run
from tests.harness.check_runner import ROOT, run_check
from tools.check import BAD_INPUT, main
from tools.mockrun import mask, reveal

CLOSED = "http://127.0.0.1:9"  # never reached: every case here is refused before any request


def refusal(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, *extra: str) -> str:
    """The one line `check` prints when it refuses the outputs in `text`."""
    path = tmp_path / "outputs.json"
    path.write_text(text)
    code = main(["--outputs", str(path), "--endpoint-url", CLOSED, "--deadline", "5", *extra])
    captured = capsys.readouterr()
    assert code == BAD_INPUT, captured.out + captured.err
    assert captured.out == ""
    assert captured.err.startswith("cannot check: ") and captured.err.count("\n") == 1, captured.err
    return captured.err


@pytest.fixture(scope="module")
def keyed_stacks() -> dict[str, Any]:
    """Per cloud, the declaration of a stack whose access mode hands out keys."""
    settings = {"target": "compose", "corsOrigins": ["https://label.example.com"]}
    return {
        "aws": run(aws_stack(aws=None, **settings)),
        "gcp": run(gcp_stack(**settings)),
        "azure": run(azure_stack(**settings)),
    }


@pytest.mark.parametrize(
    "text, says",
    [
        ("{not json", "is not JSON (line 1, column 2)"),
        ("", "is not JSON"),
        ('[{"cloud": "aws"}]', "holds a JSON list"),
        ('"outputs"', "holds a JSON string"),
        ("null", "holds a JSON null"),
        ('{"something": "else"}', "no known cloud"),
        (
            '{"cloud": "aws", "access": "root", "bucketName": "b"}',
            "`access` is 'root', not an access mode of cloud aws",
        ),
        ('{"cloud": "aws", "bucketName": "b", "region": "r", "envList": "[secret]"}', "`envList` is masked"),
        ('{"cloud": "azure", "bucketName": "b", "containerName": "c"}', "lack `envList`"),
        ('{"cloud": "aws", "access": "irsa", "bucketName": "b", "region": "r", "corsOrigins": "x"}', "`corsOrigins`"),
        ('{"cloud": "aws", "access": "irsa", "bucketName": 7, "region": "r"}', "lack `bucketName`"),
    ],
)
def test_outputs_that_are_not_a_stacks_outputs_are_refused_in_one_line(tmp_path, capsys, text, says):
    assert says in refusal(tmp_path, capsys, text)


def test_a_file_that_cannot_be_read_is_refused_in_one_line(tmp_path, capsys):
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe{}")
    missing = main(["--outputs", str(tmp_path / "missing.json"), "--deadline", "5"])
    assert missing == BAD_INPUT and "cannot read" in capsys.readouterr().err
    unreadable = main(["--outputs", str(tmp_path / "binary.json"), "--deadline", "5"])
    assert unreadable == BAD_INPUT and "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_masked_outputs_of_a_keyed_stack_are_refused(tmp_path, capsys, keyed_stacks, cloud):
    """What `pulumi stack output --json` prints without --show-secrets: every secret is "[secret]"."""
    masked = json.dumps(mask(keyed_stacks[cloud].outputs))
    line = refusal(tmp_path, capsys, masked)
    assert "is masked ([secret])" in line and "--show-secrets" in line


@pytest.mark.parametrize(
    "cloud, drop, says",
    [
        ("aws", "STORAGE_AWS_SECRET_ACCESS_KEY", "`envList` lacks STORAGE_AWS_SECRET_ACCESS_KEY"),
        ("aws", "STORAGE_AWS_ACCESS_KEY_ID", "`envList` lacks STORAGE_AWS_ACCESS_KEY_ID"),
        ("azure", "STORAGE_AZURE_ACCOUNT_KEY", "`envList` lacks STORAGE_AZURE_ACCOUNT_KEY"),
    ],
)
def test_a_keyed_stack_without_its_keys_is_refused(tmp_path, capsys, keyed_stacks, cloud, drop, says):
    outputs = reveal(keyed_stacks[cloud].outputs)
    outputs["envList"] = "".join(line + "\n" for line in outputs["envList"].splitlines() if not line.startswith(drop))
    assert says in refusal(tmp_path, capsys, json.dumps(outputs))


def test_one_masked_key_in_the_env_list_is_refused(tmp_path, capsys, keyed_stacks):
    outputs = reveal(keyed_stacks["azure"].outputs)
    outputs["envList"] = outputs["envList"].replace(
        outputs["envList"].split("STORAGE_AZURE_ACCOUNT_KEY=")[1].split("\n")[0], "[secret]"
    )
    assert "STORAGE_AZURE_ACCOUNT_KEY in `envList` is masked" in refusal(tmp_path, capsys, json.dumps(outputs))


def test_a_gcp_key_that_is_not_a_key_file_is_refused(tmp_path, capsys, keyed_stacks):
    outputs = reveal(keyed_stacks["gcp"].outputs)
    outputs["serviceAccountKeyJson"] = '{"type": "authorized_user"}'
    assert "not a service-account key file" in refusal(tmp_path, capsys, json.dumps(outputs))


@pytest.mark.parametrize(
    "flag, value", [("--deadline", "0"), ("--deadline", "-3"), ("--deadline", "soon"), ("--endpoint-url", "ftp://x")]
)
def test_bad_flags_are_refused_with_exit_2(tmp_path, capsys, flag, value):
    with pytest.raises(SystemExit) as stopped:
        main(["--outputs", str(tmp_path / "outputs.json"), flag, value])
    assert stopped.value.code == BAD_INPUT
    assert value in capsys.readouterr().err


def test_the_command_exits_2_on_outputs_that_are_not_json(tmp_path):
    """The same refusal from the command as a user runs it: one line, exit 2, no traceback."""
    result = run_check(tmp_path, "Current stack outputs (3):\n    OUTPUT  VALUE\n", CLOSED)
    assert result.returncode == BAD_INPUT
    assert result.stdout == "" and result.stderr.count("\n") == 1 and "is not JSON" in result.stderr


def fake_pulumi(tmp_path: Path, script: str) -> dict[str, str]:
    """An environment whose `pulumi` is this shell script."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "pulumi").write_text("#!/bin/sh\n" + script)
    (tmp_path / "bin" / "pulumi").chmod(0o755)
    return {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"}


def run_with_stack(env: dict[str, str], deadline: str = "3") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tools.check", "--stack", "dev", "--deadline", deadline]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)


def test_a_pulumi_cli_that_hangs_is_given_up_on_within_the_deadline(tmp_path):
    env = fake_pulumi(tmp_path, "exec sleep 30\n")
    began = time.monotonic()
    result = run_with_stack(env)
    assert time.monotonic() - began < 3 + 2
    assert result.returncode == BAD_INPUT and "did not answer within" in result.stderr


def test_a_failing_pulumi_cli_is_reported_in_one_line(tmp_path):
    env = fake_pulumi(tmp_path, "echo 'error: no stack named dev found' >&2\necho 'more detail' >&2\nexit 255\n")
    result = run_with_stack(env)
    assert result.returncode == BAD_INPUT
    assert result.stderr.count("\n") == 1 and "no stack named dev found more detail" in result.stderr
