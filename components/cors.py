"""How a bucket's existing CORS rules differ from what Label Studio's browsers need. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from components.facts import CORS_METHODS


def cors_differences(rules: Iterable[tuple[Sequence[str], Sequence[str]]], cors_origins: Sequence[str]) -> list[str]:
    """Differences between `rules` (each its origins and methods) and the project's CORS, one line each.

    An origin is served when one rule names it (or '*') with every method the project declares.
    """
    rules = list(rules)
    differences = []
    if any("*" in origins for origins, _ in rules):
        differences.append("CORS lets any origin ('*') read and upload from browsers")
    allowed = {
        origin
        for origins, methods in rules
        if set(CORS_METHODS) <= {method.upper() for method in methods}
        for origin in origins
    }
    missing = [origin for origin in cors_origins if origin not in allowed and "*" not in allowed]
    if missing:
        differences.append(
            f"CORS does not let {', '.join(missing)} use {', '.join(CORS_METHODS)}: browsers there cannot show "
            "or upload media (labelstudio:manageCors true replaces the existing CORS)"
        )
    return differences
