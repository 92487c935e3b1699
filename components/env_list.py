"""The env.list file Docker Compose reads, built from plain data."""

from __future__ import annotations

import re
from collections.abc import Iterable

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
