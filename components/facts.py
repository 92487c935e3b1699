"""The one seam between the clouds and the shared parts.

Every storage component, whatever cloud and access mode, ends in the same few facts Label
Studio needs. The Kubernetes release and the Docker Compose outputs consume only these, so
they never learn which cloud they serve.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

import pulumi
from typing_extensions import NotRequired

from components.label_studio import confidential


class TrustedWorkloads(TypedDict):
    """The Kubernetes workloads a storage component lets reach its storage, and nothing else."""

    namespace: str
    """Namespace the workloads run in."""
    service_accounts: dict[str, str]
    """Their service accounts, each under a short stable label that names the resources for it (e.g. app)."""
    name: NotRequired[str]
    """What the workloads are called (e.g. the Helm release), shown in descriptions."""


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

    def _conclude(self, storage: StorageFacts, access: AccessResult | None = None) -> None:
        """Sets `facts` to `storage` with `access` added (its exports after the storage's, its ready
        resources after the storage's), sets `connection`, and registers every public output."""
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
        self.register_outputs(self._public_outputs())

    def _public_outputs(self) -> dict[str, Any]:
        """Every output the package's schema lists (the class's annotated public attributes) that
        this instance has, under its schema name, as pulumi-eks registers them: declaring an
        output is the one edit that adds it."""
        return {
            _schema_name(name): value
            for name in type(self).__annotations__
            if not name.startswith("_") and (value := getattr(self, name, None)) is not None
        }

    @property
    def facts(self) -> StorageFacts:
        """What Label Studio needs from this storage, for the release or env.list."""
        return self._facts


def _schema_name(attribute: str) -> str:
    """`bucket_arn` as the schema names it, `bucketArn` (the SDK's camel case)."""
    head, *rest = attribute.split("_")
    return head + "".join(word.capitalize() for word in rest)
