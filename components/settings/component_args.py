"""The stack's settings as the components' arguments: the one mapping the program uses.

The settings model (components/settings/model.py) stays the stack's contract; here it becomes what
each component takes, so the components never see the whole stack. The cloud-specific part
lives with each cloud (`components/<cloud>/stack_args.py`, found through the registry).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from components.facts import StorageConnection, TrustedWorkloads
from components.label_studio import service_account_names
from components.settings.cloud import StackValue
from components.settings.model import Settings

if TYPE_CHECKING:
    import pulumi

    from components.kubernetes.release import LabelStudioReleaseArgs


def trusted_workloads(settings: Settings) -> TrustedWorkloads:
    """The chart's service accounts in the release's namespace: the only workloads the storage trusts."""
    return TrustedWorkloads(
        namespace=settings.namespace,
        service_accounts=service_account_names(settings.release, settings.enterprise),
        name=settings.release,
    )


def setting_input(
    settings: Settings, value: StackValue, key: str, rule: Callable[[str], str | None]
) -> pulumi.Input[str]:
    """A setting as a component's argument: as written, or, given as `{fromStack, output}`, that
    output of the other stack, read when this stack runs and held to the rule the stack file's
    text is held to (`key` names the setting in the message)."""
    if isinstance(value, str):
        return value
    import pulumi

    def checked(found: Any) -> str:
        if not isinstance(found, str) or not found:
            raise pulumi.RunError(
                f"{key}: stack {value.stack} has no output {value.output} holding text; "
                f"`pulumi stack output --stack {value.stack}` lists what it exports"
            )
        problem = rule(found)
        if problem:
            raise pulumi.RunError(f"{key}: output {value.output} of stack {value.stack} {problem}")
        return found

    output: pulumi.Output[Any] = settings.stack_reference(value.stack).get_output(value.output)
    return output.apply(checked)


def storage_mode_args(settings: Settings) -> dict[str, Any]:
    """The arguments every storage component takes about storage that may exist already:
    `storage` (create, existing or adopt) and `manage_cors` (declare the CORS rules)."""
    return {"storage": settings.storage, "manage_cors": bool(settings.manage_cors)}


def storage_args(settings: Settings, backend_args: Any) -> Any:
    """The chosen cloud's storage arguments (`backend_args` is the registered cloud's mapping)."""
    return backend_args(settings, trusted_workloads(settings))


def release_args(settings: Settings, storage: StorageConnection, secret_helm_values: bool) -> LabelStudioReleaseArgs:
    """The release's arguments; `storage` is the storage component's connection."""
    args: LabelStudioReleaseArgs = {
        "storage": storage,
        "namespace": settings.namespace,
        "create_namespace": settings.create_namespace,
        "release": settings.release,
        "chart_version": settings.chart_version,
        "enterprise": settings.enterprise,
        "helm_values": settings.helm_values,
        "secret_helm_values": secret_helm_values,
    }
    if settings.chart_repository:
        args["chart_repository"] = settings.chart_repository
    if settings.chart_path:
        args["chart_path"] = settings.chart_path
    if settings.credentials and storage.get("credentials"):  # not for keys in a Secret that exists already
        args["credentials"] = settings.credentials
    if settings.host:
        args["host"] = settings.host
    return args
