"""Rules a storage component's arguments and the stack's settings share, written once. Pure:
importing it loads neither Pulumi nor pydantic, so the components and the settings both use it."""

from __future__ import annotations

from typing import Literal, get_args

# What a storage component may do with its storage: create it, use it as it is, or adopt it.
StorageMode = Literal["create", "existing", "adopt"]
STORAGE_MODES: tuple[str, ...] = get_args(StorageMode)
