"""The credential-free plan, run the way the README says, on real stack files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def plan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.plan", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def stack_file(tmp_path: Path, name: str, config: dict) -> Path:
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


AWS = {
    "aws:region": "eu-west-1",
    "labelstudio:cloud": "aws",
    "labelstudio:bucket": "acme-labels",
    "labelstudio:host": "https://label.example.com",
}


def test_plan_of_the_dev_stack_lists_resources_values_and_outputs():
    result = plan("Pulumi.dev.yaml")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "not a diff against live state" in out
    assert "aws:s3/bucket:Bucket  labelstudio-bucket  [protected]" in out
    assert "kubernetes:helm.sh/v3:Release  labelstudio-release" in out
    assert "Helm values of release label-studio (chart label-studio 2.0.5)" in out
    assert "eks.amazonaws.com/role-arn: arn:aws:iam::" in out
    assert "Stack outputs" in out and "bucketName: " in out


def test_credentials_show_as_secret_and_never_in_clear(tmp_path):
    config = {**AWS, "labelstudio:access": "access-keys", "labelstudio:credentials": "inline"}
    result = plan(str(stack_file(tmp_path, "keys", config)))
    assert result.returncode == 0, result.stderr
    assert "accessKey: '[secret]'" in result.stdout and "secretKey: '[secret]'" in result.stdout
    assert "stand-in-secret-access-key" not in result.stdout + result.stderr
    assert "STANDINACCESSKEYID" not in result.stdout + result.stderr


def test_compose_plan_shows_env_list_as_a_secret_output(tmp_path):
    result = plan(str(stack_file(tmp_path, "compose", {**AWS, "labelstudio:target": "compose"})))
    assert result.returncode == 0, result.stderr
    assert "envList: '[secret]'" in result.stdout
    assert "kubernetes:" not in result.stdout


def test_a_bad_stack_file_fails_with_the_programs_own_message_and_no_traceback(tmp_path):
    config = {**AWS, "labelstudio:bucket": "Not_A_Bucket", "labelstudio:access": "magic"}
    result = plan(str(stack_file(tmp_path, "bad", config)))
    assert result.returncode == 1
    assert "labelstudio:bucket 'Not_A_Bucket' is not a valid S3 bucket name" in result.stderr
    assert "labelstudio:access 'magic'" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_several_stack_files_in_one_run_and_any_failure_fails_the_run(tmp_path):
    good = stack_file(tmp_path, "good", {**AWS, "labelstudio:target": "compose"})
    bad = stack_file(tmp_path, "bad", {**AWS, "labelstudio:cloud": "oracle"})
    result = plan(str(good), str(bad))
    assert result.returncode == 1
    assert "stack 'good'" in result.stdout and "stack 'bad'" in result.stdout
    assert "labelstudio:cloud 'oracle' must be one of 'aws', 'gcp' or 'azure'" in result.stderr


def test_a_missing_or_unreadable_stack_file_is_a_plain_error(tmp_path):
    broken = tmp_path / "Pulumi.broken.yaml"
    broken.write_text("config: [unclosed")
    for path in (tmp_path / "Pulumi.none.yaml", broken):
        result = plan(str(path))
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert str(path.name) in result.stderr


def test_every_example_stack_file_plans_cleanly_in_one_run():
    result = plan()
    assert result.returncode == 0, result.stderr
    for stack in ("dev", "staging", "prod"):
        assert f"Credential-free plan for stack '{stack}'" in result.stdout
    assert "VIOLATED" not in result.stdout


def test_policy_verdicts_are_shown_and_a_violation_fails_the_run(tmp_path):
    config = {**AWS, "labelstudio:protect": False, "labelstudio:target": "compose"}
    result = plan(str(stack_file(tmp_path, "unprotected", config)))
    assert result.returncode == 1
    assert "VIOLATED storage-protected" in result.stdout
    assert "  pass     tls-only" in result.stdout
    assert "policy storage-protected: labelstudio-bucket is not protected" in result.stderr


def test_markdown_output_for_a_pull_request_summarises_each_stack(tmp_path):
    bad = stack_file(tmp_path, "bad", {**AWS, "labelstudio:bucket": "Bad_Bucket"})
    result = plan("--format", "markdown", "Pulumi.dev.yaml", str(bad))
    assert result.returncode == 1
    out = result.stdout
    assert out.startswith("## Credential-free plan")
    assert "| `Pulumi.dev.yaml` | dev | ✅ 13 resources, all policies pass |" in out
    assert "❌ refused: the stack settings have problems" in out
    assert "| storage-protected | ✅ pass |" in out
    assert "<details><summary>Helm values of release label-studio</summary>" in out
    assert "labelstudio:bucket 'Bad_Bucket'" in out
