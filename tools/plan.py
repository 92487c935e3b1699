"""Credential-free plan: what a stack file declares, with no cloud, cluster or Pulumi CLI.

    python -m tools.plan Pulumi.dev.yaml [Pulumi.prod.yaml ...]

It runs `__main__.py` under the Pulumi SDK's mocks with the stack file's configuration and
prints every resource with its settings, the Helm values (credentials as [secret]) and the
stack outputs. It shows what is declared, not a diff against live state.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from tools.mockrun import ACCOUNT, Declaration, Registration, mask, run_stack_file

RELEASE = "kubernetes:helm.sh/v3:Release"
# Inputs that say nothing a reviewer needs; the Helm values get a section of their own.
QUIET_INPUTS = {"tags", "compat", "values"}

DISCLAIMER = (
    "This is what the program declares for the stack file, run under the Pulumi SDK's mocks: "
    "not a diff against live state, and nothing was contacted. Ids, ARNs and keys that the "
    f"cloud assigns are stand-ins (AWS account {ACCOUNT}); secrets show as [secret]."
)


def _short(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _readable(value: Any) -> Any:
    """Secrets masked, JSON documents (IAM policies) opened up, keys in a stable order."""
    value = mask(value)
    if isinstance(value, str) and value[:1] == "{":
        try:
            return _readable(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return {key: _readable(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_readable(item) for item in value]
    return value


def _yaml(value: Any, indent: int) -> str:
    text = yaml.safe_dump(value, sort_keys=False, default_flow_style=False, width=100, allow_unicode=True).rstrip()
    pad = " " * indent
    return "\n".join(pad + line for line in text.splitlines())


def _options(resource: Registration, parents: set[str]) -> str:
    notes = []
    if resource.protect:
        notes.append("protected")
    if resource.retain_on_delete:
        notes.append("retained on delete")
    if resource.additional_secret_outputs:
        notes.append("secret outputs: " + ", ".join(resource.additional_secret_outputs))
    waits = [_short(urn) for urn in resource.dependencies if urn not in parents]
    if waits:
        notes.append("waits for " + ", ".join(sorted(set(waits))))
    return f"  [{'; '.join(notes)}]" if notes else ""


def render_text(declaration: Declaration, stack_file: str) -> str:
    lines = [
        f"Credential-free plan for stack '{declaration.stack}' ({stack_file}), project {declaration.project}",
        DISCLAIMER,
    ]
    lines += [f"Note: {note}" for note in declaration.notes]
    if declaration.error:
        lines += ["", "The program stopped before declaring anything:", declaration.error]
        return "\n".join(lines) + "\n"
    lines += [f"Warning: {warning}" for warning in declaration.warnings]
    component_urns = {r.urn for r in declaration.resources if not r.custom}
    lines += ["", f"Resources ({sum(r.custom for r in declaration.resources)}, in {len(component_urns)} components)"]

    def walk(parent: str, depth: int) -> None:
        for resource in sorted(
            (r for r in declaration.resources if r.parent == parent), key=lambda r: (r.custom, r.name)
        ):
            pad = "  " * depth
            lines.append(f"{pad}{resource.type}  {resource.name}{_options(resource, {parent} | component_urns)}")
            shown = {key: value for key, value in resource.inputs.items() if key not in QUIET_INPUTS}
            if resource.custom and shown:
                lines.append(_yaml(_readable(shown), len(pad) + 4))
            walk(resource.urn, depth + 1)

    walk("", 1)
    for release in declaration.of_type(RELEASE):
        chart = f"{release.inputs.get('chart')} {release.inputs.get('version')}"
        lines += ["", f"Helm values of release {release.inputs.get('name')} (chart {chart})"]
        lines.append(_yaml(_readable(release.inputs.get("values", {})), 2))
    lines += ["", "Stack outputs"]
    lines.append(_yaml(_readable(declaration.outputs), 2))
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack_files", nargs="+", type=Path, help="Pulumi.<stack>.yaml files")
    args = parser.parse_args(argv)
    failed = False
    for stack_file in args.stack_files:
        if not stack_file.is_file():
            print(f"{stack_file}: no such stack file", file=sys.stderr)
            failed = True
            continue
        try:
            declaration = run_stack_file(stack_file)
        except (OSError, ValueError, KeyError, yaml.YAMLError) as error:
            print(f"{stack_file}: cannot read it as a Pulumi stack file: {error}", file=sys.stderr)
            failed = True
            continue
        sys.stdout.write(render_text(declaration, str(stack_file)))
        if declaration.error:
            print(f"{stack_file}: {declaration.error}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
