"""What a cloud's settings module (`components/<cloud>/settings.py`) provides: its object's
model and, in one `CloudSettings`, everything the stack contract needs to know about the cloud
(access modes, the provider key, the bucket rules), which components/settings/model.py turns into
the stack's model. Importing it loads no cloud SDK.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from components.arguments import STORAGE_MODES
from components.names import output_name_problem, stack_name_problem
from components.settings.problems import checked, problem, type_name


class Model(BaseModel):
    """Every settings model: camelCase keys, unknown keys refused, values frozen once read."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


@dataclass(frozen=True)
class StackOutput:
    """A setting read from another stack's outputs when this stack runs (cluster facts often live
    in the cluster's own stack): `{fromStack: acme/eks/prod, output: oidcProviderArn}`."""

    stack: str
    output: str


# No braces: a message is a pydantic template, where they would stay doubled.
REFERENCE_FORM = "(an object of fromStack: <organization>/<project>/<stack> and output: <output name>)"
_REFERENCE_KEYS = {"fromStack": stack_name_problem, "output": output_name_problem}


def text_or_stack_output(value: Any) -> str | StackOutput:
    """A setting given as text, or as a reference to another stack's output, checked for shape."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise problem(f"must be text or a stack output reference {REFERENCE_FORM}, not {type_name(value)}")
    for key in value:
        if key not in _REFERENCE_KEYS:
            raise problem(f"is not a key of a stack output reference; write {REFERENCE_FORM}", str(key))
    for key, rule in _REFERENCE_KEYS.items():
        if key not in value:
            raise problem(f"is required in a stack output reference; write {REFERENCE_FORM}", key)
        given = value[key]
        checked(rule(given) if isinstance(given, str) else f"must be text, not {type_name(given)}", given, key)
    return StackOutput(stack=value["fromStack"], output=value["output"])


# A setting that may be read from another stack's outputs.
StackValue = Annotated[str | StackOutput, PlainValidator(text_or_stack_output)]


def held_to(rule: Callable[[str], str | None], value: StackValue | None) -> StackValue | None:
    """`value`, refused with `rule`'s reason when it is text; a stack output is held to `rule`
    when it is read (components/settings/component_args.py)."""
    return checked(rule(value) if isinstance(value, str) else None, value)


@dataclass(frozen=True)
class RequiredSetting:
    """A setting of the cloud's object that one access mode cannot do without."""

    name: str  # the model's field name, e.g. oidc_provider_arn (its key is the camelCase alias)
    what: str  # what to set it to, e.g. "the EKS cluster's name"


@dataclass(frozen=True)
class ProviderKey:
    """The cloud's provider setting the stack needs, e.g. `aws:region`."""

    key: str  # as the stack file writes it
    field_name: str  # the stack model's field for it, e.g. aws_region
    field: FieldInfo  # its Field(...): description and prompt for the settings reference
    how_to_set: str  # the fix when it is missing, e.g. "run `pulumi config set aws:region <region>`"
    problem: Callable[[str], str | None]  # why a value is refused, or None
    # Where the provider looks when the stack does not set it; the program must agree.
    environment: tuple[str, ...] = ()
    # The values the installed provider SDK knows (its list of regions), or None where it ships none;
    # a value outside it is warned about, not refused.
    known: Callable[[], frozenset[str] | None] | None = None


@dataclass(frozen=True)
class CloudSettings:
    """One cloud's part of the stack contract."""

    model: type[Model]  # the `labelstudio:<cloud>` object
    field: FieldInfo  # the object's Field(...) in the stack model: description and default text
    title: str  # how docs name the cloud, e.g. "Google Cloud"
    access_modes: tuple[str, ...]  # the first is the default on Kubernetes
    keyed_access: str  # the mode that hands out keys: the only one Docker Compose can use
    bucket_problem: Callable[[str], str | None]  # why a bucket (container) name is refused, or None
    provider_key: ProviderKey | None = None
    # Why the cloud has only the modes it has, when that is not obvious.
    access_why: str | None = None
    required_for_access: dict[str, RequiredSetting] = dataclasses.field(default_factory=dict)
    # Settings of the object that name storage which exists already (labelstudio:storage existing, adopt).
    required_for_existing: tuple[RequiredSetting, ...] = ()
    # Why `forceDestroy` does not apply to this cloud, when it does not.
    force_destroy_problem: str | None = None
    # Checks of the object against the provider key's value: (key in the object, message) or None.
    object_problem: Callable[[Any, str | None], tuple[str, str] | None] | None = None
    # Checks of the object against the shared settings validated before it (target, access,
    # credentials, storage, ...) and whether the stack file holds the object as a secret:
    # (key in the object, message) or None.
    settings_problem: Callable[[Any, Mapping[str, Any], bool], tuple[str, str] | None] | None = None
    # What the plan must say about the object that is not wrong for sure: (object, target) -> warnings.
    settings_warnings: Callable[[Any, str], list[str]] | None = None
    # The `labelstudio:storage` modes the cloud supports; the first is the default.
    storage_modes: tuple[str, ...] = STORAGE_MODES
    # Why the cloud has only the storage modes it has, when it lacks some.
    storage_why: str | None = None
    # Why `manageCors` cannot be true on this cloud, when it cannot.
    manage_cors_problem: str | None = None
