"""How a bucket's existing CORS rules differ from what Label Studio's browsers need. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from components.storage_defaults import CORS_METHODS

MANAGE_CORS = "labelstudio:manageCors true replaces the existing CORS with this stack's rule"


def cors_differences(
    rules: Iterable[tuple[Sequence[str], Sequence[str]]], cors_origins: Sequence[str], wildcards: bool = False
) -> list[str]:
    """Differences between `rules` (each its origins and methods) and the stack's `cors_origins`, one line each.

    - an origin a rule allows that is not one of the stack's: '*' (any origin) on its own line, the
      others listed together (a pattern such as `https://*.example.com` counts as not the stack's);
    - a stack origin no rule serves: one naming '*' or the origin (or, with `wildcards`, as S3 has
      them, a pattern with a `*` that matches it), with every method the project declares.
      Browsers there cannot show or upload media.
    One line per kind, however many origins: `check`'s own CORS steps fail on the same origins.
    """
    rules = [([origin.strip() for origin in origins], methods) for origins, methods in rules]
    differences = []
    named = [origin for origins, _ in rules for origin in origins if origin]
    if "*" in named:
        differences.append(
            f"CORS lets any origin ('*') use the storage from browsers, not only this stack's corsOrigins "
            f"({MANAGE_CORS})"
        )
    else:
        foreign = list(dict.fromkeys(origin for origin in named if origin not in cors_origins))
        if foreign:
            differences.append(
                f"CORS lets {', '.join(foreign)} use the storage from browsers: not this stack's corsOrigins "
                f"({MANAGE_CORS})"
            )
    serving = [
        origin
        for origins, methods in rules
        if set(CORS_METHODS) <= {method.upper() for method in methods}
        for origin in origins
    ]
    missing = [origin for origin in cors_origins if not any(_serves(pattern, origin, wildcards) for pattern in serving)]
    if missing:
        differences.append(
            f"CORS does not let {', '.join(missing)} use {', '.join(CORS_METHODS)}: browsers there cannot show "
            f"or upload media ({MANAGE_CORS})"
        )
    return differences


def _serves(pattern: str, origin: str, wildcards: bool) -> bool:
    if pattern in ("*", origin):
        return True
    return (
        wildcards and "*" in pattern and re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), origin) is not None
    )
