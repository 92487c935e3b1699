"""What every cloud's plan stand-ins share (`components/<cloud>/stand_ins.py`): names made up
deterministically from the resource's own, so a plan prints the same values on every run."""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

# A resource's id and the state the provider would add to its inputs.
Answer = tuple[str, dict[str, Any]]


def suffix(name: str) -> str:
    """Seven hex digits that stand for the random suffix a provider would add to `name`."""
    return hashlib.sha256(name.encode()).hexdigest()[:7]


def auto_name(name: str) -> str:
    """The name a provider would give a resource that names none of its own."""
    return f"{name}-{suffix(name)}"


class StandIns(Protocol):
    """One provider's made-up answers; None for a type or call it does not know."""

    def new_resource(self, kind: str, name: str, inputs: dict[str, Any]) -> Answer | None: ...
    def call(self, token: str, args: dict[str, Any]) -> dict[str, Any] | None: ...
    def stack_output(self, setting: str) -> Any | None:
        """What another stack would export for `setting` of the cloud's object (`oidcProviderArn`)."""
        ...
