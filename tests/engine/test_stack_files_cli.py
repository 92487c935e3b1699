"""Stack files read as the Pulumi CLI reads them: every hostile stack file of the plan's own suite
(tests/program/test_plan.py) and the YAML forms where YAML 1.1 readers (PyYAML) and the CLI's (go-yaml v3)
part ways, through `pulumi config --json` and through the plan's reader. What the CLI refuses,
the plan refuses; what it accepts, the plan accepts, and hands the program the same values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.conftest import Engine
from tests.engine.lifecycle import Session, Stack, copy_project
from tests.program.test_plan import HOSTILE_LINES
from tools.mockrun import PROJECT_DIR, StackFileError, read_stack_config

pytestmark = pytest.mark.engine

BASE = "config:\n  aws:region: eu-west-1\n  labelstudio:cloud: aws\n  labelstudio:bucket: acme-labels\n"
# Lines whose reading differs between YAML 1.1 and go-yaml v3, one setting each.
YAML_FORMS = {
    "date bucket": "  labelstudio:host: https://label.example.com\n  labelstudio:folder: 2024-01-01",
    "date and time": "  labelstudio:folder: 2024-01-01T10:00:00Z",
    "quoted date": '  labelstudio:folder: "2024-01-01"',
    "explicit str": "  labelstudio:folder: !!str 2024-01-01",
    "yes": "  labelstudio:folder: yes",
    "on": "  labelstudio:folder: on",
    "NO": "  labelstudio:folder: NO",
    "True": "  labelstudio:enterprise: True",
    "exponent": "  labelstudio:retentionDays: 1e3",
    "octal 1.1": "  labelstudio:retentionDays: 0755",
    "octal 1.2": "  labelstudio:retentionDays: 0o17",
    "underscores": "  labelstudio:retentionDays: 1_000",
    "sexagesimal": "  labelstudio:folder: 1:20",
    "whole float": "  labelstudio:retentionDays: 30.0",
    "float in object": "  labelstudio:helmValues:\n    app:\n      replicas: 2.0",
    "empty": "  labelstudio:folder:",
    "tilde": "  labelstudio:folder: ~",
    "binary": "  labelstudio:folder: !!binary aGVsbG8=",
    "set": "  labelstudio:corsOrigins: !!set {https://a.example.com, https://b.example.com}",
    "omap": "  labelstudio:helmValues: !!omap [a: 1, b: 2]",
    "number key": "  labelstudio:helmValues:\n    1: one",
    "bool key": "  labelstudio:helmValues:\n    true: yes",
    "infinity": "  labelstudio:retentionDays: .inf",
    "huge": "  labelstudio:retentionDays: 18446744073709551616",
    "binary int": "  labelstudio:retentionDays: 0b101",
    "explicit timestamp": "  labelstudio:folder: !!timestamp 2024-01-01",
    "keys of other types": "  labelstudio:helmValues:\n    true: a\n    ~: b\n    1.5: c\n    2024-01-01: d",
    "list key": "  labelstudio:helmValues: {[1]: a}",
    "top-level number key": "  1: x",
    "legacy config key": "  aws:config:profile: x",
    "custom tag": "  labelstudio:folder: !custom media",
    "alias bomb": "  labelstudio:helmValues:\n    a: &a [lol, lol, lol, lol]\n"
    + "\n".join(
        f"    {level}: &{level} [" + ",".join([f"*{prev}"] * 9) + "]"
        for level, prev in zip("bcdefghij", "abcdefghi", strict=True)
    ),
}
CASES = {**{f"hostile {case}": line for case, (line, _) in HOSTILE_LINES.items()}, **YAML_FORMS}


@pytest.fixture(scope="module")
def cli_stack(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One stack whose file each case rewrites: `pulumi config` reads it afresh every time."""
    root = tmp_path_factory.mktemp("stack-files")
    project = copy_project(root / "project")
    (root / "backend").mkdir()
    stack = Stack(Session(engine.env, root / "backend", root / "no-kubeconfig"), project, "stack-files")
    stack.cli("stack", "init", stack.name, "--secrets-provider", "passphrase")
    yield stack
    stack.remove()


def cli_reading(stack: Stack, text: str) -> tuple[dict[str, Any] | None, str]:
    """(key -> value as the program gets it, or None when refused; the CLI's message)."""
    path = stack.project_dir / f"Pulumi.{stack.name}.yaml"
    salt = [line for line in path.read_text().splitlines() if line.startswith("encryptionsalt:")]
    path.write_text("\n".join(salt) + "\n" + text)
    result = stack.cli("config", "--json", "--show-secrets", "--stack", stack.name, check=False)
    if result.returncode != 0:
        return None, result.stderr.strip()
    return {key: decoded(entry["value"]) for key, entry in json.loads(result.stdout).items()}, ""


def plan_reading(stack: Stack) -> tuple[dict[str, Any] | None, str]:
    try:
        _, _, config, _, _ = read_stack_config(stack.project_dir / f"Pulumi.{stack.name}.yaml", PROJECT_DIR)
    except StackFileError as error:
        return None, str(error)
    return {key: decoded(value) for key, value in config.items()}, ""


def decoded(value: str) -> Any:
    """A config value as the program's settings read it: objects and lists from their JSON."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_plan_reads_a_stack_file_as_the_cli_does(cli_stack: Stack, case: str) -> None:
    cli, cli_message = cli_reading(cli_stack, BASE + CASES[case] + "\n")
    plan, plan_message = plan_reading(cli_stack)
    if cli is None:
        assert plan is None, f"the CLI refuses this file ({cli_message}), the plan accepts it"
        return
    assert plan is not None, f"the CLI accepts this file, the plan refuses it: {plan_message}"
    project_defaults = {key for key in plan if key not in cli}
    assert {k: v for k, v in plan.items() if k not in project_defaults} == cli
