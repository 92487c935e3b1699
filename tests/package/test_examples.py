"""The YAML and TypeScript examples use the package as its schema declares it.

No Pulumi CLI or TypeScript compiler runs here, so each example is read into the same small
model (resources with their properties; literals, config values and other resources'
outputs) and checked against the schema the provider serves: every property exists with a
compatible type, every required input is set, and every output read exists.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.component_provider import LabelStudioProvider

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class OutputOf:
    """Another resource's output, by the program's name for the resource."""

    resource: str
    output: str


@dataclass(frozen=True)
class ConfigValue:
    """A stack configuration value (always a string here)."""

    key: str


@dataclass
class Program:
    package: str
    resources: dict[str, tuple[str, dict[str, Any]]]  # name -> (type token, properties)
    outputs: dict[str, OutputOf]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return dict(json.loads(LabelStudioProvider().schema or "{}"))


# -- reading the examples ----------------------------------------------------------------------------


def _yaml_value(value: Any, config: set[str]) -> Any:
    if isinstance(value, str):
        reference = re.fullmatch(r"\$\{(\w+)\.(\w+)\}", value)
        if reference:
            return OutputOf(*reference.groups())
        key = re.fullmatch(r"\$\{(\w+)\}", value)
        if key and key.group(1) in config:
            return ConfigValue(key.group(1))
        return value
    if isinstance(value, dict):
        return {key: _yaml_value(item, config) for key, item in value.items()}
    if isinstance(value, list):
        return [_yaml_value(item, config) for item in value]
    return value


def read_yaml_program(path: Path) -> Program:
    document = yaml.safe_load(path.read_text())
    config = set(document.get("config") or {})
    (package,) = document["packages"]
    resources = {
        name: (spec["type"], _yaml_value(spec.get("properties") or {}, config))
        for name, spec in document["resources"].items()
    }
    return Program(package, resources, _yaml_value(document.get("outputs") or {}, config))


_TS_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"'  # a string literal, kept
    r'|config\.require\("(\w+)"\)'  # a config value
    r"|\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)\b"  # another resource's output
)


def _ts_object(text: str) -> dict[str, Any]:
    """A TypeScript object literal of literals, config reads and outputs, as data."""

    def replace(match: re.Match[str]) -> str:
        if match.group(1):
            return json.dumps(f"${{config:{match.group(1)}}}")
        if match.group(2):
            return json.dumps(f"${{{match.group(2)}.{match.group(3)}}}")
        return match.group(0)

    flow = re.sub(r",(\s*[}\]])", r"\1", _TS_TOKEN.sub(replace, text))
    data = yaml.safe_load(flow)

    def convert(value: Any) -> Any:
        if isinstance(value, str) and (found := re.fullmatch(r"\$\{config:(\w+)\}", value)):
            return ConfigValue(found.group(1))
        if isinstance(value, str) and (found := re.fullmatch(r"\$\{(\w+)\.(\w+)\}", value)):
            return OutputOf(*found.groups())
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        if isinstance(value, list):
            return [convert(item) for item in value]
        return value

    return dict(convert(data))


def _balanced(text: str, start: int) -> str:
    """The `{...}` that opens at `start`, strings respected."""
    depth, index, quoted = 0, start, False
    while True:
        char = text[index]
        if char == '"' and text[index - 1] != "\\":
            quoted = not quoted
        elif not quoted and char == "{":
            depth += 1
        elif not quoted and char == "}":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
        index += 1


def read_typescript_program(path: Path) -> Program:
    text = "\n".join(line for line in path.read_text().splitlines() if not line.strip().startswith("//"))
    imported = re.search(r'^import \* as (\w+) from "@pulumi/(\w+)";$', text.split("\n", 2)[1], re.M)
    assert imported, "the second line imports the package's SDK"
    alias, package = imported.groups()
    resources = {}
    for match in re.finditer(rf'const (\w+) = new {alias}\.(\w+)\.(\w+)\("[^"]*",\s*', text):
        variable, module, name = match.groups()
        resources[variable] = (f"{package}:{module}:{name}", _ts_object(_balanced(text, match.end())))
    outputs = {
        name: OutputOf(resource, output)
        for name, resource, output in re.findall(r"export const (\w+) = (\w+)\.(\w+);", text)
    }
    return Program(package, resources, outputs)


# -- checking against the schema -----------------------------------------------------------------------


def _type_of(spec: dict[str, Any]) -> tuple[str, str | None]:
    return (spec.get("$ref") or spec.get("type", "?"), (spec.get("items") or {}).get("type"))


def _value_problems(value: Any, spec: dict[str, Any], where: str, schema: dict, program: Program) -> list[str]:
    if isinstance(value, OutputOf):
        if value.resource not in program.resources:
            return [f"{where} reads {value.resource}, which the program does not declare"]
        token = program.resources[value.resource][0]
        output = schema["resources"].get(token, {}).get("properties", {}).get(value.output)
        if output is None:
            return [f"{where} reads {value.resource}.{value.output}, which {token} does not output"]
        if _type_of(output) != _type_of(spec):
            return [f"{where} is {_type_of(spec)} but {value.resource}.{value.output} is {_type_of(output)}"]
        return []
    if isinstance(value, ConfigValue):
        return [] if spec.get("type") == "string" else [f"{where} is {_type_of(spec)}, not a config string"]
    if "$ref" in spec:
        type_spec = schema["types"].get(spec["$ref"].removeprefix("#/types/"))
        if type_spec is None or not isinstance(value, dict):
            return [f"{where} must be an object of {spec['$ref']}"]
        return _object_problems(value, type_spec["properties"], type_spec.get("required", []), where, schema, program)
    kind = spec.get("type")
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
    }
    if kind in checks:
        return [] if checks[kind](value) else [f"{where} must be of type {kind}, not {value!r}"]
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where} must be a list"]
        return [
            p
            for i, item in enumerate(value)
            for p in _value_problems(item, spec["items"], f"{where}[{i}]", schema, program)
        ]
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where} must be an object"]
        inner = spec.get("additionalProperties", {})
        return [p for k, item in value.items() for p in _value_problems(item, inner, f"{where}.{k}", schema, program)]
    return [f"{where} has a type the check does not know: {spec}"]


def _object_problems(
    values: dict[str, Any], properties: dict, required: list[str], where: str, schema: dict, program: Program
) -> list[str]:
    problems = [f"{where}.{name} is required" for name in required if name not in values]
    for name, value in values.items():
        if name not in properties:
            problems.append(f"{where}.{name} is not in the schema; it has {', '.join(sorted(properties))}")
        else:
            problems += _value_problems(value, properties[name], f"{where}.{name}", schema, program)
    return problems


def program_problems(program: Program, schema: dict[str, Any]) -> list[str]:
    problems = [] if program.package == schema["name"] else [f"uses package {program.package}, not {schema['name']}"]
    for name, (token, properties) in program.resources.items():
        resource = schema["resources"].get(token)
        if resource is None:
            problems.append(f"{name}: {token} is not a component of the package")
            continue
        problems += _object_problems(
            properties, resource["inputProperties"], resource.get("requiredInputs", []), name, schema, program
        )
    for name, value in program.outputs.items():
        token = program.resources.get(value.resource, ("", {}))[0]
        if value.output not in schema["resources"].get(token, {}).get("properties", {}):
            problems.append(f"output {name} reads {value.resource}.{value.output}, which is not an output")
    return problems


READERS = {"yaml/Pulumi.yaml": read_yaml_program, "typescript/index.ts": read_typescript_program}


@pytest.mark.parametrize("example", sorted(READERS))
def test_the_example_sets_only_what_the_schema_declares(example, schema):
    program = READERS[example](EXAMPLES / example)
    assert len(program.resources) == 2 and program.outputs, "the example was read whole"
    assert program_problems(program, schema) == []


@pytest.mark.parametrize("example", sorted(READERS))
def test_the_check_catches_an_unknown_property_a_wrong_type_a_missing_input_and_a_missing_output(example, schema):
    program = READERS[example](EXAMPLES / example)
    storage_name, (token, properties) = next((n, r) for n, r in program.resources.items() if r[0].endswith(":Storage"))
    release_name, (release_token, release_properties) = next(
        (n, r) for n, r in program.resources.items() if not r[0].endswith(":Storage")
    )
    broken = {key: value for key, value in properties.items() if key != "bucket"}
    broken |= {"bucketNmae": "typo", "retentionDays": "30", "trustedWorkloads": {"namespace": 1}}
    program.resources[storage_name] = (token, broken)
    program.resources[release_name] = (
        release_token,
        {**release_properties, "storage": OutputOf(storage_name, "bucketName")},
    )
    program.outputs["x"] = OutputOf(storage_name, "bucketUrlz")
    found = "\n".join(program_problems(program, schema))
    assert f"{storage_name}.bucket is required" in found
    assert f"{storage_name}.bucketNmae is not in the schema" in found
    assert f"{storage_name}.retentionDays must be of type integer" in found
    assert f"{storage_name}.trustedWorkloads.namespace must be of type string" in found
    assert f"{storage_name}.trustedWorkloads.serviceAccounts is required" in found
    assert f"{release_name}.storage is" in found and "bucketName is ('string', None)" in found
    assert "output x reads" in found
