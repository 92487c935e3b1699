"""Plain YAML scalars read as the Pulumi CLI reads a stack file: go-yaml v3 (YAML 1.2's core rules
with 1.1's octals), then Pulumi's config encoding (sdk/go/common/resource/config). PyYAML follows
YAML 1.1, which the CLI does not: `yes`, `on` and `1:20` are text to the CLI, `1e3` and `0o17` are
numbers, a date is a Go time the CLI passes as `2024-01-01 00:00:00 +0000 UTC`, `!!binary` is the
decoded text, and a `!!set` is a mapping of nulls. tests/engine/test_stack_files_cli.py holds
this module to the real CLI."""

from __future__ import annotations

import base64
import binascii
import datetime
import math
import re
from decimal import Decimal
from typing import Any

import yaml

INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
STR_TAG = "tag:yaml.org,2002:str"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
MERGE_TAG = "tag:yaml.org,2002:merge"

# go-yaml v3's resolveMap: the only plain scalars read by their spelling.
_BY_SPELLING: dict[str, tuple[str, Any]] = {
    **{word: (BOOL_TAG, True) for word in ("true", "True", "TRUE")},
    **{word: (BOOL_TAG, False) for word in ("false", "False", "FALSE")},
    **{word: (NULL_TAG, None) for word in ("", "~", "null", "Null", "NULL")},
    **{word: (FLOAT_TAG, math.nan) for word in (".nan", ".NaN", ".NAN")},
    **{word: (FLOAT_TAG, math.inf) for word in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{word: (FLOAT_TAG, -math.inf) for word in ("-.inf", "-.Inf", "-.INF")},
    "<<": (MERGE_TAG, "<<"),
}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_INT = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_TIMESTAMPS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[-+]\d{2}:\d{2})"),
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?()"),
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})()()()()()"),
)
INT64 = (-(2**63), 2**64 - 1)  # what ParseInt, then ParseUint, take


def go_int(text: str) -> int | None:
    """strconv.ParseInt(text without '_', 0, 64), then ParseUint: None when neither reads it."""
    plain = text.replace("_", "")
    if not _GO_INT.fullmatch(plain):
        return None
    sign, digits = (-1, plain[1:]) if plain[:1] == "-" else (1, plain.lstrip("+"))
    if len(digits) > 1 and digits[0] == "0" and digits[1] in "01234567":
        value = sign * int(digits, 8)
    else:
        value = sign * int(digits, 0)
    return value if INT64[0] <= value <= INT64[1] else None


def _go_time(text: str) -> datetime.datetime | None:
    """go-yaml's parseTimestamp: one of its four layouts, a valid date, or None."""
    for layout in _TIMESTAMPS:
        found = layout.fullmatch(text)
        if not found:
            continue
        year, month, day, hour, minute, second, fraction, zone = found.groups()
        try:
            offset = datetime.timedelta(0)
            if zone and zone != "Z":
                sign = -1 if zone[0] == "-" else 1
                offset = sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            micro = int(((fraction or ".")[1:] + "000000")[:6])
            return datetime.datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro,
                tzinfo=datetime.timezone(offset),
            )  # fmt: skip
        except ValueError:
            return None
    return None


def go_time_text(moment: datetime.datetime, fraction: str = "") -> str:
    """Go's time.Time.String(), which Pulumi's config uses for a YAML timestamp."""
    offset = moment.utcoffset() or datetime.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    numeric = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    zone = "UTC" if minutes == 0 else numeric
    digits = fraction.rstrip("0")
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (f".{digits}" if digits else "") + f" {numeric} {zone}"


def scalar_tag(value: str) -> str:
    """The tag go-yaml v3 resolves a plain scalar to (its `resolve` with no tag)."""
    if value in _BY_SPELLING:
        return _BY_SPELLING[value][0]
    first = value[:1]
    if first == ".":
        try:
            float(value)
        except ValueError:
            return STR_TAG
        return FLOAT_TAG if _YAML_STYLE_FLOAT.fullmatch(value) else STR_TAG
    if first and first in "+-0123456789":
        if _go_time(value) is not None:
            return TIMESTAMP_TAG
        if go_int(value) is not None:
            return INT_TAG
        if _YAML_STYLE_FLOAT.fullmatch(value.replace("_", "")):
            return FLOAT_TAG
    return STR_TAG


class WrittenAs(str):
    """Text the CLI makes of a value that was not written as text (a date): the text, and how it
    was written, so the plan can say what the program will get."""

    written: str
    kind: str

    def __new__(cls, text: str, written: str, kind: str) -> WrittenAs:
        made = super().__new__(cls, text)
        made.written = written
        made.kind = kind
        return made


class GoYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader with go-yaml v3's reading of plain scalars and tags."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return scalar_tag(value)
        return super().resolve(kind, value, implicit)

    def construct_go_int(self, node: Any) -> Any:
        value = go_int(self.construct_scalar(node))
        if value is None:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot decode {node.value!r} as an integer", node.start_mark
            )
        return value

    def construct_go_float(self, node: Any) -> Any:
        text = self.construct_scalar(node)
        if text in _BY_SPELLING:
            return _BY_SPELLING[text][1]
        try:
            return float(text.replace("_", ""))
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot decode {text!r} as a number", node.start_mark
            ) from None

    def construct_go_bool(self, node: Any) -> Any:
        text = self.construct_scalar(node)
        if text in _BY_SPELLING and _BY_SPELLING[text][0] == BOOL_TAG:
            return _BY_SPELLING[text][1]
        raise yaml.constructor.ConstructorError(None, None, f"cannot decode {text!r} as true or false", node.start_mark)

    def construct_go_timestamp(self, node: Any) -> Any:
        text = self.construct_scalar(node)
        moment = _go_time(text)
        if moment is None:
            return text
        fraction = re.search(r"\.(\d+)", text.split(":", 2)[-1]) if ":" in text else None
        return WrittenAs(go_time_text(moment, fraction.group(1)[:9] if fraction else ""), text, "a date")

    def construct_go_binary(self, node: Any) -> Any:
        text = "".join(self.construct_scalar(node).split())
        try:
            return base64.b64decode(text, validate=True).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            raise yaml.constructor.ConstructorError(
                None, None, "!!binary value contains invalid base64 data", node.start_mark
            ) from None

    def construct_by_kind(self, node: Any) -> Any:
        """A tag go-yaml does not know (`!!set`, `!!omap`, `!custom`): the node read as plain
        text, list or mapping, as go-yaml reads it into a Go interface{}."""
        if isinstance(node, yaml.MappingNode):
            return self.construct_mapping(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return self.construct_sequence(node, deep=True)
        return self.construct_scalar(node)

    def construct_set(self, node: Any) -> Any:
        return self.construct_by_kind(node)


GoYamlLoader.add_constructor(INT_TAG, GoYamlLoader.construct_go_int)
GoYamlLoader.add_constructor(FLOAT_TAG, GoYamlLoader.construct_go_float)
GoYamlLoader.add_constructor(BOOL_TAG, GoYamlLoader.construct_go_bool)
GoYamlLoader.add_constructor(TIMESTAMP_TAG, GoYamlLoader.construct_go_timestamp)
GoYamlLoader.add_constructor("tag:yaml.org,2002:binary", GoYamlLoader.construct_go_binary)
for _tag in ("tag:yaml.org,2002:set", "tag:yaml.org,2002:omap", "tag:yaml.org,2002:pairs", None):
    GoYamlLoader.add_constructor(_tag, GoYamlLoader.construct_by_kind)


def json_number(value: float) -> int | float:
    """A float as Go's encoding/json writes it, read back: whole numbers below 1e21 as integers
    (with the float's shortest digits, as Go prints them)."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e21:
        return int(Decimal(repr(value)))
    return value


def go_float_text(value: float) -> str:
    """A float as Go's encoding/json writes it (Pulumi passes numbers as that text)."""
    if not math.isfinite(value):
        return repr(value)  # never passed: the CLI refuses it, and so does config_problems
    number = json_number(value)
    if isinstance(number, int):
        return str(number)
    if 1e-6 <= abs(value) < 1e21:
        return format(Decimal(repr(value)), "f")
    mantissa, _, exponent = f"{value:e}".partition("e")
    digits = repr(value).lower().partition("e")[0] if "e" in repr(value).lower() else mantissa
    return f"{digits}e{'-' if exponent.startswith('-') else '+'}{int(exponent.lstrip('+-'))}"


def go_key_text(key: Any) -> Any:
    """A mapping key inside a config value as Pulumi makes it text (Go's `%v`): `true`, `<nil>`,
    `1.5`; a key that is a list or mapping cannot be one (YAML readers refuse it already)."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "<nil>"
    if isinstance(key, float):
        number = json_number(key)
        return str(number) if isinstance(number, int) else repr(key)
    return str(key)
