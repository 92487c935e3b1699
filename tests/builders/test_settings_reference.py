"""The settings reference: docs tables and Pulumi.yaml generated from the model, current, and true.

There is no Pulumi CLI here, and no installed package ships Pulumi's project-file schema, so
`project_file_problems` re-states the rules the CLI applies to Pulumi.yaml (its published JSON
schema for the project file and its Go validation of project config): those are what a wrong
block would break, for every stack of the project.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings.model import (
    NAMESPACE,
    SettingsError,
    cloud_settings,
    load_settings,
    provider_keys,
    settings_model,
)
from tools import settings_reference
from tools.mockrun import read_stack_config
from tools.settings_reference import COMMAND, cloud_models, main, pulumi_type

ROOT = Path(__file__).resolve().parents[2]
PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
OIDC = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF"

# What `pulumi new` needs typed in, per cloud, beyond what the template asks (objects it cannot ask for).
ANSWERS = {
    "aws": {"aws:region": "eu-west-1", "cloud": "aws", "bucket": "acme-labels", "host": "https://label.example.com"},
    "gcp": {"gcp:project": "acme-ml-prod", "cloud": "gcp", "bucket": "acme-labels", "host": "https://l.example.com"},
    "azure": {"azure-native:location": "westeurope", "cloud": "azure", "bucket": "acme-labels", "host": "http://x.io"},
}
OBJECTS = {"aws": {"aws": {"oidcProviderArn": OIDC}}, "gcp": {}, "azure": {}}


def valid_stack(cloud: str) -> dict[str, Any]:
    """Settings as the program reads them (keys without `labelstudio:`) for a working stack."""
    return {**ANSWERS[cloud], **OBJECTS[cloud]}


def problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(raw)
    return caught.value.problems


# ---------------------------------------------------------------------------------------------
# Pulumi's rules for the project file, re-stated.

_SIMPLE_TYPES = {"string", "integer", "boolean", "array"}
_DECLARATION_KEYS = {"type", "items", "description", "secret", "default", "value"}
_TEMPLATE_KEYS = {"description", "quickstart", "important", "config"}
_TEMPLATE_VALUE_KEYS = {"description", "default", "secret"}


def _type_problem(declared: Any, where: str) -> str | None:
    if not isinstance(declared, dict) or declared.get("type") not in _SIMPLE_TYPES:
        return f"{where}: type must be one of {sorted(_SIMPLE_TYPES)} (Pulumi has no object config type)"
    if declared["type"] == "array":
        if "items" not in declared:
            return f"{where}: an array declares the type of its items"
        return _type_problem(declared["items"], f"{where}.items")
    return None


def _matches(value: Any, declared: dict[str, Any]) -> bool:
    kind = declared["type"]
    if kind == "array":
        return isinstance(value, list) and all(_matches(item, declared["items"]) for item in value)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


def project_file_problems(project: dict[str, Any]) -> list[str]:
    """What the Pulumi CLI would refuse in this project file (the rules that concern config and template)."""
    found = []
    name = project.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        found.append("name: a project name of letters, digits, '-', '_' and '.'")
    if "runtime" not in project:
        found.append("runtime: required")
    for key, declared in (project.get("config") or {}).items():
        if not isinstance(declared, dict):
            continue  # a plain value: a default the CLI writes into every stack
        unknown = set(declared) - _DECLARATION_KEYS
        if unknown:
            found.append(f"config.{key}: unknown attributes {sorted(unknown)}")
        if "default" in declared and "value" in declared:
            found.append(f"config.{key}: cannot have both a default and a value")
        if ":" in key and not key.startswith(f"{name}:"):
            if "type" in declared or "default" in declared or "value" not in declared:
                found.append(f"config.{key}: a key outside the project's namespace takes a value only")
            continue
        if "type" in declared:
            problem = _type_problem(declared, f"config.{key}")
            if problem:
                found.append(problem)
            elif "default" in declared and not _matches(declared["default"], declared):
                found.append(f"config.{key}: the default is not a {declared['type']}")
        if not isinstance(declared.get("description", ""), str) or not isinstance(declared.get("secret", False), bool):
            found.append(f"config.{key}: description is text and secret is true or false")
    template = project.get("template") or {}
    unknown = set(template) - _TEMPLATE_KEYS
    if unknown:
        found.append(f"template: unknown attributes {sorted(unknown)}")
    for key, value in (template.get("config") or {}).items():
        if not isinstance(value, dict) or set(value) - _TEMPLATE_VALUE_KEYS:
            found.append(f"template.config.{key}: only description, default and secret")
        elif not all(isinstance(value.get(text, ""), str) for text in ("description", "default")):
            found.append(f"template.config.{key}: description and default are text (what the prompt shows)")
    return found


def test_pulumi_yaml_follows_pulumis_project_file_rules():
    assert project_file_problems(PROJECT) == []


@pytest.mark.parametrize(
    "project",
    [
        {"config": {"labelstudio:aws": {"type": "object"}}},
        {"config": {"labelstudio:corsOrigins": {"type": "array"}}},
        {"config": {"aws:region": {"type": "string", "value": "eu-west-1"}}},
        {"config": {"aws:region": {"default": "eu-west-1"}}},
        {"config": {"labelstudio:retentionDays": {"type": "integer", "default": "thirty"}}},
        {"config": {"labelstudio:folder": {"type": "string", "default": "a", "value": "b"}}},
        {"config": {"labelstudio:folder": {"type": "string", "required": True}}},
        {"template": {"displayName": "Label Studio storage"}},
        {"template": {"config": {"labelstudio:target": {"default": True}}}},
    ],
)
def test_the_project_file_rules_refuse_what_the_cli_refuses(project: dict[str, Any]):
    assert project_file_problems({"name": "labelstudio", "runtime": "python", **project})


# ---------------------------------------------------------------------------------------------
# config: and template: say what the program does.


def test_config_declares_exactly_the_settings_the_program_requires():
    declared = {key.removeprefix(f"{NAMESPACE}:") for key in PROJECT["config"]}
    for cloud in ANSWERS:
        stack = valid_stack(cloud)
        load_settings(stack)
        required = {key for key in stack if f"{NAMESPACE}:{key}: is required" in problems_without(stack, key)}
        assert required == declared, cloud


def problems_of(raw: dict[str, Any]) -> list[str]:
    """Every problem the program finds in `raw`; none when it is valid."""
    try:
        load_settings(raw)
    except SettingsError as error:
        return error.problems
    return []


def problems_without(stack: dict[str, Any], key: str) -> list[str]:
    return problems_of({other: value for other, value in stack.items() if other != key})


def test_config_writes_nothing_into_a_stack_so_the_plan_reads_the_stack_file_alone():
    # A declared default or value is written by the CLI into every stack that lacks the key; the
    # program owns its defaults (and refuses `namespace` on compose even when it holds the default).
    assert all({"default", "value", "secret"}.isdisjoint(declared) for declared in PROJECT["config"].values())
    stack_files = sorted(ROOT.glob("Pulumi.*.yaml")) + sorted((ROOT / "examples").glob("Pulumi.*.yaml"))
    assert len(stack_files) >= 4
    for path in stack_files:
        _, _, config, _, _ = read_stack_config(path, ROOT)
        written = yaml.safe_load(path.read_text())["config"]
        assert set(config) == set(written), path.name


@pytest.mark.parametrize("cloud", sorted(ANSWERS))
@pytest.mark.parametrize("target", ["kubernetes", "compose"])
def test_accepting_pulumi_news_defaults_changes_nothing_the_program_decides(cloud: str, target: str):
    # `pulumi new` writes every accepted default into the stack as text, and skips empty answers.
    defaults = {key: entry["default"] for key, entry in PROJECT["template"]["config"].items() if "default" in entry}
    stack = {**valid_stack(cloud), "target": target}
    if target == "compose":
        stack.pop(cloud, None)
    as_saved = {key.removeprefix(f"{NAMESPACE}:"): value for key, value in defaults.items()}
    with_defaults = {**as_saved, **stack}
    assert load_settings(with_defaults) == load_settings(stack)


def test_pulumi_new_with_every_default_accepted_asks_for_the_required_settings_by_name():
    defaults = {
        key.removeprefix(f"{NAMESPACE}:"): entry["default"]
        for key, entry in PROJECT["template"]["config"].items()
        if "default" in entry
    }
    found = "\n".join(problems(defaults))
    assert f"{NAMESPACE}:cloud: is required" in found and f"{NAMESPACE}:bucket: is required" in found


def test_template_asks_for_settings_the_program_reads_under_their_full_names():
    known = {field.alias or name for name, field in settings_model().model_fields.items()}
    for key in PROJECT["template"]["config"]:
        # A full name keeps `labelstudio:` even when `pulumi new` is given another project name.
        assert key.startswith(f"{NAMESPACE}:") or key in provider_keys(), key
        assert key.removeprefix(f"{NAMESPACE}:") in known, key
    for key in PROJECT["config"]:
        assert "default" not in PROJECT["template"]["config"].get(key, {}), f"{key} is required: no default"


def test_an_object_setting_cannot_be_declared_as_pulumi_config():
    with pytest.raises(ValueError, match="string, integer, boolean and array"):
        pulumi_type(dict[str, Any], "labelstudio:helmValues")
    assert pulumi_type(list[str], "k") == {"type": "array", "items": {"type": "string"}}


# ---------------------------------------------------------------------------------------------
# The docs tables.


def table(path: Path, name: str) -> dict[str, dict[str, str]]:
    """The rows of a generated table, by key, each a {column: cell} mapping."""
    text = path.read_text()
    block = text.split(f"<!-- settings:begin {name} -->", 1)[1].split("<!-- settings:end -->", 1)[0]
    lines = [line.strip().strip("|").split(" | ") for line in block.strip().splitlines()]
    header, rows = [cell.strip() for cell in lines[0]], lines[2:]
    return {row[0].strip("` "): dict(zip(header, (cell.strip() for cell in row), strict=True)) for row in rows}


DOCS = ROOT / "docs"
TABLES = {
    "top": DOCS / "settings.md",
    "aws": DOCS / "aws.md",
    "gcp": DOCS / "gcp.md",
    "azure": DOCS / "azure.md",
    "s3-compatible": DOCS / "s3-compatible.md",
}


def test_generated_files_are_current():
    for path, expected in settings_reference.generated_files(ROOT).items():
        assert path.read_text() == expected, f"{path.name} is stale: run `{COMMAND}`"


def test_every_table_lists_exactly_the_keys_the_program_accepts():
    assert set(TABLES) == {"top", *cloud_models()}
    top = table(TABLES["top"], "top")
    for cloud in ANSWERS:
        stack = valid_stack(cloud)
        for key in top:
            assert "is not a setting" not in "\n".join(problems_of({**stack, key: None})), key
        assert "is not a setting" in "\n".join(problems({**stack, "bucketName": "x"}))
        objects = table(TABLES[cloud], cloud)
        for key in objects:
            wrong = "\n".join(problems_of({**stack, cloud: {key: None}}))
            assert "is not a setting" not in wrong, (cloud, key)
        assert "is not a setting" in "\n".join(problems({**stack, cloud: {"colour": "x"}}))
        assert len(objects) == len(cloud_models()[cloud].model_fields)
    assert len(top) == len([name for name, f in settings_model().model_fields.items() if ":" not in (f.alias or name)])


def _literal(cell: str) -> Any:
    """A default cell that is one code span, read as a stack file would (`30`, `true`, `label-studio`)."""
    match = re.fullmatch(r"`([^`]*)`", cell)
    return yaml.safe_load(match.group(1)) if match else None


def test_the_defaults_the_tables_show_are_what_the_program_uses():
    checked = 0
    for cloud in ANSWERS:
        settings, _ = load_settings(valid_stack(cloud))
        for name, field in settings_model().model_fields.items():
            row = table(TABLES["top"], "top").get(field.alias or name)
            # A `default_doc` is prose for a default that depends on other settings, checked below.
            described = isinstance(field.json_schema_extra, dict) and "default_doc" in field.json_schema_extra
            if row is not None and not described and _literal(row["default"]) not in (None, {}):
                assert getattr(settings, name) == _literal(row["default"]), name
                checked += 1
        if cloud == "azure":
            assert settings.credentials == _literal(table(TABLES["top"], "top")["credentials"]["default"])
        # The object's own defaults, with an access mode that needs none of its keys.
        bare, _ = load_settings({**ANSWERS[cloud], "access": cloud_settings(cloud).keyed_access, cloud: {}})
        cloud_object = getattr(bare, cloud)
        for name, field in type(cloud_object).model_fields.items():
            row = table(TABLES[cloud], cloud)[field.alias or name]
            if row["default"] == "none":
                assert getattr(cloud_object, name) is None, (cloud, name)
            elif _literal(row["default"]) is not None:
                assert getattr(cloud_object, name) == _literal(row["default"]), (cloud, name)
            checked += 1
        assert table(TABLES["top"], "top")["cloud"]["default"] == "required"
    assert checked > 30


def test_the_aws_table_says_which_access_mode_needs_each_key():
    rows = table(TABLES["aws"], "aws")
    for key, row in rows.items():
        if row["used by"] != "all":
            mode = row["used by"].split("`")[1]
            stack = {**valid_stack("aws"), "access": mode, "aws": {}}
            assert f"{NAMESPACE}:aws.{key}: is required with access {mode}" in "\n".join(problems(stack))


# ---------------------------------------------------------------------------------------------
# The command.


@pytest.fixture
def copy_of_the_project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(DOCS, tmp_path / "docs")
    return tmp_path


def test_the_check_names_a_stale_table_and_write_regenerates_it_keeping_the_prose(
    copy_of_the_project: Path, capsys: pytest.CaptureFixture[str]
):
    aws_md = copy_of_the_project / "docs" / "aws.md"
    original = aws_md.read_text()
    aws_md.write_text(original.replace("the EKS cluster's name", "the cluster's nickname") + "\nMore prose.\n")
    assert main([], root=copy_of_the_project) == 1
    assert "docs/aws.md" in capsys.readouterr().err
    assert main(["--write"], root=copy_of_the_project) == 0
    assert aws_md.read_text() == original + "\nMore prose.\n"
    assert main([], root=copy_of_the_project) == 0


def test_the_check_notices_a_hand_edited_pulumi_yaml(copy_of_the_project: Path, capsys: pytest.CaptureFixture[str]):
    project = copy_of_the_project / "Pulumi.yaml"
    project.write_text(project.read_text().replace("default: kubernetes", "default: compose"))
    assert main([], root=copy_of_the_project) == 1
    assert "Pulumi.yaml" in capsys.readouterr().err
    assert main(["--write"], root=copy_of_the_project) == 0
    assert project.read_text() == (ROOT / "Pulumi.yaml").read_text()


def test_a_missing_table_is_reported_with_the_marker_to_add(
    copy_of_the_project: Path, capsys: pytest.CaptureFixture[str]
):
    gcp_md = copy_of_the_project / "docs" / "gcp.md"
    gcp_md.write_text(gcp_md.read_text().replace("settings:begin gcp", "settings: gcp"))
    assert main([], root=copy_of_the_project) == 1
    assert "no table for gcp" in capsys.readouterr().err
