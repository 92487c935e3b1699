"""Stack files, read the way the Pulumi CLI reads them: bounded YAML, the project's defaults,
the stack's name, and config encoded as the CLI hands it to a program (text, with secure
values standing in and named)."""

from __future__ import annotations

import json
import re
from contextlib import suppress
from pathlib import Path
from typing import Any

import yaml

from components.settings.problems import json_value_problem, setting_name
from tools.mockrun.go_yaml import GoYamlLoader, WrittenAs, go_float_text, go_key_text, json_number

SECURE_PLACEHOLDER = "[secret]"
PROJECT_DIR = Path(__file__).resolve().parents[2]


MAX_STACK_FILE_BYTES = 1_000_000
MAX_YAML_NESTING = 64
MAX_YAML_ALIASES = 100


class Decrypted(str):
    """A secure value as the CLI hands it to the program once decrypted: its text, and a secret
    key. For tests that need the real value to flow (keys an emulator accepts); a stack file's
    `secure:` values stand in as SECURE_PLACEHOLDER, since only the CLI can decrypt them."""


class StackFileError(ValueError):
    """A stack or project file that cannot be read as configuration; the message says where."""


class _StackFileLoader(GoYamlLoader):
    """PyYAML's safe loader reading scalars as the CLI's go-yaml does (go_yaml.py), refusing what
    YAML forbids (duplicate keys) and bounding the cost: nesting and aliases are limited while
    the document is composed, before any value exists."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._nesting = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        line = self.peek_event().start_mark.line + 1
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise StackFileError(f"line {line}: more than {MAX_YAML_ALIASES} YAML aliases; write the values out")
            return super().compose_node(parent, index)
        self._nesting += 1
        try:
            if self._nesting > MAX_YAML_NESTING:
                raise StackFileError(f"line {line}: nested deeper than {MAX_YAML_NESTING} levels")
            return super().compose_node(parent, index)
        finally:
            self._nesting -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults` may be overridden by the keys beside it
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            with suppress(TypeError):  # an unhashable key is reported by the constructor itself
                if key in first_line:
                    raise StackFileError(
                        f"line {line}: the key {key!r} appears twice (first on line {first_line[key]}); "
                        "YAML forbids duplicate keys and readers disagree on which one wins: keep one"
                    )
                first_line[key] = line
        return super().construct_mapping(node, deep)


def load_yaml_file(path: Path) -> Any:
    """A YAML file's document, read with bounded cost; StackFileError says what is wrong and where."""
    if path.stat().st_size > MAX_STACK_FILE_BYTES:
        raise StackFileError(f"{path.name} is larger than {MAX_STACK_FILE_BYTES} bytes, which no stack file needs")
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=_StackFileLoader)  # a SafeLoader subclass
    except StackFileError as error:
        raise StackFileError(f"{path.name}, {error}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise StackFileError(f"{path.name} is not valid YAML: {error}") from None


def config_problems(values: dict[Any, Any]) -> list[str]:
    """What in stack-file config the CLI refuses to pass to a program, naming each key: keys it
    cannot parse, and values JSON cannot hold. Nesting is the program's to bound (its settings
    name the key), as the CLI passes any depth YAML reads."""
    problems = []
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            problems.append(f"the config key {key!r} is not text; write keys as <namespace>:<name>")
            continue
        if ":" in key and config_key(key) is None:
            problems.append(
                f"the config key {key!r} is not <namespace>:<name>, which the Pulumi CLI refuses; "
                "write a setting inside an object nested under the object's key"
            )
            continue
        found = json_value_problem(value, MAX_YAML_NESTING)
        if found:
            problems.append(f"{setting_name(key, found[0])}: {found[1]}")
    return problems


def project_of(directory: Path) -> tuple[str, dict[str, Any]]:
    """The project's name and its project-level config defaults."""
    for candidate in ("Pulumi.yaml", "Pulumi.yml"):
        path = directory / candidate
        if path.exists():
            project = load_yaml_file(path) or {}
            if not isinstance(project, dict) or not isinstance(project.get("name"), str):
                raise StackFileError(f"{path} does not hold a project mapping with a name")
            config = project.get("config") or {}
            if not isinstance(config, dict):
                raise StackFileError(f"{path}: config must be a mapping of <namespace>:<name>: value")
            return project["name"], config
    raise FileNotFoundError(f"no Pulumi.yaml in {directory}")


def stack_name_of(stack_file: Path) -> str:
    """The stack's name, held to the CLI's rule: names reach resource names (Azure's group, say)."""
    name = stack_file.name
    for suffix in (".yaml", ".yml"):
        if name.startswith("Pulumi.") and name.endswith(suffix):
            stack = name[len("Pulumi.") : -len(suffix)]
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", stack, re.ASCII):
                raise StackFileError(f"{stack!r} is not a stack name: use up to 100 letters, digits, '-', '_' and '.'")
            return stack
    raise StackFileError(f"{stack_file} is not named Pulumi.<stack>.yaml")


def _encode(value: Any) -> tuple[Any, bool]:
    """A stack-file value as plain data with secure values replaced, and whether it held one."""
    if isinstance(value, Decrypted):
        return str(value), True
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECURE_PLACEHOLDER, True
        pairs = {key: _encode(item) for key, item in value.items()}
        return {key: item for key, (item, _) in pairs.items()}, any(secret for _, secret in pairs.values())
    if isinstance(value, list):
        items = [_encode(item) for item in value]
        return [item for item, _ in items], any(secret for _, secret in items)
    if isinstance(value, float):
        return json_number(value), False
    return value, False


def _written_as(value: Any, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], WrittenAs]]:
    """Where a value holds text the CLI made of something not written as text (a date)."""
    if isinstance(value, WrittenAs):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _written_as(item, (*path, key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _written_as(item, (*path, index))]
    return []


def _as_cli_string(value: Any) -> str:
    """How the CLI hands a config value to a program: scalars as text, the rest as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float_text(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if value is None:
        return ""
    return str(value)


def project_dir_for(stack_file: Path) -> Path:
    """The stack file's own project when it sits beside a Pulumi.yaml, else this project."""
    directory = Path(stack_file).resolve().parent
    return directory if (directory / "Pulumi.yaml").exists() and (directory / "__main__.py").exists() else PROJECT_DIR


def config_key(key: str) -> str | None:
    """The key as the CLI parses it (config.ParseKey): `namespace:name`, the older
    `namespace:config:name` as `namespace:name`, or None when it is neither."""
    parts = key.split(":")
    if len(parts) == 2 and all(parts):
        return key
    if len(parts) == 3 and parts[1] == "config" and parts[0] and parts[2]:
        return f"{parts[0]}:{parts[2]}"
    return None


def _text_keys(value: Any, done: dict[int, Any] | None = None) -> Any:
    """Mapping keys inside a value made text as the CLI makes them (`1:` is the key "1"). A part
    shared through YAML aliases is converted once and stays shared, so an alias bomb costs no
    more here than it is written; config_problems then refuses it by size."""
    done = {} if done is None else done
    if id(value) in done:
        return done[id(value)]
    if isinstance(value, dict):
        converted: Any = {}
        done[id(value)] = converted
        converted.update({go_key_text(key): _text_keys(item, done) for key, item in value.items()})
        return converted
    if isinstance(value, list):
        items: list[Any] = []
        done[id(value)] = items
        items.extend(_text_keys(item, done) for item in value)
        return items
    return value


def encode_config(values: dict[str, Any], project: str) -> tuple[dict[str, str], list[str]]:
    """Stack-file config as the CLI passes it to a program: `namespace:key` to text, and secret keys."""
    values = {key: _text_keys(value) for key, value in values.items()}
    problems = config_problems(values)
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise StackFileError(f"the stack's config cannot be passed to a program:\n{listed}")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in values.items():
        full_key = (config_key(key) or key) if ":" in key else f"{project}:{key}"
        plain, secret = _encode(value)
        config[full_key] = _as_cli_string(plain)
        if secret:
            secret_keys.append(full_key)
    return config, secret_keys


def read_stack_config(
    stack_file: Path, project_dir: Path | None = None
) -> tuple[str, str, dict[str, str], list[str], list[str]]:
    """(project, stack, config, secret keys, notes) for a Pulumi.<stack>.yaml."""
    stack_file = Path(stack_file)
    project, project_config = project_of(project_dir or project_dir_for(stack_file))
    stack = stack_name_of(stack_file)
    document = load_yaml_file(stack_file) or {}
    if not isinstance(document, dict):
        raise StackFileError(f"{stack_file.name} does not hold a YAML mapping of config: and other keys")
    stack_config = document.get("config") or {}
    if not isinstance(stack_config, dict):
        raise StackFileError(
            f"{stack_file.name}: config must be a mapping of <namespace>:<name>: value, "
            f"not {type(stack_config).__name__}"
        )
    notes = []
    if document.get("environment"):
        notes.append(
            "the stack imports Pulumi ESC environments, which only the Pulumi CLI can open; "
            "their values are not in this plan"
        )
    merged: dict[str, Any] = {}
    for key, declared in project_config.items():
        if isinstance(declared, dict) and ("default" in declared or "value" in declared):
            merged[key] = declared.get("value", declared.get("default"))
    merged.update(stack_config)
    config, secret_keys = encode_config(merged, project)
    notes += [
        f"{setting_name(key, path)}: {written.kind} written unquoted ({written.written}), which the Pulumi CLI "
        f"passes as the text {str(written)!r}; quote it to pass it as written"
        for key, value in merged.items()
        for path, written in _written_as(value, ())
    ]
    if secret_keys:
        notes.append(
            "secure values cannot be decrypted without the Pulumi CLI; they stand in as "
            f"{SECURE_PLACEHOLDER!r}: " + ", ".join(secret_keys)
        )
    return project, stack, config, secret_keys, notes
