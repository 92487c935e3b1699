"""How the rules see a stack: its resources, the violations they find, and the policies that find them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class _Unknown:
    """A value the engine computes later (a new bucket's ARN during a preview)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class Resource:
    """A declared resource as the rules see it: its type, name, properties and options.

    `property_dependencies` maps a property to the URNs of the resources its value came from,
    which ties a companion to its bucket while the bucket's name is still unknown;
    `dependencies` are the URNs of every resource it waits for.
    """

    type: str
    name: str
    props: Mapping[str, Any]
    protect: bool = False
    secret_outputs: Sequence[str] = field(default_factory=tuple)
    urn: str = ""
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    dependencies: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Violation:
    policy: str
    resource: str
    message: str


Check = Callable[[Sequence[Resource]], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    check: Check
