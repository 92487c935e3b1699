"""The plan's stand-ins for what the cluster assigns: object names and the release's status.

Nothing is contacted; every value is made up from the resource's name (components/stand_ins.py).
"""

from __future__ import annotations

from typing import Any

from components.stand_ins import Answer, auto_name

PROVIDER = "kubernetes"
RELEASE = "kubernetes:helm.sh/v3:Release"


class StandIns:
    def __init__(self, config: dict[str, str]):
        pass

    def new_resource(self, kind: str, name: str, inputs: dict[str, Any]) -> Answer | None:
        auto = auto_name(name)
        metadata = dict(inputs.get("metadata") or {})
        metadata.setdefault("name", auto)
        if kind == RELEASE:
            release_name = inputs.get("name", auto)
            return str(release_name), {"metadata": metadata, "name": release_name, "status": {"status": "deployed"}}
        return str(metadata["name"]), {"metadata": metadata}

    def call(self, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
        return None

    def stack_output(self, setting: str) -> Any | None:
        return None
