"""Rules a storage component's arguments and the stack's settings share, written once. Pure:
importing it loads neither Pulumi nor pydantic, so the components and the settings both use it."""

from __future__ import annotations

from typing import Literal, get_args

# What a storage component may do with its storage: create it, use it as it is, or adopt it.
StorageMode = Literal["create", "existing", "adopt"]
STORAGE_MODES: tuple[str, ...] = get_args(StorageMode)


def force_destroy_problem(storage: str, force_destroy: object, storage_key: str = "storage") -> str | None:
    """Why forceDestroy cannot be on with storage mode `storage`, or None: a stack never empties
    storage it did not create. The settings and every storage component ask this one rule;
    `storage_key` is how the caller names the storage mode (`labelstudio:storage` in a stack file)."""
    if force_destroy and storage in ("existing", "adopt"):
        return f"never empties storage the stack did not create ({storage_key} is {storage}); remove it"
    return None
