"""How a component checks its arguments and refuses them: the checks every storage component
shares, the refusal the CLI prints without a traceback, and arguments given as outputs checked
once they resolve."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi

from components.arguments import STORAGE_MODES, ArgumentProblem, about, force_destroy_problem
from components.names import folder_problem, origin_problem


def storage_problems(
    args: Mapping[str, Any],
    name_key: str,
    name_problem: Callable[[str], str | None],
    access_modes: Sequence[str] = (),
    trusting_modes: Sequence[str] = (),
) -> list[ArgumentProblem]:
    """What every storage component checks in its arguments: the access mode, the storage mode,
    the storage's name, folder and CORS origins, forceDestroy with storage it did not create, and
    workloads to trust where the access mode needs them. Each problem is about one argument, by
    its name in the package's schema."""
    problems: list[ArgumentProblem] = []
    storage = args.get("storage", "create")
    if storage not in STORAGE_MODES:
        problems.append(about("storage", f"{storage!r} is not a storage mode; use {', '.join(STORAGE_MODES)}"))
    access = args.get("access")
    if access_modes and access not in access_modes:
        problems.append(about("access", f"{access!r} is not an access mode; use {', '.join(access_modes)}"))
    for key, problem in ((name_key, name_problem), ("folder", folder_problem)):
        found = problem(str(args.get(key, "")))
        if found:
            problems.append(about(key, f"{args.get(key)!r} {found}"))
    problems += [about("corsOrigins", f"{o!r} {p}") for o in args.get("cors_origins", []) if (p := origin_problem(o))]
    found = force_destroy_problem(str(storage), args.get("force_destroy"))
    if found:
        problems.append(about("forceDestroy", found))
    if access in trusting_modes and not (args.get("trusted_workloads") or {}).get("service_accounts"):
        problems.append(
            about("trustedWorkloads", f"access {access} needs the namespace and service accounts to trust", ": ")
        )
    return problems


class ArgumentsRefused(pulumi.RunError):
    """A component's arguments it cannot build from: a RunError, which the CLI prints as a plain
    message without a Python traceback; `problems` each name the argument (schema name) it is about."""

    def __init__(self, component: str, name: str, problems: Sequence[ArgumentProblem]) -> None:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{component} {name!r} cannot be built from its arguments:\n{listed}")
        self.component, self.name, self.problems = component, name, list(problems)


def refuse_problems(component: str, name: str, problems: Sequence[ArgumentProblem]) -> None:
    """Stop before declaring anything from arguments a component cannot build, naming each problem."""
    if problems:
        raise ArgumentsRefused(component, name, problems)


def holds_output(value: Any) -> bool:
    """Whether `value` is, or holds (in a list or dict), an output whose value is not known yet."""
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, dict):
        return any(holds_output(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(holds_output(item) for item in value)
    return False


def derived(value: Any, derive: Callable[[Any], Any]) -> Any:
    """`derive(value)` for a plain value (as before outputs were taken), the same derivation once an
    output resolves."""
    return value.apply(derive) if isinstance(value, pulumi.Output) else derive(value)


def own_list(values: Any) -> Any:
    """The values as a list of their own, so a resource's inputs never share the caller's list."""
    return derived(values, list)


def adopt_needs_plain(args: Mapping[str, Any], imported_by: Mapping[str, tuple[str, str]]) -> list[ArgumentProblem]:
    """Storage adopt imports by ids the engine needs before the deployment starts, so the names they
    hold must be plain: a problem for each of `imported_by` (Python name: (schema name, what the
    import uses it for)) given as an output. A component names this check `plain_problems`, which
    the package runs before constructing it."""
    if args.get("storage") != "adopt":
        return []
    return [
        about(
            schema_name,
            f"storage adopt imports {imports}, which must be known before the deployment starts; give it as a "
            "plain string, not another resource's output",
            ": ",
        )
        for key, (schema_name, imports) in imported_by.items()
        if holds_output(args.get(key))
    ]


def checked_arguments(
    component: str,
    name: str,
    args: Mapping[str, Any],
    problems_of: Callable[[Any], list[ArgumentProblem]],
    computed: Mapping[str, str],
) -> dict[str, Any]:
    """`args`, checked: plain arguments now (as before), arguments given as outputs once they resolve.

    `computed` names the arguments a program may compute from other resources (Python name:
    schema name). Those given as outputs are left out of the check made now (so are the problems
    that name them); then all of `computed` are replaced by outputs that resolve only after the
    whole check has passed on the resolved values, failing the deployment with the same ArgumentsRefused otherwise:
    every resource input built from them waits for the check.
    """
    deferred = {key for key in computed if key in args and holds_output(args[key])}
    known = {key: value for key, value in args.items() if key not in deferred}
    later = {computed[key] for key in deferred}
    refuse_problems(component, name, [p for p in problems_of(known) if p.argument not in later])
    if not deferred:
        return dict(args)

    def check(values: dict[str, Any]) -> dict[str, Any]:
        refuse_problems(component, name, problems_of({**args, **values}))
        return values

    # All the computed arguments wait for the check, the plain ones too: whatever is built from any
    # of them (a storage's name, which every component outputs) reports a refusal.
    present = [key for key in computed if key in args]
    resolved = pulumi.Output.from_input({key: args[key] for key in present}).apply(check)

    def one(key: str) -> pulumi.Output[Any]:
        return resolved.apply(lambda values: values[key])

    return {**args, **{key: one(key) for key in present}}
