"""Rules a storage component's arguments and the stack's settings share, written once. Pure:
importing it loads neither Pulumi nor pydantic, so the components and the settings both use it."""

from __future__ import annotations

from typing import Literal, NamedTuple, get_args

# What a storage component may do with its storage: create it, use it as it is, or adopt it.
StorageMode = Literal["create", "existing", "adopt"]
STORAGE_MODES: tuple[str, ...] = get_args(StorageMode)
# The modes on storage the stack did not create: it is never emptied, and its settings must name it.
FOUND_STORAGE_MODES = ("existing", "adopt")


def force_destroy_problem(storage: str, force_destroy: object, storage_key: str = "storage") -> str | None:
    """Why forceDestroy cannot be on with storage mode `storage`, or None: a stack never empties
    storage it did not create. The settings and every storage component ask this one rule;
    `storage_key` is how the caller names the storage mode (`labelstudio:storage` in a stack file)."""
    if force_destroy and storage in FOUND_STORAGE_MODES:
        return f"never empties storage the stack did not create ({storage_key} is {storage}); remove it"
    return None


class ArgumentProblem(NamedTuple):
    """One thing a component cannot build from its arguments, as a pair: the argument it is about
    (its name in the package's schema, under which the engine shows it) and the sentence, which
    names the argument first and says the fix."""

    argument: str
    sentence: str

    def __str__(self) -> str:
        return self.sentence


def about(argument: str, rest: str, separator: str = " ") -> ArgumentProblem:
    """The problem `<argument><separator><rest>`, about `argument`."""
    return ArgumentProblem(argument, f"{argument}{separator}{rest}")
