"""The plan's stand-ins for an S3-compatible server: none, as the stack declares nothing on it."""

from __future__ import annotations

from typing import Any

from components.stand_ins import Answer

PROVIDER = "s3compatible"  # no Pulumi package has resource types starting with it


class StandIns:
    def __init__(self, config: dict[str, str]):
        pass

    def new_resource(self, kind: str, name: str, inputs: dict[str, Any]) -> Answer | None:
        return None

    def call(self, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
        return None

    def stack_output(self, setting: str) -> Any | None:
        return None
