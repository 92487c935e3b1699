"""The env.list file Docker Compose reads, built from plain data."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")

# Label Studio's own URL: links it builds (and the chart's notes) need it when no ingress is declared.
LABEL_STUDIO_HOST = "LABEL_STUDIO_HOST"
# How Label Studio's S3 backend signs the links it hands out (botocore's default may be SigV2).
S3_SIGNATURE_VERSION = "STORAGE_AWS_S3_SIGNATURE_VERSION"


def label_studio_environment(storage_environment: Mapping[str, Any], host: str | None) -> dict[str, Any]:
    """Variables every Label Studio container needs beside the persistence settings.

    The chart gets them as `global.extraEnvironmentVars` (app, rqworker and migration job alike),
    Docker Compose as env.list lines.
    """
    environment = dict(storage_environment)
    if host:
        environment[LABEL_STUDIO_HOST] = host
    return environment


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
