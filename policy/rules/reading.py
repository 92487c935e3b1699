"""Reading values the engine may not know yet, IAM documents, Google Cloud grants, and the ties between
a bucket or account and its companions, shared by every area's rules."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from .model import UNKNOWN, Resource

# -- reading values -------------------------------------------------------------------------------


def _of(resources: Sequence[Resource], *types: str) -> list[Resource]:
    return [r for r in resources if r.type in types]


def _known(value: Any) -> bool:
    return value is not UNKNOWN


def _get(value: Any, *path: str) -> Any:
    """value[path...]: UNKNOWN when a step is unknown, None when a step is absent."""
    for key in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and len(value) == 1:
            value = value[0]  # Terraform-bridged blocks of one come as one-item lists
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if _is_list(value) else [value]


def _strings(value: Any) -> list[str]:
    return [item for item in _as_list(value) if isinstance(item, str)]


class Unreadable(ValueError):
    """A policy document that is known but cannot be read as one."""


def _statements(document: Any) -> list[Mapping[str, Any]] | None:
    """The statements of an IAM document (JSON text or data); None while it is unknown."""
    if document is UNKNOWN:
        return None
    if document is None or document == "":
        return []  # no document, as the AWS provider reports an inline policy block left empty
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as error:
            raise Unreadable(str(error)) from None
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    if not isinstance(statements, (Mapping, list)):
        raise Unreadable("no Statement")
    found = _as_list(statements) if isinstance(statements, list) else [statements]
    if not all(isinstance(s, Mapping) for s in found):
        raise Unreadable("a statement is not an object")
    return found


def _document_statements(document: Any) -> Iterator[Mapping[str, Any] | str]:
    """The statements of `document`, or one message when it cannot be read (fail closed)."""
    try:
        yield from _statements(document) or []
    except Unreadable as error:
        yield f"has a policy document this pack cannot read ({error}); write it as IAM JSON"


def _allows(statement: Mapping[str, Any]) -> bool:
    return str(statement.get("Effect")).lower() == "allow"


def _principals(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, value) for each principal: ("*", "*") for a bare `*`."""
    principal = statement.get("Principal")
    if isinstance(principal, str):
        return [("*", principal)] if principal == "*" else [("AWS", principal)]
    if isinstance(principal, Mapping):
        return [(str(kind), value) for kind, values in principal.items() for value in _strings(values)]
    return []


def _public_principal(statement: Mapping[str, Any]) -> bool:
    return any(value == "*" for _, value in _principals(statement))


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def _wildcard(text: str) -> bool:
    return "*" in text or "?" in text


# -- ties between resources -----------------------------------------------------------------------


def _refers_to(companion: Resource, prop: str, target: Resource, identities: Iterable[Any], rivals: set[str]) -> bool:
    """Whether `companion.prop` names `target`: by its value, or by reference when the value is
    unknown (a preview) or absent (providers that keep it out of their outputs).

    Without the property's own dependencies, the companion must depend on the target and on no
    other resource of its kind (`rivals`).
    """
    value = companion.props.get(prop)
    if isinstance(value, str):
        return value in {i for i in identities if isinstance(i, str)}
    if value is not UNKNOWN and value is not None:
        return False
    if prop in companion.property_dependencies:
        return bool(target.urn) and target.urn in companion.property_dependencies[prop]
    return bool(target.urn) and set(companion.dependencies) & rivals == {target.urn}


def _companions(
    resources: Sequence[Resource], types: Sequence[str], target: Resource, prop: str, *ids: str
) -> list[Resource]:
    identities = [target.props.get(key) for key in ids]
    rivals = {r.urn for r in resources if r.type == target.type and r.urn}
    return [c for c in _of(resources, *types) if _refers_to(c, prop, target, identities, rivals)]


def _bucket_companions(resources: Sequence[Resource], types: Sequence[str], bucket: Resource) -> list[Resource]:
    return _companions(resources, types, bucket, "bucket", "bucket", "id")


def _account_companions(resources: Sequence[Resource], types: Sequence[str], account: Resource) -> list[Resource]:
    # Storage account names are unique across Azure: the name alone ties a companion.
    return _companions(resources, types, account, "accountName", "accountName", "name")


# -- Google Cloud grants -------------------------------------------------------------------------


def _iam_policy_bindings(member: Resource) -> Iterator[tuple[str, list[str]] | str]:
    """(role, members) of a whole-policy resource's `policyData`, or a message when unreadable."""
    data = member.props.get("policyData")
    if data is UNKNOWN or data is None:
        return
    try:
        document = json.loads(data) if isinstance(data, str) else data
        bindings = document.get("bindings") or []
        yield from ((str(b.get("role")), _strings(b.get("members"))) for b in bindings)
    except (ValueError, AttributeError):
        yield "has policy data this pack cannot read; write it as IAM policy JSON"


def _grants(member: Resource) -> Iterator[tuple[str, list[str]] | str]:
    """(role, members) of an IAM member, binding or policy resource of Google Cloud."""
    if "policyData" in member.props:
        yield from _iam_policy_bindings(member)
        return
    role = member.props.get("role")
    yield (str(role) if _known(role) else ""), _members(member)


def _members(grant: Resource) -> list[Any]:
    """Who a Google Cloud grant names: strings, or UNKNOWN for one known only after the update."""
    found = _as_list(grant.props.get("members")) + _as_list(grant.props.get("member"))
    return [m for m in found if isinstance(m, str) or m is UNKNOWN]
