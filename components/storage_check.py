"""The seam between `tools/check.py` (deadline, progress, the table, reading the outputs) and each
cloud's check client (`components/<cloud>/check.py`): what a client must do, and what it may
read from the stack outputs. Importing it loads no cloud SDK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Timeouts:
    """Per request: seconds to connect, seconds to wait for an answer, and attempts in all."""

    connect: float
    read: float
    attempts: int = 2

    @classmethod
    def within(cls, deadline: float) -> Timeouts:
        """The usual 5 s to connect and 10 s to answer, shorter when the whole deadline is short."""
        return cls(connect=min(5.0, deadline / 4), read=min(10.0, deadline / 4))

    @property
    def pair(self) -> tuple[float, float]:
        return (self.connect, self.read)


DEFAULT_TIMEOUTS = Timeouts(5, 10)


class StorageCheck(Protocol):
    """What the check needs from one cloud's storage, through Label Studio's own kind of access."""

    description: str
    upload_headers: Sequence[str]  # request headers a browser names in an upload preflight
    timeouts: Timeouts

    def put(self, key: str, body: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def list(self, prefix: str) -> list[str]: ...
    def delete(self, key: str) -> None: ...
    def signed_get_url(self, key: str) -> str: ...
    def object_url(self, key: str) -> str: ...


class StackOutputs(Protocol):
    """A stack's outputs as a check client reads them; each read refuses a missing or masked
    value with a message that names it (tools/check.py's BadOutputs)."""

    def text(self, name: str) -> str:
        """The output `name`, a non-empty string."""
        ...

    def optional_text(self, name: str) -> str | None:
        """The output `name` if it is a string, else None."""
        ...

    def label_studio_env(self, keyed: Sequence[str]) -> dict[str, str]:
        """The `envList` Label Studio gets, with each of `keyed` present and unmasked."""
        ...

    def service_account_key(self) -> dict[str, Any]:
        """`serviceAccountKeyJson`, parsed: a service-account key file with its private key."""
        ...


def parse_env_list(text: str) -> dict[str, str]:
    """env.list's NAME=value lines as a mapping; comments and other lines are skipped."""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return {name.strip(): value for name, value in pairs}


def keys_in_env_list(outputs: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    """The values of `names` in the outputs' `envList`, stripped; never raises."""
    env = parse_env_list(outputs["envList"]) if isinstance(outputs.get("envList"), str) else {}
    return [env.get(name, "").strip() for name in names]
