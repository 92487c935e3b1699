"""Credential-free plan: what a stack file declares, with no cloud, cluster or Pulumi CLI.

    python -m tools.plan [--format text|markdown] [Pulumi.dev.yaml ...]
    python -m tools.plan Pulumi.onprem.yaml --output serverPolicy

It runs `__main__.py` under the Pulumi SDK's mocks with each stack file's configuration and
prints every resource with its settings, the Helm values (credentials as [secret]), the stack
outputs and the verdict of each policy of the policy pack. It shows what is declared, not a
diff against live state. Without stack files it plans every Pulumi.<stack>.yaml of the project
and of examples/. A refused stack file's reasons are printed once, on stderr (in the markdown
document with --format markdown), and the exit code is 2; a violated policy makes it 1. With
`--output NAME` it prints one stack output of one stack file instead, as `pulumi stack output`
would after a deploy (never a secret one).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from policy.rules import POLICIES, Resource, Violation, evaluate
from tools.label_studio_view import compose_lines, kubernetes_lines, secret_texts
from tools.mockrun import (
    PROJECT_DIR,
    Declaration,
    Registration,
    StackFileError,
    mask,
    reveal,
    run_stack_file,
)

RELEASE = "kubernetes:helm.sh/v3:Release"
# Exit codes: a policy violated by what a stack declares, and a stack file refused (nothing declared).
VIOLATED = 1
REFUSED = 2
# Inputs that say nothing a reviewer needs; the Helm values get a section of their own.
QUIET_INPUTS = {"tags", "compat", "values"}

DISCLAIMER = (
    "This is what the program declares for the stack file, run under the Pulumi SDK's mocks: "
    "not a diff against live state, and nothing was contacted. Ids, ARNs, emails and keys that "
    "the cloud assigns are stand-ins, in the account, project or subscription the stack names where it "
    "names one; secrets show as [secret]."
)


def stand_in_note(declaration: Declaration) -> str | None:
    """Where the chosen cloud's stand-ins took the account, project or subscription from (or that they made it up)."""
    from components import registry

    cloud = declaration.config.get("labelstudio:cloud")
    if cloud not in registry.BACKENDS:
        return None
    return getattr(registry.part(cloud, "stand_ins").StandIns(declaration.config), "note", None)


@dataclass
class StackPlan:
    stack_file: str
    declaration: Declaration
    violations: list[Violation]
    refusal: str = "the stack settings have problems"

    @property
    def failed(self) -> bool:
        return bool(self.declaration.error or self.violations)


def policy_resources(declaration: Declaration) -> list[Resource]:
    """What the program declared, as the policy rules see a stack."""
    return [
        Resource(r.type, r.name, reveal(r.inputs), r.protect, tuple(r.additional_secret_outputs))
        for r in declaration.resources
        if r.custom
    ]


def plan_stack(stack_file: Path) -> StackPlan:
    """The plan of one stack file; a file that cannot be read or run is a failed plan, never a crash."""
    try:
        if not Path(stack_file).is_file():
            raise StackFileError("no such stack file")
        declaration = run_stack_file(stack_file)
    except (OSError, StackFileError) as error:
        return _failed_plan(
            stack_file, f"cannot be read as a Pulumi stack file: {error}", "the stack file cannot be read"
        )
    except Exception as error:  # a bug in the program: shown as a failed stack, never dropped
        message = f"the program failed: {type(error).__name__}: {error}"
        return _failed_plan(stack_file, message, "the program stopped with an error")
    violations = [] if declaration.error else evaluate(policy_resources(declaration))
    return StackPlan(str(stack_file), declaration, violations)


def _failed_plan(stack_file: Path, message: str, refusal: str) -> StackPlan:
    stack = Path(stack_file).name.removeprefix("Pulumi.").rsplit(".", 1)[0]
    return StackPlan(str(stack_file), Declaration(stack=stack, project="?", error=message), [], refusal)


# -- shared formatting ------------------------------------------------------------------------------


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


def _yaml(value: Any, indent: int = 0) -> str:
    text = yaml.safe_dump(value, sort_keys=False, default_flow_style=False, width=100, allow_unicode=True).rstrip()
    pad = " " * indent
    return "\n".join(pad + line for line in text.splitlines())


def _options(resource: Registration, parents: set[str]) -> str:
    notes = []
    if resource.import_id:
        notes.append(f"import {resource.import_id}")
    if resource.protect:
        notes.append("protected")
    if resource.retain_on_delete:
        notes.append("retained on delete")
    if resource.additional_secret_outputs:
        notes.append("secret outputs: " + ", ".join(sorted(set(resource.additional_secret_outputs))))
    waits = [_short(urn) for urn in resource.dependencies if urn not in parents]
    if waits:
        notes.append("waits for " + ", ".join(sorted(set(waits))))
    return f"  [{'; '.join(notes)}]" if notes else ""


def in_plan_order(siblings: Sequence[Registration], resources: Sequence[Registration]) -> list[Registration]:
    """Siblings in an order that holds run after run (the program registers them as their inputs
    resolve, which varies): components first, then by name and type, except that one whose
    resources wait for another's comes after it (Label Studio's release after its storage)."""
    children: dict[str, list[str]] = {}
    for resource in resources:
        children.setdefault(resource.parent, []).append(resource.urn)

    def subtree(urn: str) -> set[str]:
        found = {urn}
        for child in children.get(urn, []):
            found |= subtree(child)
        return found

    trees = {sibling.urn: subtree(sibling.urn) for sibling in siblings}
    waits = {
        sibling.urn: {dependency for r in resources if r.urn in trees[sibling.urn] for dependency in r.dependencies}
        for sibling in siblings
    }
    needs = {a.urn: {b.urn for b in siblings if b.urn != a.urn and waits[a.urn] & trees[b.urn]} for a in siblings}
    placed: list[Registration] = []
    left = sorted(siblings, key=lambda r: (r.custom, r.name, r.type))
    while left:
        ready = next((r for r in left if needs[r.urn] <= {p.urn for p in placed}), left[0])  # a cycle: name order
        placed.append(ready)
        left.remove(ready)
    return placed


def _resource_tree(declaration: Declaration) -> list[str]:
    lines: list[str] = []
    component_urns = {r.urn for r in declaration.resources if not r.custom}

    def walk(parent: str, depth: int) -> None:
        siblings = [r for r in declaration.resources if r.parent == parent]
        for resource in in_plan_order(siblings, declaration.resources):
            pad = "  " * depth
            lines.append(f"{pad}{resource.type}  {resource.name}{_options(resource, {parent} | component_urns)}")
            shown = {key: value for key, value in resource.inputs.items() if key not in QUIET_INPUTS}
            if resource.custom and shown:
                lines.extend(_yaml(_readable(shown), len(pad) + 4).splitlines())
            walk(resource.urn, depth + 1)

    walk("", 0)
    return lines


def _verdicts(plan: StackPlan) -> list[tuple[str, str, list[str]]]:
    """(policy, 'pass' or 'VIOLATED', violation lines) for every policy."""
    rows = []
    for policy in POLICIES:
        found = [f"{v.resource} {v.message}" for v in plan.violations if v.policy == policy.name]
        rows.append((policy.name, "VIOLATED" if found else "pass", found))
    return rows


def _summary(plan: StackPlan) -> str:
    declaration = plan.declaration
    if declaration.error:
        return f"refused: {plan.refusal}"
    count = sum(r.custom for r in declaration.resources)
    broken = sorted({v.policy for v in plan.violations})
    verdict = f"{len(broken)} polic{'y' if len(broken) == 1 else 'ies'} violated" if broken else "all policies pass"
    imports = f", {len(declaration.imports)} imported" if declaration.imports else ""
    return f"{count} resources{imports}, {verdict}"


def _imports_text(declaration: Declaration) -> list[str]:
    """The resources `pulumi up` would import rather than create, with the ids it imports."""
    if not declaration.imports:
        return []
    lines = ["", f"Imports ({len(declaration.imports)}: existing resources taken into the stack, not created)"]
    return lines + [f"  {r.type}  {r.name}  [import {r.import_id}]" for r in declaration.imports]


def marked_secret_keys() -> dict[str, set[str]]:
    """The keys of each cloud's object that its model marks as secrets (the S3-compatible keys)."""
    from components.settings.model import settings_model
    from components.settings.problems import field_extra, object_models

    return {
        key: {field.alias or name for name, field in model.model_fields.items() if field_extra(field).get("secret")}
        for key, model in object_models(settings_model()).items()
    }


def label_studio_gets(declaration: Declaration) -> list[str]:
    """What Label Studio is handed, where its guide looks for it; secret values as markers naming them."""
    secrets = secret_texts(declaration.config, declaration.secret_keys, marked_secret_keys())
    lines: list[str] = []
    for release in declaration.of_type(RELEASE):
        lines += kubernetes_lines(release.inputs.get("values") or {}, str(release.inputs.get("name")), secrets)
    if declaration.outputs.get("target") == "compose":
        lines += compose_lines(declaration.outputs, secrets)
    return lines


# -- text -------------------------------------------------------------------------------------------


def render_text(plan: StackPlan) -> str:
    declaration = plan.declaration
    lines = [
        f"Credential-free plan for stack '{declaration.stack}' ({plan.stack_file}), project {declaration.project}",
        DISCLAIMER,
    ]
    lines += [f"Note: {note}" for note in declaration.notes]
    if declaration.error:
        lines += ["", f"Refused: {plan.refusal} (the reasons are on stderr)."]
        return "\n".join(lines) + "\n"
    lines += [f"Warning: {warning}" for warning in declaration.warnings]
    note = stand_in_note(declaration)
    lines += [f"Stand-ins: {note}"] if note else []
    components = sum(not r.custom for r in declaration.resources)
    grouping = f"in {components} component{'s' if components != 1 else ''}"
    lines += ["", f"Resources ({sum(r.custom for r in declaration.resources)}, {grouping})"]
    lines += ["  " + line for line in _resource_tree(declaration)]
    lines += _imports_text(declaration)
    for release in declaration.of_type(RELEASE):
        chart = f"{release.inputs.get('chart')} {release.inputs.get('version')}"
        lines += ["", f"Helm values of release {release.inputs.get('name')} (chart {chart})"]
        lines.append(_yaml(_readable(release.inputs.get("values", {})), 2))
    gets = label_studio_gets(declaration)
    if gets:
        lines += ["", "What Label Studio gets"] + ["  " + line for line in gets]
    lines += ["", "Stack outputs", _yaml(_readable(declaration.outputs), 2), "", "Policies"]
    for name, verdict, found in _verdicts(plan):
        lines.append(f"  {verdict:<8} {name}")
        lines += [f"           - {line}" for line in found]
    return "\n".join(lines) + "\n"


# -- markdown, for a pull-request comment or a job summary ------------------------------------------


def _fence(text: str, language: str = "") -> str:
    return f"```{language}\n{text}\n```"


def render_markdown(plans: Sequence[StackPlan]) -> str:
    parts = ["## Credential-free plan", "", DISCLAIMER, "", "| stack file | stack | result |", "| --- | --- | --- |"]
    for plan in plans:
        mark = "❌" if plan.failed else "✅"
        parts.append(f"| `{plan.stack_file}` | {plan.declaration.stack} | {mark} {_summary(plan)} |")
    for plan in plans:
        declaration = plan.declaration
        parts += ["", f"### {'❌' if plan.failed else '✅'} `{plan.stack_file}` (stack {declaration.stack})", ""]
        parts += [f"> {note}" for note in declaration.notes]
        if declaration.error:
            parts += [_fence(declaration.error)]
            continue
        parts += [f"> ⚠️ {warning}" for warning in declaration.warnings]
        note = stand_in_note(declaration)
        parts += [f"> Stand-ins: {note}", ""] if note else []
        parts += ["| policy | verdict |", "| --- | --- |"]
        for name, verdict, found in _verdicts(plan):
            detail = "<br>".join(f"`{line}`" for line in found)
            parts.append(f"| {name} | {'✅ pass' if verdict == 'pass' else '❌ ' + detail} |")
        tree = _resource_tree(declaration) + _imports_text(declaration)
        parts += ["", "<details><summary>Resources</summary>", "", _fence("\n".join(tree))]
        parts += ["", "</details>"]
        for release in declaration.of_type(RELEASE):
            values = _yaml(_readable(release.inputs.get("values", {})))
            summary = f"Helm values of release {release.inputs.get('name')}"
            parts += ["", f"<details><summary>{summary}</summary>", "", _fence(values, "yaml"), "", "</details>"]
        gets = label_studio_gets(declaration)
        if gets:
            parts += [
                "",
                "<details><summary>What Label Studio gets</summary>",
                "",
                _fence("\n".join(gets)),
                "",
                "</details>",
            ]
        outputs = _fence(_yaml(_readable(declaration.outputs)), "yaml")
        parts += ["", "<details><summary>Stack outputs</summary>", "", outputs, "", "</details>"]
    return "\n".join(parts) + "\n"


# -- command line -----------------------------------------------------------------------------------


def every_stack_file() -> list[Path]:
    found = sorted(PROJECT_DIR.glob("Pulumi.*.yaml")) + sorted((PROJECT_DIR / "examples").glob("**/Pulumi.*.yaml"))
    return [path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path for path in found]


def print_output(stack_file: Path, name: str) -> int:
    """One stack output's value, known before anything is deployed: text as is, anything else as JSON."""
    declaration = plan_stack(stack_file).declaration
    if declaration.error:
        print(f"{stack_file}: {declaration.error}", file=sys.stderr)
        return REFUSED
    if name not in declaration.outputs:
        print(f"{stack_file}: the stack has no output {name!r}; it has {', '.join(sorted(declaration.outputs))}",
              file=sys.stderr)  # fmt: skip
        return 1
    value = declaration.outputs[name]
    if mask(value) != reveal(value):
        print(f"{stack_file}: the output {name!r} is secret, and the plan never prints secrets", file=sys.stderr)
        return 1
    sys.stdout.write(value if isinstance(value, str) else json.dumps(value, indent=2))
    sys.stdout.write("\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack_files", nargs="*", type=Path, help="Pulumi.<stack>.yaml files (default: all)")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    parser.add_argument(
        "--output",
        metavar="NAME",
        help="print only this stack output of the one stack file, as `pulumi stack output NAME` would after "
        "`pulumi up` (e.g. serverPolicy, before the server's user exists); never a secret one",
    )
    args = parser.parse_args(argv)
    if args.output:
        if len(args.stack_files) != 1:
            parser.error("--output takes exactly one stack file")
        return print_output(args.stack_files[0], args.output)
    status = 0
    plans = []
    for stack_file in args.stack_files or every_stack_file():
        plan = plan_stack(stack_file)
        plans.append(plan)
        if args.format == "text":
            sys.stdout.write(render_text(plan))
            if plan.declaration.error:  # the reasons once, where errors go; the markdown holds them itself
                print(f"{stack_file}: {plan.declaration.error}", file=sys.stderr)
        for violation in plan.violations:
            print(f"{stack_file}: policy {violation.policy}: {violation.resource} {violation.message}", file=sys.stderr)
        status = max(status, REFUSED if plan.declaration.error else VIOLATED if plan.violations else 0)
    if args.format == "markdown":
        sys.stdout.write(render_markdown(plans))
    return status


if __name__ == "__main__":
    sys.exit(main())
