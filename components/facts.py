"""The one seam between the clouds and the shared parts.

Every storage component, whatever cloud and access mode, ends in the same few facts Label
Studio needs. The Kubernetes release and the Docker Compose outputs consume only these, so
they never learn which cloud they serve.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

import pulumi
from typing_extensions import NotRequired

from components.arguments import STORAGE_MODES, ArgumentProblem, about, force_destroy_problem
from components.label_studio import confidential
from components.names import folder_problem, origin_problem

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


class CredentialsSecretRef(TypedDict):
    """An existing Kubernetes Secret, in the release's namespace, that holds a storage's credentials."""

    name: str
    """The Secret's name."""
    keys: dict[str, str]
    """The Secret's key for each credential, by its name in StorageConnection's credentials (access_key_id, ...)."""


class TrustedAuthorityRef(TypedDict):
    """A private certificate authority Label Studio's S3 client must trust to reach the storage."""

    kind: str
    """Where its PEM certificate is: configMap or secret (in the release's namespace), or file (on the Docker host)."""
    name: str
    """The ConfigMap's or Secret's name, or the file's path."""
    key: str
    """The ConfigMap's or Secret's key holding the certificate (unused for a file)."""


class StorageConnection(TypedDict):
    """What Label Studio needs to reach a storage component's storage, whatever the cloud."""

    storage_type: str
    """Label Studio's storage type: s3 (S3 and compatible stores), gcs or azure."""
    settings: dict[str, str]
    """Label Studio's storage settings: bucket (container on Azure), folder, region or project."""
    credentials: NotRequired[dict[str, pulumi.Input[str]]]
    """Credentials Label Studio needs (access modes that hand out keys): access_key_id and
    secret_access_key, credentials_json, or account_name and account_key. Secret."""
    service_account_annotations: NotRequired[dict[str, pulumi.Input[str]]]
    """Annotations Label Studio's service accounts need, e.g. the IRSA role ARN."""
    credentials_secret: NotRequired[CredentialsSecretRef]
    """Credentials Label Studio reads from a Secret that exists already (instead of `credentials`)."""
    trusted_authority: NotRequired[TrustedAuthorityRef]
    """A private authority that signed the storage server's certificate, for Label Studio to trust."""


@dataclass(frozen=True)
class StorageFacts:
    """What Label Studio needs from a storage, in Label Studio's terms and no chart's.

    Settings and credentials go by the names in components/label_studio.py's STORAGE_KEYS,
    which alone knows where the chart and env.list expect each.
    """

    storage_type: str  # "s3", "gcs" or "azure"
    settings: Mapping[str, Any]  # non-secret: bucket, folder, region, project, container
    # Pulumi secrets, but for the values STORAGE_KEYS marks not confidential (an Azure account's name).
    credentials: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    service_account_annotations: Mapping[str, Any] = field(default_factory=dict)
    credentials_secret: CredentialsSecretRef | None = None  # credentials in a Secret that exists already
    trusted_authority: TrustedAuthorityRef | None = None  # a private authority the storage's certificate is from
    compose_outputs: Mapping[str, Any] = field(default_factory=dict)  # extra secret outputs for compose
    exports: Mapping[str, Any] = field(default_factory=dict)  # cloud-specific stack outputs
    ready: Sequence[pulumi.Resource] = ()  # what must exist before Label Studio starts

    def connection(self) -> StorageConnection:
        """These facts as the typed value other languages pass to the release (`ready` aside)."""
        connection = StorageConnection(
            storage_type=self.storage_type,
            settings=dict(self.settings),
            service_account_annotations=dict(self.service_account_annotations),
        )
        if self.credentials:
            connection["credentials"] = dict(self.credentials)
        if self.credentials_secret:
            connection["credentials_secret"] = self.credentials_secret
        if self.trusted_authority:
            connection["trusted_authority"] = self.trusted_authority
        return connection

    @staticmethod
    def from_connection(connection: StorageConnection, ready: Sequence[pulumi.Resource] = ()) -> "StorageFacts":
        """The facts a release works from, given a connection (from another language, or `connection()`)."""
        return StorageFacts(
            storage_type=connection["storage_type"],
            settings=dict(connection["settings"]),
            credentials={
                name: pulumi.Output.secret(value)
                if confidential(connection["storage_type"], name)
                else pulumi.Output.from_input(value)
                for name, value in (connection.get("credentials") or {}).items()
            },
            service_account_annotations=dict(connection.get("service_account_annotations") or {}),
            credentials_secret=connection.get("credentials_secret") or None,
            trusted_authority=connection.get("trusted_authority") or None,
            ready=ready,
        )


@dataclass(frozen=True)
class AccessResult:
    """What an access mode decides for Label Studio, beside what the storage itself gives: the
    StorageFacts fields it adds to, typed, so no mode hands back a dict to be split."""

    ready: Sequence[pulumi.Resource | None] = ()  # what must exist before Label Studio starts; None is skipped
    exports: Mapping[str, Any] = field(default_factory=dict)  # stack outputs of the mode (roleArn, userName...)
    credentials: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)  # keys it hands out; secret
    service_account_annotations: Mapping[str, Any] = field(default_factory=dict)
    compose_outputs: Mapping[str, Any] = field(default_factory=dict)  # extra secret outputs for Docker Compose


class StorageComponent(pulumi.ComponentResource):
    """What every storage component is: a component whose `facts` tell Label Studio how to reach it.

    A subclass ends its constructor with `_conclude`, the one place that joins what the storage
    gives with what its access mode decided, keeps the connection other languages read, and
    registers its outputs.
    """

    _facts: StorageFacts
    connection: StorageConnection

    def _conclude(self, storage: StorageFacts, outputs: Mapping[str, Any], access: AccessResult | None = None) -> None:
        """Sets `facts` to `storage` with `access` added (its exports after the storage's, its ready
        resources after the storage's), sets `connection`, and registers `outputs`."""
        access = access or AccessResult()
        self._facts = replace(
            storage,
            exports={**storage.exports, **access.exports},
            ready=[*storage.ready, *(ready for ready in access.ready if ready is not None)],
            credentials={**storage.credentials, **access.credentials},
            service_account_annotations={**storage.service_account_annotations, **access.service_account_annotations},
            compose_outputs={**storage.compose_outputs, **access.compose_outputs},
        )
        self.connection = self._facts.connection()
        self.register_outputs(dict(outputs))

    @property
    def facts(self) -> StorageFacts:
        """What Label Studio needs from this storage, for the release or env.list."""
        return self._facts
