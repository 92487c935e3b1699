"""Values as the program declared them: secrets kept where they were marked, references to
other resources, and the protobuf encoding the monitor receives, read with the SDK's own
signatures (pulumi.runtime.rpc) rather than copies of them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from pulumi.runtime.rpc import _special_resource_sig as RESOURCE_SIG
from pulumi.runtime.rpc import _special_secret_sig as SECRET_SIG
from pulumi.runtime.rpc import _special_sig_key as SIG_KEY

__all__ = ["RESOURCE_SIG", "SECRET_SIG", "SIG_KEY", "Leaf", "Ref", "Secret", "from_proto", "leaves", "mask", "reveal"]


@dataclass(frozen=True)
class Secret:
    """A value the program marked secret, at the place it was marked."""

    value: Any


@dataclass(frozen=True)
class Ref:
    """A reference to another resource, as a resource input."""

    urn: str


def reveal(value: Any) -> Any:
    """`value` with every secret unwrapped, for assertions on content."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    return value


class Leaf(NamedTuple):
    """A leaf of a value: anything but an object, a list or a Secret."""

    path: str  # e.g. `spec.env[0].value`; "" for the value itself
    value: Any  # unwrapped
    secret: bool  # a Secret marks it or something it sits in


def leaves(value: Any, path: str = "", secret: bool = False) -> Iterator[Leaf]:
    """Every leaf of `value`, in order, with where it sits and whether it is secret."""
    if isinstance(value, Secret):
        yield from leaves(value.value, path, True)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}".lstrip("."), secret)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]", secret)
    else:
        yield Leaf(path, value, secret)


def mask(value: Any) -> Any:
    """`value` with every secret replaced by `[secret]`, for printing."""
    if isinstance(value, Secret):
        return "[secret]"
    if isinstance(value, dict):
        return {key: mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item) for item in value]
    if isinstance(value, Ref):
        return f"(resource {value.urn.rsplit('::', 1)[-1]})"
    return value


def from_proto(value: Any) -> Any:
    """A protobuf Struct/Value as plain Python, keeping secrets where they sit."""
    from google.protobuf import struct_pb2

    if isinstance(value, struct_pb2.Struct):
        raw = {key: from_proto(item) for key, item in value.fields.items()}
        signature = raw.get(SIG_KEY)
        if signature == SECRET_SIG:
            return Secret(raw.get("value"))
        if signature == RESOURCE_SIG:
            return Ref(raw.get("urn", ""))
        return raw
    if isinstance(value, struct_pb2.ListValue):
        return [from_proto(item) for item in value.values]
    if isinstance(value, struct_pb2.Value):
        kind = value.WhichOneof("kind")
        if kind == "struct_value":
            return from_proto(value.struct_value)
        if kind == "list_value":
            return from_proto(value.list_value)
        if kind == "number_value":
            number = value.number_value
            return int(number) if number.is_integer() else number
        if kind == "null_value":
            return None
        return getattr(value, kind) if kind else None
    return value
