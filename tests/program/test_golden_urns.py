"""A rename never replaces storage: every URN a shipped stack file declares stays reachable.

`tests/golden_urns/` holds, per shipped stack file, the URNs it declared before the components
became a package (generated once from that commit). A resource whose URN changes is, to the
engine, a new resource: the old one is deleted, and a bucket or storage account with it (or the
update stops on `protect`). A change may keep an old URN only through an alias, which the
engine resolves as `generateAliases` in pulumi/pkg/resource/deploy/step_generator.go does: the
resource's own aliases, and for a child every alias its parent was matched through (a parent's
type is part of its children's URNs, so re-typing a component re-types every child).

New resources are fine; a golden URN that nothing declares, directly or by alias, fails.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tools.mockrun import PROJECT_DIR, Registration, run_stack_file

GOLDEN = Path(__file__).resolve().parents[1] / "golden_urns"
STACK_FILES = sorted(PROJECT_DIR.glob("Pulumi.*.yaml")) + sorted((PROJECT_DIR / "examples").glob("Pulumi.*.yaml"))
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def golden_file(stack_file: Path) -> Path:
    return GOLDEN / f"{stack_file.relative_to(PROJECT_DIR)}.urns"


def _parts(urn: str) -> tuple[str, str, str, str]:
    """(stack, project, qualified type, name) of `urn:pulumi:<stack>::<project>::<type>::<name>`."""
    head, project, qualified_type, name = urn.split("::", 3)
    return head.removeprefix("urn:pulumi:"), project, qualified_type, name


def _urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """resource.CreateURN: a child's type is qualified by its parent's."""
    qualified = f"{_parts(parent)[2]}${type_}" if parent else type_
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def _collapse(resource: Registration, alias: dict, old_urns: dict[str, str]) -> str:
    """collapseAliasToUrn: an alias spec's empty fields take the resource's current values."""
    if "urn" in alias:
        return str(alias["urn"])
    stack, project, _, _ = _parts(resource.urn)
    parent = alias.get("parentUrn") or resource.parent
    parent = old_urns.get(parent, parent)
    if alias.get("noParent") or (parent and _parts(parent)[2] == ROOT_STACK_TYPE):
        parent = ""
    return _urn(
        alias.get("stack") or stack,
        alias.get("project") or project,
        parent,
        alias.get("type") or resource.type,
        alias.get("name") or resource.name,
    )


def _inherited(type_: str, name: str, parent_name: str, parent_alias: str) -> str:
    """inheritedChildAlias: the child under its parent's old URN, renamed along when named after it."""
    alias_name = _parts(parent_alias)[3] + name[len(parent_name) :] if name.startswith(parent_name) else name
    stack, project, parent_type, _ = _parts(parent_alias)
    return f"urn:pulumi:{stack}::{project}::{parent_type}${type_}::{alias_name}"


def engine_aliases(resource: Registration, old_urns: dict[str, str]) -> list[str]:
    """generateAliases: the URNs the engine looks for in the old state for `resource`."""
    own = [_collapse(resource, alias, old_urns) for alias in resource.aliases]
    found = list(own)
    parent_alias = old_urns.get(resource.parent)
    if resource.parent and parent_alias and parent_alias != resource.parent:
        parent_name = _parts(resource.parent)[3]
        found.append(_inherited(resource.type, resource.name, parent_name, parent_alias))
        found += [_inherited(_parts(a)[2].rsplit("$", 1)[-1], _parts(a)[3], parent_name, parent_alias) for a in own]
    return found


def matched_old_urns(resources: list[Registration], old_state: set[str]) -> dict[str, str]:
    """Each declared resource's URN mapped to the old-state URN the engine would update in place."""
    matched: dict[str, str] = {}
    for resource in resources:  # registration order: parents come before their children
        if resource.urn in old_state:
            matched[resource.urn] = resource.urn
            continue
        for alias in engine_aliases(resource, matched):
            if alias in old_state:
                matched[resource.urn] = alias
                break
    return matched


def unmatched(resources: list[Registration], old_state: set[str]) -> set[str]:
    return old_state - set(matched_old_urns(resources, old_state).values())


def test_every_shipped_stack_file_has_its_golden_list():
    expected = {golden_file(stack_file) for stack_file in STACK_FILES}
    assert set(GOLDEN.glob("**/*.urns")) == expected, (
        "a shipped stack file without a golden URN list (or a list without its stack file): "
        "generate the list from the commit that adds the stack file"
    )


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda path: str(path.relative_to(PROJECT_DIR)))
def test_every_golden_urn_is_still_declared_or_aliased(stack_file):
    declaration = run_stack_file(stack_file)
    assert declaration.error is None, declaration.error
    old_state = set(golden_file(stack_file).read_text().split())
    lost = unmatched(declaration.resources, old_state)
    assert not lost, (
        f"{stack_file.name}: these resources would be deleted and created anew, storage included: "
        f"{sorted(lost)}; keep their URNs or give them an alias to the old URN"
    )


def test_a_rename_without_alias_is_caught_and_an_alias_repairs_it():
    """The check can fail: renaming the bucket loses it, an alias to its old name brings it back."""
    stack_file = PROJECT_DIR / "Pulumi.dev.yaml"
    resources = run_stack_file(stack_file).resources
    old_state = set(golden_file(stack_file).read_text().split())
    (bucket,) = [r for r in resources if r.type == "aws:s3/bucket:Bucket"]
    old_bucket = matched_old_urns(resources, old_state)[bucket.urn]
    renamed = dataclasses.replace(bucket, name="storage-bucket", urn=bucket.urn.replace(bucket.name, "storage-bucket"))
    edited = [renamed if r is bucket else r for r in resources]
    assert unmatched(edited, old_state) == {old_bucket}
    aliased = dataclasses.replace(renamed, aliases=[{"name": bucket.name}])
    assert unmatched([aliased if r is bucket else r for r in resources], old_state) == set()
