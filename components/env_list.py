"""The env.list file Docker Compose reads, built from plain data: its lines, in Label Studio's names
(components/label_studio.py), and its text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from components.label_studio import (
    ENV_LIST_VALUES,
    STORAGE_KEYS,
    authority_environment,
    label_studio_environment,
    storage_environment,
)

_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def env_list_text(lines: Iterable[tuple[str, str]]) -> str:
    """`NAME=value` lines as `docker compose --env-file` and `env_file:` read them.

    Compose takes everything after the first '=' literally, so values are written unquoted;
    a newline would split a value into a bogus second line, so it is refused.
    """
    text = []
    for name, value in lines:
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not an environment variable name")
        if "\n" in value or "\r" in value:
            raise ValueError(f"the value of {name} spans lines, which env.list cannot hold")
        text.append(f"{name}={value}")
    return "\n".join(text) + "\n"


def env_list_lines(
    storage_type: str,
    settings: Mapping[str, Any],
    credentials: Mapping[str, Any],
    host: str | None,
    authority: Mapping[str, Any] | None = None,
) -> list[tuple[str, Any]]:
    """The env.list lines for Docker Compose: the storage type, its settings and credentials, and
    the variables every Label Studio container needs (AWS_CA_BUNDLE where the compose guide mounts
    a private authority's certificate)."""
    values = {**settings, **credentials}
    lines: list[tuple[str, Any]] = [("STORAGE_TYPE", storage_type)]
    for name, key in STORAGE_KEYS[storage_type].items():
        if name in values:
            lines.append((key.env_name, ENV_LIST_VALUES.get((storage_type, name), values[name])))
    environment = {**storage_environment(storage_type), **authority_environment(authority)}
    return lines + list(label_studio_environment(environment, host).items())
