"""Problem reports: how a stack's settings are refused, every problem at once, each a sentence
that names the key (`labelstudio:aws.kmsKeyArn`), the bad value unless it is secret, and the
fix. Also the decoding of Pulumi's string-encoded configuration and the JSON shape rules that
come before any model sees a value.
"""

from __future__ import annotations

import difflib
import json
import math
import typing
from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

NAMESPACE = "labelstudio"


class SettingsError(Exception):
    """Every problem found in a stack's settings, each a complete sentence naming its key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(
            f"The stack settings have {count}; nothing was declared:\n" + "\n".join(f"  - {p}" for p in problems)
        )


_UNSHOWN = object()


def problem(
    message: str, key: str | None = None, show_value: bool = True, value: Any = _UNSHOWN
) -> PydanticCustomError:
    """A validation error whose text is ours.

    `key` names the nested key (or list position) the message is about, and `value` is the
    value shown for it; without `key` the field's own value is shown. `show_value` False keeps
    the offending value out of the message (it may hold a password). A value is never shown
    when the stack file holds the setting as a secret.
    """
    shown = value if key is not None else _UNSHOWN
    context = {"key": key, "show_value": show_value and (key is None or value is not _UNSHOWN), "shown": shown}
    return PydanticCustomError("labelstudio", message.replace("{", "{{").replace("}", "}}"), context)


V = TypeVar("V")


def checked(found: str | None, value: V, key: str | None = None, show_value: bool = True) -> V:
    """`value`, when the rule that checked it found nothing (`found` is its reason, or None);
    else that reason, raised as the setting's `problem`. With `key` the problem is about that
    nested key or list position, and `value` is the one shown for it."""
    if found:
        raise problem(found, key, show_value, value)
    return value


MAX_NESTING = 32
"""Levels of objects and lists a setting may nest; chart values need fewer than ten."""
_MAX_NODES = 100_000


class TooDeep:
    """Stands for a JSON text nested too deeply to decode."""


def decode_strings(raw: Mapping[str, Any], structured: Collection[str]) -> dict[str, Any]:
    """Turn Pulumi's string-encoded configuration back into the values written in the stack file.

    The CLI passes objects and lists as JSON text; a value that starts like JSON is decoded so
    that a list given for `bucket` is reported as a list, not as an odd bucket name, and so is
    every value of a `structured` key (an object or list setting).
    """
    decoded: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and (value.startswith(("[", "{")) or key in structured):
            try:
                value = json.loads(value)
            except ValueError:
                pass
            except RecursionError:
                value = TooDeep()
        decoded[key] = value
    return decoded


_NOT_JSON = {
    "date": ("a date", "quote it to pass it as text"),
    "datetime": ("a date and time", "quote it to pass it as text"),
    "bytes": ("binary data (!!binary)", "pass it as quoted text, e.g. base64"),
    "set": ("a set (!!set)", "write a list"),
    "frozenset": ("a set", "write a list"),
    "tuple": ("ordered pairs (!!omap or !!pairs)", "write an object"),
}


def json_value_problem(value: Any, max_nesting: int = MAX_NESTING) -> tuple[tuple[str | int, ...], str] | None:
    """Where and why `value` is not plain JSON data that stack configuration can hold, or None.

    JSON is what Pulumi passes a program, so a setting may only hold objects with text keys,
    lists, text, numbers, true/false and null, at most `max_nesting` levels deep and of bounded
    size. The walk is iterative and stops at a node budget, so a value that shares its parts
    (a YAML alias bomb) costs no more than a plain one.
    """
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    nodes = 0
    while pending:
        path, item = pending.pop()
        nodes += 1
        if nodes > _MAX_NODES:
            return (), f"is too large: more than {_MAX_NODES} values once expanded (YAML aliases count each time)"
        if isinstance(item, TooDeep) or len(path) > max_nesting:
            return path[:max_nesting], f"is nested deeper than {max_nesting} levels"
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return path, f"has a key {_shown(key)} that is not text; quote it"
                pending.append(((*path, key), child))
        elif isinstance(item, list):
            pending.extend(((*path, index), child) for index, child in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            return path, "is not a finite number (.inf or .nan); JSON cannot hold it"
        elif item is not None and not isinstance(item, (str, int, float, bool)):
            kind, fix = _NOT_JSON.get(type(item).__name__, (f"a {type(item).__name__}", "write it as text"))
            return path, f"holds {kind}, which stack configuration (JSON) cannot hold; {fix}"
    return None


def setting_name(key: str, path: tuple[str | int, ...] = ()) -> str:
    """How messages name a setting or a place inside one: `labelstudio:helmValues.ingress.hosts[0]`."""
    return _key_name((key, *path))


def _key_name(loc: tuple[Any, ...], aliases: Mapping[str, str] | None = None) -> str:
    """`labelstudio:aws.kmsKeyArn`, `labelstudio:corsOrigins[1]`, `labelstudio:aws["odd key"]`;
    `aliases` turns a model's field name into the key the stack file writes (`aws:region`)."""
    head, *rest = loc or ("(settings)",)
    head = (aliases or {}).get(str(head), str(head))
    name = head if ":" in head else f"{NAMESPACE}:{head}"
    for part in rest:
        if isinstance(part, int) or (
            isinstance(part, str) and part.isascii() and part.isdigit() and part == str(int(part))
        ):
            name += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            name += f".{part}"
        else:
            name += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return name


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def type_name(value: Any) -> str:
    """How messages name a value's JSON kind: `an object`, `a list`, `a string`..."""
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _field_keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def object_models(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """The model's object fields (the clouds' objects) by key, each with its own model."""
    found = {}
    for name, field in model.model_fields.items():
        for candidate in (field.annotation, *typing.get_args(field.annotation)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                found[field.alias or name] = candidate
    return found


def _holds_no_secret(model: type[BaseModel] | None, key: str) -> bool:
    """Whether `key` of an object is a setting that is never secret itself: the object's model marks
    which of its settings are secrets (the keys beside an S3-compatible endpoint), and the stack
    file holds the whole object as a secret because of them. Without marks, every key may be."""
    fields = model.model_fields if model else {}
    marked = {name for name, field in fields.items() if field_extra(field).get("secret")}
    return bool(marked) and any(key in (name, field.alias) and name not in marked for name, field in fields.items())


def field_extra(field: Any) -> dict[str, Any]:
    """A settings field's metadata (`json_schema_extra`): default_doc, used_by, prompt, secret."""
    return field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}


def describe(
    error: ValidationError, data: Mapping[str, Any], secret_keys: frozenset[str], model: type[BaseModel]
) -> list[str]:
    """One sentence per problem of `model`'s validation: the key, the bad value (unless secret)
    and what would be valid; an unknown key gets the closest known one."""
    aliases = {name: field.alias for name, field in model.model_fields.items() if field.alias}
    top_level = _field_keys(model)
    objects = object_models(model)
    nested = {name: _field_keys(child) for name, child in objects.items()}
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        kind, ctx, value = item["type"], item.get("ctx") or {}, item.get("input")
        if ctx.get("key"):
            loc = (*loc, ctx["key"])
        key = _key_name(loc, aliases)
        secret = bool(loc) and str(loc[0]) in secret_keys
        shown = "" if secret or value is None else f" {_shown(value)}"
        if kind == "labelstudio" and ctx.get("shown", _UNSHOWN) is not _UNSHOWN:
            # An entry of a list: `key[1]: 'entry' what is wrong with it`.
            entry = "" if secret or not ctx.get("show_value") else f" {_shown(ctx['shown'])}"
            text = f"{key}:{entry} {item['msg']}"
        elif kind == "labelstudio":
            text = f"{key}{shown if ctx.get('show_value') and not secret else ':'} {item['msg']}"
        elif kind == "missing":
            text = f"{key}: is required"
        elif kind == "extra_forbidden" and len(loc) == 1 and str(loc[0]).startswith(f"{NAMESPACE}:"):
            meant = str(loc[0])[len(NAMESPACE) + 1 :]
            text = f"{key}: is not a setting: a key is <namespace>:<name> with one ':'; did you mean {meant}?"
        elif kind == "extra_forbidden":
            parent = str(loc[0]) if len(loc) > 1 else None
            known = nested.get(parent, []) if parent else [k for k in top_level if ":" not in k]
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            elsewhere = [name for name, keys in nested.items() if name != parent and str(loc[-1]) in keys]
            if elsewhere and not close:  # e.g. an S3-compatible endpoint written into the AWS object
                hint = f"it is a setting of {', '.join(f'{NAMESPACE}:{name}' for name in elsewhere)}; "
            text = f"{key}: is not a setting; {hint}known keys are {', '.join(known)}"
        elif kind == "literal_error":
            text = f"{key}{shown} must be one of {ctx.get('expected')}"
        elif kind in _WANTED:
            text = f"{key}{shown} must be {_WANTED[kind]}, not {type_name(value)}"
        elif kind in ("bool_parsing", "int_parsing", "int_from_float"):
            text = f"{key}{shown} must be {'true or false' if kind == 'bool_parsing' else 'a whole number'}"
        else:
            text = f"{key}{shown}: {item['msg'][:1].lower()}{item['msg'][1:]}"
        guarded = not (len(loc) > 1 and _holds_no_secret(objects.get(str(loc[0])), str(loc[1])))
        if kind == "labelstudio" and secret and guarded and _repeats_part_of(item["msg"], data.get(str(loc[0]))):
            # The fix would spell out (part of) the secret value, e.g. a corrected origin.
            text = (
                f"{key}: is not valid; the details would repeat part of its value, which is secret: "
                f"check it with `pulumi config get {_key_name(loc[:1], aliases)}`"
            )
        problems.append(text)
    return problems


def _repeats_part_of(message: str, value: Any) -> bool:
    """Whether `message` contains any four characters in a row of a text inside `value`."""
    lowered = message.lower()
    pending: list[Any] = [value]
    texts: list[str] = []
    while pending and len(texts) < 1000:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            texts.append(item.lower()[:2000])
    return any(text[i : i + 4] in lowered for text in texts for i in range(len(text) - 3))


_WANTED = {
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "bool_type": "true or false",
    "int_type": "a whole number",
}
