"""The credential-free plan, run the way the README says, on real stack files."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import tools.plan
from tools.mockrun import StackFileError, read_stack_config
from tools.mockrun.recording import Registration
from tools.plan import in_plan_order, plan_stack

ROOT = Path(__file__).resolve().parents[2]


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
    assert result.returncode == 2
    assert "labelstudio:bucket 'Not_A_Bucket' is not a valid S3 bucket name" in result.stderr
    assert "labelstudio:access 'magic'" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_several_stack_files_in_one_run_and_any_failure_fails_the_run(tmp_path):
    good = stack_file(tmp_path, "good", {**AWS, "labelstudio:target": "compose"})
    bad = stack_file(tmp_path, "bad", {**AWS, "labelstudio:cloud": "oracle"})
    result = plan(str(good), str(bad))
    assert result.returncode == 2
    assert "stack 'good'" in result.stdout and "stack 'bad'" in result.stdout
    assert "labelstudio:cloud 'oracle' must be one of 'aws', 'gcp', 'azure' or 's3-compatible'" in result.stderr


def test_a_missing_or_unreadable_stack_file_is_a_plain_error(tmp_path):
    broken = tmp_path / "Pulumi.broken.yaml"
    broken.write_text("config: [unclosed")
    for path in (tmp_path / "Pulumi.none.yaml", broken):
        result = plan(str(path))
        assert result.returncode == 2
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
    assert result.returncode == 2
    out = result.stdout
    assert out.startswith("## Credential-free plan")
    assert "| `Pulumi.dev.yaml` | dev | ✅ 13 resources, all policies pass |" in out
    assert "❌ refused: the stack settings have problems" in out
    assert "| storage-protected | ✅ pass |" in out
    assert "<details><summary>Helm values of release label-studio</summary>" in out
    assert "labelstudio:bucket 'Bad_Bucket'" in out


# -- hostile stack files: refused with one message naming the key, nothing registered ------------

BASES = {
    "aws": {"aws:region": "eu-west-1", "labelstudio:cloud": "aws"},
    "gcp": {"gcp:project": "acme-ml-prod", "labelstudio:cloud": "gcp"},
    "azure": {"azure-native:location": "westeurope", "labelstudio:cloud": "azure"},
}
HOSTILE_LINES = {
    "newline": ('  labelstudio:folder: "media\\n"', "labelstudio:folder"),
    "duplicate": ("  labelstudio:protect: true\n  labelstudio:protect: false", "labelstudio:protect"),
    # The CLI passes an unquoted date as Go prints it ("2024-01-01 00:00:00 +0000 UTC"): no URL.
    "date": ("  labelstudio:corsOrigins: [2024-01-01]", "labelstudio:corsOrigins[0]"),
    # The CLI passes !!binary decoded: here "media" and a line break.
    "binary": ("  labelstudio:folder: !!binary bWVkaWEK", "labelstudio:folder"),
    "set": (
        "  labelstudio:corsOrigins: !!set {https://a.example.com, https://b.example.com}",
        "labelstudio:corsOrigins",
    ),
    "deep": ("  labelstudio:helmValues: " + '{"a": ' * 40 + "{}" + "}" * 40, "labelstudio:helmValues"),
    "password": (
        '  labelstudio:corsOrigins: ["https://user:pw-s3cret@label.example.com"]',
        "labelstudio:corsOrigins[0]",
    ),
    "two colons": ("  labelstudio:aws:region: eu-west-1", "labelstudio:aws:region"),
    "nan": ("  labelstudio:retentionDays: .nan", "labelstudio:retentionDays"),
    "default port": ("  labelstudio:corsOrigins: [https://label.example.com:443]", "labelstudio:corsOrigins[0]"),
}


def hostile_stack_file(tmp_path: Path, cloud: str, target: str, case: str) -> Path:
    base = {**BASES[cloud], "labelstudio:target": target, "labelstudio:bucket": "acme-labels"}
    if cloud == "aws" and target == "kubernetes":
        base["labelstudio:access"] = "access-keys"
    lines = [f"  {key}: {value}" for key, value in base.items()]
    path = tmp_path / f"Pulumi.{cloud}-{target}-{case.replace(' ', '-')}.yaml"
    path.write_text("config:\n" + "\n".join([*lines, HOSTILE_LINES[case][0]]) + "\n")
    return path


@pytest.mark.parametrize("target", ["kubernetes", "compose"])
@pytest.mark.parametrize("cloud", sorted(BASES))
def test_hostile_stack_files_are_refused_naming_the_key_with_nothing_registered(tmp_path, cloud, target):
    for case, (_, key) in HOSTILE_LINES.items():
        result = plan_stack(hostile_stack_file(tmp_path, cloud, target, case))
        error = result.declaration.error
        assert result.failed and error, case
        assert result.declaration.resources == [], case
        assert key in error, (case, error)
        assert "Traceback" not in error and "pw-s3cret" not in error, (case, error)


def test_the_markdown_plan_shows_every_failed_stack_file_and_fails(tmp_path):
    files = [str(hostile_stack_file(tmp_path, "gcp", "compose", case)) for case in HOSTILE_LINES]
    (tmp_path / "Pulumi.list.yaml").write_text("config:\n  - labelstudio:cloud: aws\n")
    files.append(str(tmp_path / "Pulumi.list.yaml"))
    result = plan("--format", "markdown", "Pulumi.dev.yaml", *files)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    for path in files:
        assert f"| `{path}` | " in result.stdout and f"### ❌ `{path}`" in result.stdout, path
    assert "config must be a mapping" in result.stdout
    assert "| `Pulumi.dev.yaml` | dev | ✅" in result.stdout


def test_a_yaml_alias_bomb_is_refused_in_bounded_time_and_memory(tmp_path):
    bomb = ["config:", "  labelstudio:cloud: aws", "  labelstudio:helmValues:", '    a: &a ["lol","lol","lol","lol"]']
    for level, previous in zip("bcdefghij", "abcdefghi", strict=True):
        bomb.append(f"    {level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    path = tmp_path / "Pulumi.bomb.yaml"
    path.write_text("\n".join(bomb) + "\n")
    assert path.stat().st_size < 1000
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    result = plan(str(path))
    assert time.monotonic() - started < 30
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kib < 400_000 or peak_kib == before, f"peak {peak_kib} KiB"
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "labelstudio:helmValues" in result.stderr and "too large" in result.stderr


def test_the_plan_exits_without_a_stray_traceback_run_after_run():
    """The mock monitor's worker threads own event loops; left to the garbage collector at exit they
    printed `Exception ignored in: BaseEventLoop.__del__` about one run in eight."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: plan("Pulumi.dev.yaml"), range(30)))
    for result in results:
        assert result.returncode == 0
        assert result.stderr == "", result.stderr


def test_every_line_of_a_resources_inputs_is_indented_alike():
    lines = plan("Pulumi.dev.yaml").stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if "aws:s3/bucket:Bucket  labelstudio-bucket" in line)
    resource_indent = len(lines[header]) - len(lines[header].lstrip())
    inputs = lines[header + 1 : header + 3]
    assert [line.strip().split(":")[0] for line in inputs] == ["bucket", "forceDestroy"]
    assert {len(line) - len(line.lstrip()) for line in inputs} == {resource_indent + 4}


def test_a_program_that_breaks_is_a_failed_stack_in_the_markdown_not_a_crash(tmp_path, monkeypatch, capsys):
    def broken_program(stack_file: Path) -> None:
        raise RuntimeError("the component fell over")

    monkeypatch.setattr(tools.plan, "run_stack_file", broken_program)
    path = stack_file(tmp_path, "broken", AWS)
    assert tools.plan.main(["--format", "markdown", str(path)]) == 2
    out = capsys.readouterr().out
    assert f"| `{path}` | broken | ❌ refused: the program stopped with an error |" in out
    assert "RuntimeError: the component fell over" in out


YAML_SCALARS = st.sampled_from(
    [
        "2024-01-01",
        "!!binary aGk=",
        "!!set {a, b}",
        ".nan",
        "-.inf",
        "~",
        "&x [1]",
        "*x",
        "!!omap [a: 1]",
        "'\\n'",
        "[[[[",
        "{a: 1, a: 2}",
        "!!python/object:os.system ls",
        "<<: *x",
        "? [1]\n  : 2",
        '"\\x00"',
        "|\n  text",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(["labelstudio:folder", "labelstudio:helmValues", "aws:region", "x", "1", "- a"]),
            st.one_of(YAML_SCALARS, st.text(max_size=30)),
        ),
        max_size=4,
    ),
    head=st.sampled_from(["config:\n", "config: []\n", "", "---\n", "config:\n  labelstudio:cloud: aws\n"]),
)
def test_reading_any_stack_file_either_works_or_says_why(tmp_path_factory, lines, head):
    path = tmp_path_factory.mktemp("fuzz") / "Pulumi.fuzz.yaml"
    path.write_text(head + "".join(f"  {key}: {value}\n" for key, value in lines))
    try:
        read_stack_config(path, ROOT)
    except StackFileError as error:
        assert str(error) and "Traceback" not in str(error)


@pytest.mark.parametrize("name", ["prüd", "a b", "x" * 101])
def test_a_stack_name_the_cli_would_refuse_is_refused(tmp_path, name):
    result = plan_stack(stack_file(tmp_path, name, AWS))
    assert result.failed and result.declaration.resources == []
    assert "is not a stack name" in str(result.declaration.error)


def test_the_plan_shows_what_it_would_import_with_the_ids_given(tmp_path, capsys):
    """Adopting storage imports it: the engine gets `importId`, and the plan must say which
    resources are imported, with which id, rather than show them as created."""
    (tmp_path / "Pulumi.yaml").write_text("name: imports\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi\n"
        "pulumi.CustomResource('test:index:Bucket', 'kept', {}, "
        "opts=pulumi.ResourceOptions(import_='acme-labels', protect=True))\n"
        "pulumi.CustomResource('test:index:Rule', 'made', {})\n"
    )
    path = stack_file(tmp_path, "adopt", {})
    declared = plan_stack(path).declaration
    # Registrations arrive in whatever order the SDK's threads send them.
    assert sorted((r.name, r.import_id) for r in declared.resources) == [("kept", "acme-labels"), ("made", "")]
    assert [r.name for r in declared.imports] == ["kept"]
    assert tools.plan.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "test:index:Bucket  kept  [import acme-labels; protected]" in out
    assert "Imports (1: existing resources taken into the stack, not created)" in out
    assert "test:index:Rule  made\n" in out
    assert tools.plan.main(["--format", "markdown", str(path)]) == 0
    assert "2 resources, 1 imported, all policies pass" in capsys.readouterr().out


def test_one_output_is_printed_before_anything_is_deployed_and_never_a_secret(tmp_path):
    """The S3-compatible server's user policy is needed before `pulumi up`: the plan prints it as JSON
    an administrator feeds to `mc admin policy create`; a secret output is refused by name."""
    result = plan("examples/Pulumi.s3-compatible.yaml", "--output", "serverPolicy")
    assert result.returncode == 0, result.stderr
    policy = json.loads(result.stdout)
    assert policy["Statement"][1]["Resource"] == "arn:aws:s3:::label-studio/media/label-studio/*"
    compose = stack_file(tmp_path, "compose", {**AWS, "labelstudio:target": "compose"})
    secret = plan(str(compose), "--output", "envList")
    assert secret.returncode == 1 and "is secret" in secret.stderr and "STORAGE_AWS" not in secret.stdout
    missing = plan(str(compose), "--output", "serverPolicy")
    assert missing.returncode == 1 and "has no output 'serverPolicy'" in missing.stderr


def test_an_unquoted_date_reaches_the_program_as_the_cli_passes_it_and_the_plan_says_so(tmp_path):
    """The CLI (go-yaml v3, then Pulumi's config) passes `2024-01-01` as Go prints a time, checked
    against the real CLI in tests/engine/test_stack_files_cli.py; the plan does the same and says how
    to pass the date as written."""
    path = tmp_path / "Pulumi.dated.yaml"
    path.write_text("config:\n" + "\n".join(f"  {k}: {v}" for k, v in BASES["aws"].items()) + "\n"
                    "  labelstudio:target: compose\n  labelstudio:bucket: 2024-01-01\n")  # fmt: skip
    result = plan_stack(path)
    assert result.failed and result.declaration.resources == []
    assert (
        "labelstudio:bucket '2024-01-01 00:00:00 +0000 UTC' is not a valid S3 bucket name" in result.declaration.error
    )
    (note,) = [note for note in result.declaration.notes if "date" in note]
    assert note.startswith("labelstudio:bucket: a date written unquoted (2024-01-01)") and "quote it" in note


def _registered(
    name: str, type_: str, parent: str = "", custom: bool = False, waits: tuple[str, ...] = ()
) -> Registration:
    urn = f"urn:pulumi:dev::labelstudio::{type_}::{name}"
    return Registration(type_, name, urn, parent, custom, {}, False, list(waits), [], False, False, [], "")


def test_the_plan_prints_siblings_in_one_order_whatever_order_the_program_registered_them():
    """The program registers its components as their inputs resolve, which varies run to run; the
    printed plan must not (a reviewer diffs it). A sibling whose resources wait for another's comes
    after it, however the names sort; the rest by kind (components first), name and type."""
    storage = _registered("labelstudio", "labelstudio:s3compatible:Storage")
    secret = _registered("keys", "kubernetes:core/v1:Secret", storage.urn, custom=True)
    release = _registered("labelstudio", "labelstudio:kubernetes:LabelStudio")
    chart = _registered("release", "kubernetes:helm.sh/v3:Release", release.urn, custom=True, waits=(secret.urn,))
    provider = _registered("aws", "pulumi:providers:aws", custom=True)
    everything = [storage, secret, release, chart, provider]
    top = [storage, release, provider]
    for registered in (top, top[::-1], [release, provider, storage]):
        assert in_plan_order(registered, everything) == [storage, release, provider]
    independent = [r for r in everything if r is not chart]
    assert in_plan_order(top, independent) == [release, storage, provider], "without a wait: by name, then type"
