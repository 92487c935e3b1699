"""The settings reference, generated from the settings model so that it cannot drift from it.

It writes the tables of `labelstudio:` keys between `<!-- settings:begin NAME -->` and
`<!-- settings:end -->` markers in docs/*.md (NAME is `top` or a cloud object: `aws`, `gcp`,
`azure`), and the `config:` and `template:` blocks of Pulumi.yaml.

    .venv/bin/python -m tools.settings_reference           # check: exit 1 naming stale files
    .venv/bin/python -m tools.settings_reference --write   # regenerate them

What a table says comes from each field: its `description`, and in `json_schema_extra` a
`default_doc` (the default column, when the bare default value would not say it), a `used_by`
(which access modes read it) and a `prompt` (the question `pulumi new` asks; only fields with
one are asked).
"""

from __future__ import annotations

import argparse
import re
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from components.settings.model import NAMESPACE, settings_model
from components.settings.problems import field_extra, object_models

Settings = settings_model()  # the whole contract: the shared settings and every registered cloud's
ROOT = Path(__file__).resolve().parent.parent
COMMAND = ".venv/bin/python -m tools.settings_reference --write"

QUICKSTART = (
    "Next: choose how Label Studio reaches the storage (labelstudio:access) and set the cloud's object "
    "(labelstudio:aws, labelstudio:gcp, labelstudio:azure or labelstudio:s3-compatible) as docs/settings.md "
    "and the cloud's page in docs/ describe, then run `pulumi up`: every setting is checked before anything is "
    "declared."
)

_BLOCK = re.compile(r"(<!-- settings:begin ([\w-]+) -->\n).*?(<!-- settings:end -->)", re.DOTALL)
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def cloud_models() -> dict[str, type[BaseModel]]:
    """Each cloud's settings object by its key, found through the top-level model's fields."""
    return object_models(Settings)


def _key(name: str, field: FieldInfo) -> str:
    return field.alias or name


def _is_ours(key: str) -> bool:
    """`labelstudio:` keys are written without a namespace; provider keys (`aws:region`) keep theirs."""
    return ":" not in key


def _default_value(field: FieldInfo) -> Any:
    return field.get_default(call_default_factory=True)


def default_text(field: FieldInfo) -> str:
    """The default column: `required`, the field's own wording, or its default value in stack-file terms."""
    if field.is_required():
        return "required"
    if "default_doc" in field_extra(field):
        return str(field_extra(field)["default_doc"])
    value = _default_value(field)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    if isinstance(value, (list, dict)):
        return "`[]`" if isinstance(value, list) else "`{}`"
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _description(field: FieldInfo, key: str) -> str:
    if not field.description:
        raise ValueError(f"the setting {key} has no description; give its Field a description=")
    return field.description


def render_table(name: str) -> str:
    """The Markdown table for `top` (the `labelstudio:` keys) or for one cloud's object."""
    if name == "top":
        rows = [
            [f"`{key}`", _description(field, key), default_text(field)]
            for field_name, field in Settings.model_fields.items()
            if _is_ours(key := _key(field_name, field))
        ]
        return _table(("key", "values", "default"), rows)
    models = cloud_models()
    if name not in models:
        raise ValueError(f"no settings table is called {name!r}; use top or one of {', '.join(models)}")
    fields = [(_key(field_name, field), field) for field_name, field in models[name].model_fields.items()]
    with_used_by = any("used_by" in field_extra(field) for _, field in fields)
    header = ("key", "used by", "meaning", "default") if with_used_by else ("key", "meaning", "default")
    rows = []
    for key, field in fields:
        used_by = [str(field_extra(field).get("used_by", "all"))] if with_used_by else []
        rows.append([f"`{key}`", *used_by, _description(field, f"{name}.{key}"), default_text(field)])
    return _table(header, rows)


def render_markdown(text: str) -> str:
    """`text` with every marked table regenerated and the prose around it kept."""
    return _BLOCK.sub(lambda match: f"{match.group(1)}\n{render_table(match.group(2))}\n{match.group(3)}", text)


# ---------------------------------------------------------------------------------------------
# Pulumi.yaml


def plain(text: str) -> str:
    """A description as a terminal shows it: no Markdown links or code quotes."""
    return _MARKDOWN_LINK.sub(r"\1", text).replace("`", "")


def pulumi_type(annotation: Any, key: str) -> dict[str, Any]:
    """The project-config type of a setting; Pulumi declares string, integer, boolean and array only."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is str or (origin is typing.Literal and all(isinstance(arg, str) for arg in args)):
        return {"type": "string"}
    if origin is list and args:
        return {"type": "array", "items": pulumi_type(args[0], key)}
    raise ValueError(
        f"{key} cannot be declared in Pulumi.yaml's config: Pulumi project config types are string, integer, "
        "boolean and array"
    )


def project_config() -> dict[str, Any]:
    """Pulumi.yaml's `config:`: the settings the program requires, typed, without defaults.

    The CLI demands every declared project key that has no default, and writes a declared
    default into every stack that lacks the key. The program owns its defaults, and refuses a
    setting that does not apply even when it holds the default value (`namespace` on compose,
    `forceDestroy` on Azure), so optional settings are not declared: only required ones.
    """
    declared = {}
    for field_name, field in Settings.model_fields.items():
        key = _key(field_name, field)
        if field.is_required():
            full_key = f"{NAMESPACE}:{key}"
            declared[full_key] = {
                **pulumi_type(field.annotation, full_key),
                "description": plain(field_extra(field).get("prompt") or _description(field, key)),
            }
    return declared


def _template_default(field: FieldInfo) -> str | None:
    """What `pulumi new` offers for a setting: its default as text, never for a required one."""
    if field.is_required():
        return None
    value = _default_value(field)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (str, int)) and value != "":
        return str(value)
    return None


def template_config() -> dict[str, dict[str, str]]:
    """Pulumi.yaml's `template.config`: what `pulumi new` asks, with full `namespace:key` names.

    Full names keep `labelstudio:` even when the project is given another name.
    """
    asked = {}
    for field_name, field in Settings.model_fields.items():
        prompt = field_extra(field).get("prompt")
        if not prompt:
            continue
        key = _key(field_name, field)
        entry = {"description": str(prompt)}
        default = _template_default(field)
        if default is not None:
            entry["default"] = default
        asked[key if ":" in key else f"{NAMESPACE}:{key}"] = entry
    return asked


PROJECT_HEADER = f"""\
# `config:` and `template:` are generated from the settings model, components/settings/model.py:
# edit its fields' descriptions and metadata, then run
#   {COMMAND}
"""


def render_project(text: str) -> str:
    """Pulumi.yaml with its `config:` and `template:` regenerated and every other key kept."""
    project = yaml.safe_load(text)
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        raise ValueError("Pulumi.yaml does not hold a project mapping with a name")
    kept = {key: value for key, value in project.items() if key not in ("config", "template")}
    template = {"description": kept.get("description", ""), "quickstart": QUICKSTART, "config": template_config()}
    document = {**kept, "config": project_config(), "template": template}
    return PROJECT_HEADER + yaml.safe_dump(document, sort_keys=False, width=100, allow_unicode=True)


# ---------------------------------------------------------------------------------------------
# The files.


def generated_files(root: Path = ROOT) -> dict[Path, str]:
    """Each generated file's current content as it should be; every table must appear somewhere."""
    expected = {root / "Pulumi.yaml": render_project((root / "Pulumi.yaml").read_text())}
    found = set()
    for path in sorted((root / "docs").glob("*.md")):
        text = path.read_text()
        found |= {match.group(2) for match in _BLOCK.finditer(text)}
        expected[path] = render_markdown(text)
    missing = sorted({"top", *cloud_models()} - found)
    if missing:
        raise ValueError(
            "docs/ has no table for " + ", ".join(missing) + "; add <!-- settings:begin NAME --> and "
            "<!-- settings:end --> where each belongs"
        )
    return expected


def main(argv: Sequence[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the generated parts instead of checking them")
    args = parser.parse_args(argv)
    try:
        expected = generated_files(root)
    except ValueError as error:
        print(f"settings reference: {error}", file=sys.stderr)
        return 1
    stale = [path for path, text in expected.items() if path.read_text() != text]
    if args.write:
        for path in stale:
            path.write_text(expected[path])
            print(f"rewrote {path.relative_to(root)}")
        return 0
    for path in stale:
        print(f"{path.relative_to(root)} is not what the settings model generates; run `{COMMAND}`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
