"""Cloud Storage for Label Studio: a hardened bucket, one Google service account, and one way to act as it.

The service account holds the only grant on the bucket, so whichever access mode reaches it
(Workload Identity or a key) gets exactly that bucket and nothing else in the project.
"""

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Any, TypedDict, cast

import pulumi
import pulumi_gcp as gcp
from typing_extensions import NotRequired

from components.argument_checks import (
    adopt_needs_plain,
    checked_arguments,
    holds_output,
    own_list,
    refuse_problems,
    storage_problems,
)
from components.arguments import ArgumentProblem, about
from components.facts import AccessResult, StorageComponent, StorageConnection, StorageFacts, TrustedWorkloads
from components.gcp.adoption import bucket_import_id
from components.gcp.settings import CLOUD, gcs_bucket_problem
from components.storage_defaults import CORS_MAX_AGE_SECONDS, CORS_METHODS, storage_tags

# Today's type token: stacks created before the package keep their URNs (no alias needed).
TYPE_TOKEN = "labelstudio:gcp:Storage"
ACCESS_MODES = CLOUD.access_modes

CORS_RESPONSE_HEADERS = ["Content-Type", "Access-Control-Allow-Origin"]
OBJECT_ROLE = "roles/storage.objectAdmin"
# Label Studio signs its URLs through IAM signBlob when its credentials hold no private key
# (Workload Identity); signing as itself needs this role on itself.
SIGNING_ROLE = "roles/iam.serviceAccountTokenCreator"
WORKLOAD_IDENTITY_ROLE = "roles/iam.workloadIdentityUser"
KMS_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
WORKLOAD_IDENTITY_ANNOTATION = "iam.gke.io/gcp-service-account"

SERVICE_ACCOUNT_ID_LIMIT = 30
_SERVICE_ACCOUNT_PREFIX = "ls-"
_SERVICE_ACCOUNT_HASH_LENGTH = 6
_NOT_ID_CHARACTERS = re.compile(r"[^a-z0-9-]+")
_NOT_LABEL_CHARACTERS = re.compile(r"[^a-z0-9_-]+")
LABEL_LIMIT = 63
# Arguments a program may compute from other resources: Python name, schema name.
COMPUTED_ARGUMENTS = {"bucket": "bucket", "project": "project", "location": "location", "cors_origins": "corsOrigins"}


def default_service_account_id(release: str, stack: str) -> str:
    """A valid, stable service account id for this stack's release, unique within the project.

    Ids are 6-30 characters of `^[a-z]([-a-z0-9]*[a-z0-9])$` and unique per project, where
    several stacks may share a release name: `ls-<release, cut to fit>-<hash of stack/release>`.
    The prefix makes it start with a letter whatever the release starts with; the hash ends it
    with a letter or digit and keeps stacks apart. It depends only on the two names, so it never
    changes under a stack.
    """
    digest = hashlib.sha256(f"{stack}/{release}".encode()).hexdigest()[:_SERVICE_ACCOUNT_HASH_LENGTH]
    room = SERVICE_ACCOUNT_ID_LIMIT - len(_SERVICE_ACCOUNT_PREFIX) - 1 - _SERVICE_ACCOUNT_HASH_LENGTH
    readable = _NOT_ID_CHARACTERS.sub("-", release.lower())[:room].strip("-")
    return f"{_SERVICE_ACCOUNT_PREFIX}{readable}-{digest}" if readable else f"{_SERVICE_ACCOUNT_PREFIX}{digest}"


def label_value(text: str) -> str:
    """`text` as a Google Cloud label value (lowercase letters, digits, '_' and '-', at most 63)."""
    return _NOT_LABEL_CHARACTERS.sub("-", text.lower())[:LABEL_LIMIT]


def workload_identity_member(project: str, namespace: str, service_account: str) -> str:
    """The IAM member for one Kubernetes service account of a GKE cluster in `project`."""
    return f"serviceAccount:{project}.svc.id.goog[{namespace}/{service_account}]"


def decode_key_file(private_key: str) -> str:
    """The key file's JSON text; the provider hands it out base64-encoded."""
    return base64.b64decode(private_key).decode()


class GcpStorageArgs(TypedDict):
    """What GcpStorage needs: the bucket, who may reach it and how."""

    bucket: pulumi.Input[str]
    """Name of the Cloud Storage bucket to create (globally unique); may come from another resource,
    except with storage adopt (an import needs the name before the deployment starts)."""
    project: pulumi.Input[str]
    """Google Cloud project id that holds the bucket and the service account; may come from another
    resource (e.g. a project the program creates), except with storage adopt (the import id names it)."""
    access: str
    """How Label Studio acts as the service account: workload-identity or key. Plain: it decides
    which resources exist."""
    cors_origins: pulumi.Input[list[str]]
    """Origins (scheme://host[:port]) whose browsers may read and upload, e.g. Label Studio's URL;
    may come from another resource (each is checked once known)."""
    location: NotRequired[pulumi.Input[str]]
    """Bucket location: a region, dual-region or multi-region (default US); may come from another resource."""
    folder: NotRequired[str]
    """Key prefix Label Studio uses; empty for the whole bucket."""
    retention_days: NotRequired[int]
    """Days an overwritten or deleted object stays recoverable (default 30)."""
    protect: NotRequired[bool]
    """Protect the bucket from deletion and replacement (default true). Plain: a resource option."""
    force_destroy: NotRequired[bool]
    """Let a deletion empty the bucket first, losing its data (default false)."""
    kms_key_name: NotRequired[pulumi.Input[str]]
    """Cloud KMS key for CMEK; Cloud Storage's service agent is granted its use; may come from
    another resource (a key the program creates)."""
    service_account_id: NotRequired[str]
    """Account id of the Google service account; derived from the workloads' name and the stack when
    absent. Plain: the account's identity, which grants elsewhere name; a new id replaces the account."""
    trusted_workloads: NotRequired[TrustedWorkloads]
    """The Kubernetes service accounts that may act as the service account (access workload-identity).
    Plain: each service account names a resource."""
    cluster_project: NotRequired[pulumi.Input[str]]
    """Project of the GKE cluster whose workload identity pool the workloads belong to; the bucket's when absent."""
    storage: NotRequired[str]
    """create (default); existing: use the bucket as is, declaring only access; adopt: import it, then
    harden it. Plain: it decides which resources exist."""
    manage_cors: NotRequired[bool]
    """Replace the bucket's CORS with the origins' rule (default: true only when creating). Plain: it
    decides whether the bucket's CORS is declared."""


def gcp_storage_problems(args: GcpStorageArgs) -> list[ArgumentProblem]:
    """What in `args` GcpStorage cannot build, each naming the argument and the fix."""
    problems = storage_problems(args, "bucket", gcs_bucket_problem, ACCESS_MODES, ("workload-identity",))
    mode = args.get("storage", "create")
    if mode == "existing" and args.get("manage_cors"):
        problems.append(
            about(
                "manageCors",
                "Cloud Storage keeps CORS on the bucket itself, which storage existing leaves alone; "
                "use storage adopt to manage the bucket's CORS",
                ": ",
            )
        )
    return problems


def adopt_problems(args: Mapping[str, Any]) -> list[ArgumentProblem]:
    """Storage adopt imports the bucket by `{project}/{bucket}`."""
    return adopt_needs_plain(
        args,
        {"bucket": ("bucket", "the bucket by its name"), "project": ("project", "the bucket by its project and name")},
    )


class GcpStorage(StorageComponent):
    """The bucket with its hardening inline, a bucket-scoped service account and the chosen access mode.

    The secure defaults live here rather than in settings, so no stack can forget one.
    """

    bucket_name: pulumi.Output[str]
    """Name of the bucket."""
    bucket_url: pulumi.Output[str]
    """gs:// URL of the bucket."""
    service_account_email: pulumi.Output[str]
    """The Google service account that holds the only grant on the bucket."""
    service_account_key_json: pulumi.Output[str] | None
    """The service account's key file (access key). Secret."""
    connection: StorageConnection
    """What Label Studio needs to reach the storage: give it to LabelStudioRelease as `storage`."""
    argument_problems = staticmethod(gcp_storage_problems)
    computed_arguments = COMPUTED_ARGUMENTS
    plain_problems = staticmethod(adopt_problems)
    SECRET_OUTPUTS = ("service_account_key_json",)

    def __init__(self, name: str, args: GcpStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE_TOKEN, name, None, opts)
        mode = args.get("storage", "create")
        refuse_problems("GcpStorage", name, self.plain_problems(args))
        import_id = None
        if mode == "adopt":
            # Taken before the check below turns the computed arguments into outputs: plain, see adopt_problems.
            import_id = bucket_import_id(cast(str, args["project"]), cast(str, args["bucket"]))
        args = cast(
            GcpStorageArgs, checked_arguments("GcpStorage", name, args, self.argument_problems, COMPUTED_ARGUMENTS)
        )
        self._args = args
        self.service_account_key_json = None
        project, folder, bucket_name = args["project"], args.get("folder", ""), args["bucket"]
        kms_key_name, location = args.get("kms_key_name"), args.get("location", "US")
        # A key given as an output is a key: only a plain empty name means none.
        uses_kms = holds_output(kms_key_name) or bool(kms_key_name)
        workloads = args.get("trusted_workloads") or TrustedWorkloads(namespace="", service_accounts={})
        workloads_name = workloads.get("name") or name
        stack = pulumi.get_stack()
        child = pulumi.ResourceOptions(parent=self)
        labels = storage_tags(label_value(stack))

        manage_cors = args.get("manage_cors", mode == "create")
        self.bucket: gcp.storage.Bucket | None = None
        if mode == "existing":
            # Used as is: read, never declared, so no step of this stack can change or delete it.
            existing = gcp.storage.get_bucket_output(
                name=bucket_name, project=project, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            bucket_ref, bucket_url = existing.name, existing.url
            location_out: pulumi.Input[str] = existing.location
        else:
            location_out = location
            if mode == "adopt":
                # A bucket's location is fixed: declare the one it has, so adoption never plans a replacement.
                location_out = gcp.storage.get_bucket_output(
                    name=bucket_name, project=project, opts=pulumi.InvokeOutputOptions(parent=self)
                ).location
            kms_grant = self._kms_grant(name, project, kms_key_name) if uses_kms and kms_key_name is not None else None
            self.bucket = self._declare_bucket(
                name, bucket_name, location_out, labels, manage_cors, kms_key_name, kms_grant, import_id
            )
            bucket_ref, bucket_url = self.bucket.name, self.bucket.url

        account_id = args.get("service_account_id") or default_service_account_id(workloads_name, stack)
        self.service_account = gcp.serviceaccount.Account(
            f"{name}-service-account",
            account_id=account_id,
            project=project,
            display_name=f"Label Studio storage ({stack})"[:100],
            description=pulumi.Output.from_input(bucket_name).apply(
                lambda bucket: f"Label Studio ({stack}, release {workloads_name}): objects in gs://{bucket}"[:256]
            ),
            opts=child,
        )
        bucket_grant = gcp.storage.BucketIAMMember(
            f"{name}-object-admin",
            bucket=bucket_ref,
            role=OBJECT_ROLE,
            member=self.service_account.member,
            opts=child,
        )
        signing_grant = gcp.serviceaccount.IAMMember(
            f"{name}-signs-as-itself",
            service_account_id=self.service_account.name,
            role=SIGNING_ROLE,
            member=self.service_account.member,
            opts=child,
        )

        access = {"workload-identity": self._workload_identity, "key": self._key}[args["access"]]
        access_result = access(name, project, child)

        storage_facts = StorageFacts(
            storage_type="gcs",
            settings={"project": project, "bucket": bucket_name, "folder": folder},
            exports={
                "bucketName": bucket_ref,
                "bucketUrl": bucket_url,
                "serviceAccountEmail": self.service_account.email,
                "project": project,
                "location": location_out,
                "folder": folder,
                "corsOrigins": own_list(args["cors_origins"]),
                **({"kmsKeyName": kms_key_name} if uses_kms else {}),
            },
            ready=[bucket_grant, signing_grant],
        )
        self.bucket_name = pulumi.Output.from_input(bucket_ref)
        self.bucket_url = pulumi.Output.from_input(bucket_url)
        self.service_account_email = self.service_account.email
        self._conclude(storage_facts, access_result)

    def _declare_bucket(
        self,
        name: str,
        bucket_name: pulumi.Input[str],
        location: pulumi.Input[str],
        labels: dict[str, str],
        manage_cors: bool,
        kms_key_name: pulumi.Input[str] | None,
        kms_grant: gcp.kms.CryptoKeyIAMMember | None,
        import_id: str | None,
    ) -> gcp.storage.Bucket:
        """The bucket with its hardening inline: created, or adopted (imported, then hardened).

        Adopted or created, the logical name is the same, so switching between the modes never
        replaces the bucket. An adopted bucket (one with an `import_id`) is always protected.
        """
        args = self._args
        adopt = import_id is not None
        cors: list[gcp.storage.BucketCorArgsDict] = [
            {
                "origins": own_list(args["cors_origins"]),
                "methods": CORS_METHODS,
                "response_headers": CORS_RESPONSE_HEADERS,
                "max_age_seconds": CORS_MAX_AGE_SECONDS,
            }
        ]
        return gcp.storage.Bucket(
            f"{name}-bucket",
            name=bucket_name,
            project=args["project"],
            location=location,
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning={"enabled": True},
            lifecycle_rules=[
                {
                    "action": {"type": "Delete"},
                    "condition": {
                        "days_since_noncurrent_time": args.get("retention_days", 30),
                        "with_state": "ARCHIVED",
                    },
                }
            ],
            cors=cors if manage_cors else None,
            encryption={"default_kms_key_name": kms_key_name} if kms_grant else None,
            force_destroy=args.get("force_destroy", False),
            labels=labels,
            # Data lives in the bucket: protected from deletion. With CMEK, Cloud Storage refuses
            # writes until its service agent may use the key, so the bucket waits for that grant.
            # CORS not managed is left as it is (the provider would otherwise clear it).
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=adopt or args.get("protect", True),
                depends_on=[kms_grant] if kms_grant else None,
                import_=import_id,
                ignore_changes=None if manage_cors else ["cors"],
            ),
        )

    def _kms_grant(
        self, name: str, project: pulumi.Input[str], key_name: pulumi.Input[str]
    ) -> gcp.kms.CryptoKeyIAMMember:
        """Let the project's Cloud Storage service agent use the CMEK key.

        Objects already written stay sealed by the key, so the grant stays with a kept bucket
        (`retain_on_delete` when protected), even after the key setting changes.
        """
        agent = gcp.storage.get_project_service_account_output(project=project, opts=pulumi.InvokeOptions(parent=self))
        return gcp.kms.CryptoKeyIAMMember(
            f"{name}-storage-agent-uses-key",
            crypto_key_id=key_name,
            role=KMS_ROLE,
            member=agent.email_address.apply(lambda email: f"serviceAccount:{email}"),
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=self._args.get("protect", True)),
        )

    # -- access modes: each returns the StorageFacts fields it decides ------------------------------

    def _workload_identity(self, name: str, project: pulumi.Input[str], child: pulumi.ResourceOptions) -> AccessResult:
        """Only the chart's own Kubernetes service accounts may act as the Google service account."""
        workloads = self._args["trusted_workloads"]
        namespace, pool_project = workloads["namespace"], self._args.get("cluster_project")
        # The cluster's pool is the bucket's project's unless it is given; either may be an output.
        pool = pulumi.Output.from_input(project if pool_project is None else pool_project)

        def member(service_account: str) -> pulumi.Output[str]:
            return pool.apply(lambda known: workload_identity_member(known, namespace, service_account))

        bindings = [
            gcp.serviceaccount.IAMMember(
                f"{name}-workload-identity-{component}",
                service_account_id=self.service_account.name,
                role=WORKLOAD_IDENTITY_ROLE,
                member=member(service_account),
                opts=child,
            )
            for component, service_account in workloads["service_accounts"].items()
        ]
        return AccessResult(
            service_account_annotations={WORKLOAD_IDENTITY_ANNOTATION: self.service_account.email}, ready=bindings
        )

    def _key(self, name: str, project: pulumi.Input[str], child: pulumi.ResourceOptions) -> AccessResult:
        """A key file for the service account, for clusters outside GKE and for Docker Compose."""
        key = gcp.serviceaccount.Key(f"{name}-key", service_account_id=self.service_account.name, opts=child)
        # The SDK declares privateKey a secret output, which the engine (not the mock monitor)
        # applies; wrapping keeps the key secret wherever it flows, whatever runs the program.
        key_json: pulumi.Output[str] = pulumi.Output.secret(key.private_key.apply(decode_key_file))
        self.service_account_key_json = key_json
        return AccessResult(
            credentials={"credentials_json": key_json},
            compose_outputs={"serviceAccountKeyJson": key_json},
            ready=[key],
        )


# The storage component the registry (components/registry.py) builds for this cloud.
COMPONENT = GcpStorage
