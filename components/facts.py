"""The one seam between the clouds and the shared parts.

Every storage component, whatever cloud and access mode, ends in the same few facts Label
Studio needs. The Kubernetes release and the Docker Compose outputs consume only these, so
they never learn which cloud they serve.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi
from typing_extensions import NotRequired

from components.settings import folder_problem, origin_problem

# What every cloud's CORS rule allows: Label Studio's browser reads, uploads and deletes.
CORS_METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"]
CORS_MAX_AGE_SECONDS = 3600


def storage_tags(stack: str) -> dict[str, str]:
    """The tags (labels on Google Cloud) every storage resource carries."""
    return {"app": "label-studio", "pulumi-stack": stack, "managed-by": "pulumi"}


class TrustedWorkloads(TypedDict):
    """The Kubernetes workloads a storage component lets reach its storage, and nothing else."""

    namespace: str
    """Namespace the workloads run in."""
    service_accounts: dict[str, str]
    """Their service accounts, each under a short stable label that names the resources for it (e.g. app)."""
    name: NotRequired[str]
    """What the workloads are called (e.g. the Helm release), shown in descriptions."""


def storage_problems(
    args: Mapping[str, Any],
    name_key: str,
    name_problem: Callable[[str], str | None],
    access_modes: Sequence[str] = (),
    trusting_modes: Sequence[str] = (),
) -> list[str]:
    """What every storage component checks in its arguments: the access mode, the storage's
    name, folder and CORS origins, and workloads to trust where the access mode needs them."""
    problems = []
    access = args.get("access")
    if access_modes and access not in access_modes:
        problems.append(f"access {access!r} is not an access mode; use {', '.join(access_modes)}")
    for key, problem in ((name_key, name_problem), ("folder", folder_problem)):
        found = problem(str(args.get(key, "")))
        if found:
            problems.append(f"{key} {args.get(key)!r} {found}")
    problems += [f"corsOrigins {o!r} {p}" for o in args.get("cors_origins", []) if (p := origin_problem(o))]
    if access in trusting_modes and not (args.get("trusted_workloads") or {}).get("service_accounts"):
        problems.append(f"access {access} needs trusted_workloads: the namespace and service accounts to trust")
    return problems


def refuse_problems(component: str, name: str, problems: Sequence[str]) -> None:
    """Stop before declaring anything from arguments a component cannot build, naming each problem."""
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise ValueError(f"{component} {name!r} cannot be built from its arguments:\n{listed}")


@dataclass(frozen=True)
class Credential:
    """A secret Label Studio needs, and where each consumer expects it."""

    chart_key: str  # key under global.persistence.config.<type>, e.g. "accessKey"
    secret_key: str  # key inside the Kubernetes Secret we create, e.g. "accesskey"
    value: pulumi.Output[str]  # always a Pulumi secret


class StorageCredential(TypedDict):
    """A secret Label Studio needs, and where the chart expects it."""

    chart_key: str
    """Key under global.persistence.config.<type>, e.g. accessKey."""
    secret_key: str
    """Key inside the Kubernetes Secret that holds it, e.g. accesskey."""
    value: pulumi.Input[str]
    """The credential. Secret."""


class StorageConnection(TypedDict):
    """What Label Studio needs to reach a storage component's storage, whatever the cloud."""

    persistence_type: str
    """Label Studio's storage type: s3, gcs or azure."""
    persistence_config: dict[str, str]
    """Non-secret keys of global.persistence.config.<type>: bucket, folder and the like."""
    credentials: NotRequired[list[StorageCredential]]
    """Credentials Label Studio needs (access modes that hand out keys). Secret values."""
    service_account_annotations: NotRequired[dict[str, pulumi.Input[str]]]
    """Annotations Label Studio's service accounts need, e.g. the IRSA role ARN."""
    environment: NotRequired[dict[str, str]]
    """Environment variables Label Studio needs beside its persistence settings."""


@dataclass(frozen=True)
class StorageFacts:
    persistence_type: str  # "s3", "gcs" or "azure": global.persistence.type
    persistence_config: Mapping[str, Any]  # non-secret keys of global.persistence.config.<type>
    credentials: Sequence[Credential] = ()
    service_account_annotations: Mapping[str, Any] = field(default_factory=dict)
    # Variables Label Studio needs that the chart has no persistence key for (non-secret), given to
    # every container and written to env.list, e.g. the S3 signature version.
    environment: Mapping[str, Any] = field(default_factory=dict)
    env_list: Sequence[tuple[str, Any]] = ()  # Docker Compose env.list lines, in order
    compose_outputs: Mapping[str, Any] = field(default_factory=dict)  # extra secret outputs for compose
    exports: Mapping[str, Any] = field(default_factory=dict)  # cloud-specific stack outputs
    ready: Sequence[pulumi.Resource] = ()  # what must exist before Label Studio starts

    def connection(self) -> StorageConnection:
        """These facts as the typed value other languages pass to the release (`ready` aside)."""
        connection = StorageConnection(
            persistence_type=self.persistence_type,
            persistence_config=dict(self.persistence_config),
            service_account_annotations=dict(self.service_account_annotations),
            environment=dict(self.environment),
        )
        if self.credentials:
            connection["credentials"] = [
                StorageCredential(chart_key=c.chart_key, secret_key=c.secret_key, value=c.value)
                for c in self.credentials
            ]
        return connection

    @staticmethod
    def from_connection(connection: StorageConnection, ready: Sequence[pulumi.Resource] = ()) -> "StorageFacts":
        """The facts a release works from, given a connection (from another language, or `connection()`)."""
        return StorageFacts(
            persistence_type=connection["persistence_type"],
            persistence_config=dict(connection["persistence_config"]),
            credentials=[
                Credential(chart_key=c["chart_key"], secret_key=c["secret_key"], value=pulumi.Output.secret(c["value"]))
                for c in connection.get("credentials") or []
            ],
            service_account_annotations=dict(connection.get("service_account_annotations") or {}),
            environment=dict(connection.get("environment") or {}),
            ready=ready,
        )
