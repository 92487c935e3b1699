"""The label-studio-storage policy pack: `pulumi preview --policy-pack policy`.

Every rule lives in the rules package as a plain function, so the credential-free plan and the tests
run exactly what this pack enforces.
"""

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyPack, StackValidationArgs, StackValidationPolicy
from pulumi_policy.proxy import UnknownValueError

# However the CLI starts the pack, the rules package beside this file must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from rules import POLICIES, UNKNOWN, Policy, Resource


def _plain(value: Any) -> Any:
    """Props as plain data, with values unknown during a preview as UNKNOWN.

    The pack's proxies raise on an unknown value, which would skip a whole rule for a new
    bucket whose name is not known yet; the rules read UNKNOWN as "not known yet" instead,
    and None (a property the engine sends as null) as "not set".
    """
    if isinstance(value, Mapping):
        plain = {}
        for key in value:
            try:
                plain[key] = _plain(value[key])
            except UnknownValueError:
                plain[key] = UNKNOWN
        return plain
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items = []
        for index in range(len(value)):
            try:
                items.append(_plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def _resources(args: StackValidationArgs) -> list[Resource]:
    return [
        Resource(
            type=r.resource_type,
            name=r.name,
            props=_plain(r.props),
            protect=bool(r.opts.protect),
            secret_outputs=tuple(r.opts.additional_secret_outputs or ()),
            urn=r.urn,
            property_dependencies={key: [d.urn for d in deps] for key, deps in r.property_dependencies.items()},
            dependencies=[d.urn for d in r.dependencies],
        )
        for r in args.resources
    ]


def _stack_policy(policy: Policy) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation) -> None:  # type: ignore[no-untyped-def]
        for name, message in policy.check(_resources(args)):
            report_violation(f"{name} {message}")

    return StackValidationPolicy(
        name=policy.name,
        description=policy.description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


PolicyPack(name="label-studio-storage", policies=[_stack_policy(policy) for policy in POLICIES])
