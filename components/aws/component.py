"""S3 storage for Label Studio: a hardened bucket and exactly one way for Label Studio to reach it."""

import json
from collections.abc import Mapping
from typing import Any, TypedDict, cast

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from components.argument_checks import (
    adopt_needs_plain,
    checked_arguments,
    refuse_problems,
    storage_problems,
)
from components.arguments import ArgumentProblem, about
from components.aws import documents
from components.aws.settings import CLOUD, s3_bucket_problem
from components.facts import AccessResult, StorageComponent, StorageConnection, StorageFacts, TrustedWorkloads
from components.storage_defaults import CORS_MAX_AGE_SECONDS, CORS_METHODS, storage_tags

CORS_EXPOSED_HEADERS = ["x-amz-server-side-encryption", "x-amz-request-id", "x-amz-id-2"]
ABORT_INCOMPLETE_UPLOADS_DAYS = 7
# Today's type token: stacks created before the package keep their URNs (no alias needed).
TYPE_TOKEN = "labelstudio:aws:Storage"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


ACCESS_MODES = CLOUD.access_modes
_TRUSTING_MODES = ("irsa", "pod-identity")
# Arguments a program may compute from other resources: Python name, schema name.
COMPUTED_ARGUMENTS = {"bucket": "bucket", "region": "region", "cors_origins": "corsOrigins"}


def adopt_problems(args: Mapping[str, Any]) -> list[ArgumentProblem]:
    """Storage adopt imports the bucket by its name."""
    return adopt_needs_plain(args, {"bucket": ("bucket", "the bucket by its name")})


class AwsStorageArgs(TypedDict):
    """What AwsStorage needs: the bucket, who may reach it and how."""

    bucket: pulumi.Input[str]
    """Name of the S3 bucket to create (globally unique); may come from another resource, except
    with storage adopt (an import needs the name before the deployment starts)."""
    region: pulumi.Input[str]
    """AWS region of the bucket, the AWS provider's region; may come from another resource."""
    access: str
    """How Label Studio reaches the bucket: irsa, pod-identity, node-role or access-keys. Plain: it
    decides which resources exist."""
    cors_origins: pulumi.Input[list[str]]
    """Origins (scheme://host[:port]) whose browsers may read and upload, e.g. Label Studio's URL;
    may come from another resource (each is checked once known)."""
    folder: NotRequired[str]
    """Key prefix Label Studio may use; empty for the whole bucket."""
    retention_days: NotRequired[int]
    """Days an overwritten or deleted object stays recoverable (default 30)."""
    protect: NotRequired[bool]
    """Protect the bucket and key from deletion and replacement (default true). Plain: a resource option."""
    force_destroy: NotRequired[bool]
    """Let a deletion empty the bucket first, losing its data (default false)."""
    encryption: NotRequired[str]
    """aes256 (SSE-S3, the default) or kms (SSE-KMS with a bucket key). Plain: it decides whether a key is created."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Existing KMS key for SSE-KMS; a rotating key is created when encryption is kms and none is given."""
    oidc_provider_arn: NotRequired[pulumi.Input[str]]
    """The EKS cluster's IAM OIDC provider (access irsa)."""
    cluster_name: NotRequired[pulumi.Input[str]]
    """The EKS cluster's name (access pod-identity)."""
    node_role_name: NotRequired[pulumi.Input[str]]
    """Name of the node group's IAM role (access node-role)."""
    trusted_workloads: NotRequired[TrustedWorkloads]
    """The Kubernetes service accounts that may use the bucket (access irsa and pod-identity).
    Plain: each service account names a resource."""
    storage: NotRequired[str]
    """create (default) the bucket; use an existing one as it is (declaring only access); or adopt
    it: import it, protected, and harden it. Plain: it decides which resources exist."""
    manage_cors: NotRequired[bool]
    """Declare the bucket's CORS rules, replacing an existing bucket's wholesale (default: create only)."""


def aws_storage_problems(args: AwsStorageArgs) -> list[ArgumentProblem]:
    """What in `args` AwsStorage cannot build, each naming the argument and the fix."""
    problems = storage_problems(args, "bucket", s3_bucket_problem, ACCESS_MODES, _TRUSTING_MODES)
    access = args.get("access")
    needed = CLOUD.required_for_access.get(access) if isinstance(access, str) else None
    if needed and not args.get(needed.name):
        argument = CLOUD.model.model_fields[needed.name].alias or needed.name  # the schema names it as the settings do
        problems.append(about(argument, f"access {access} needs {needed.what}", ": "))
    if args.get("encryption", "aes256") not in ("aes256", "kms"):
        problems.append(about("encryption", f"{args.get('encryption')!r} is not aes256 or kms"))
    storage = args.get("storage", "create")
    if storage == "existing" and args.get("encryption") == "kms" and not args.get("kms_key_arn"):
        problems.append(
            about(
                "kmsKeyArn",
                "storage existing creates no key; give the ARN of the key that seals the bucket's objects",
                ": ",
            )
        )
    return problems


class AwsStorage(StorageComponent):
    """The S3 bucket, its hardening, a bucket-scoped IAM policy and the chosen access mode.

    The secure defaults live here rather than in settings, so no stack can forget one.
    """

    bucket_name: pulumi.Output[str]
    """Name of the bucket."""
    bucket_arn: pulumi.Output[str]
    """ARN of the bucket."""
    policy_arn: pulumi.Output[str]
    """The IAM policy that grants the bucket (and its folder) and nothing else."""
    role_arn: pulumi.Output[str] | None
    """The IAM role Label Studio's pods assume (access irsa and pod-identity)."""
    kms_key_arn: pulumi.Output[str] | None
    """The KMS key that seals the objects (encryption kms)."""
    access_key_id: pulumi.Output[str] | None
    """Access key id of the IAM user (access access-keys). Secret."""
    secret_access_key: pulumi.Output[str] | None
    """Secret access key of the IAM user (access access-keys). Secret."""
    connection: StorageConnection
    """What Label Studio needs to reach the storage: give it to LabelStudioRelease as `storage`."""
    argument_problems = staticmethod(aws_storage_problems)
    computed_arguments = COMPUTED_ARGUMENTS
    plain_problems = staticmethod(adopt_problems)
    SECRET_OUTPUTS = ("access_key_id", "secret_access_key")

    def __init__(self, name: str, args: AwsStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE_TOKEN, name, None, opts)
        refuse_problems("AwsStorage", name, self.plain_problems(args))
        # The bucket's name as given: once any argument is computed, checked_arguments hands every
        # computed-capable one back as an output, and an import id must be a plain name.
        self._given_bucket = args["bucket"]
        args = cast(
            AwsStorageArgs, checked_arguments("AwsStorage", name, args, self.argument_problems, COMPUTED_ARGUMENTS)
        )
        self.role_arn = self.kms_key_arn = self.access_key_id = self.secret_access_key = None
        self._args = args
        region, folder, bucket_name = args["region"], args.get("folder", ""), args["bucket"]
        protect = args.get("protect", True)
        child = pulumi.ResourceOptions(parent=self)
        # Data lives in the bucket and is sealed by the key: both are protected from deletion.
        keep = pulumi.ResourceOptions(parent=self, protect=protect)
        # The bucket's own settings stay on the bucket when they leave the stack (for example
        # `pulumi destroy --exclude-protected`), so a kept bucket stays private and versioned.
        hardening = pulumi.ResourceOptions(parent=self, retain_on_delete=protect)
        tags = storage_tags(pulumi.get_stack())

        storage = args.get("storage", "create")
        self.storage = storage
        if storage == "existing":
            # Declared by nobody here: read for its ARN and to prove it exists in the region.
            existing = aws.s3.get_bucket_output(bucket=bucket_name, opts=pulumi.InvokeOptions(parent=self))
            bucket_id: pulumi.Input[str] = existing.id
            bucket_arn: pulumi.Output[str] = pulumi.Output.all(
                bucket_name, region, existing.arn, existing.region
            ).apply(lambda found: _in_region(*found))
            key_arn = args.get("kms_key_arn")
        else:
            bucket_id, bucket_arn, key_arn = self._bucket(name, storage, keep, hardening, tags)
        self.cors = None
        if args.get("manage_cors", storage == "create"):
            # One resource holds all of a bucket's CORS rules: declaring it replaces what is there.
            self.cors = aws.s3.BucketCorsConfiguration(
                f"{name}-cors",
                bucket=bucket_id,
                cors_rules=[
                    {
                        "allowed_headers": ["*"],
                        "allowed_methods": CORS_METHODS,
                        "allowed_origins": args["cors_origins"],
                        "expose_headers": CORS_EXPOSED_HEADERS,
                        "max_age_seconds": CORS_MAX_AGE_SECONDS,
                    }
                ],
                opts=child,
            )

        policy_document = pulumi.Output.all(bucket_name, region, key_arn).apply(
            lambda known: json.dumps(documents.storage_policy(known[0], known[1], folder, known[2]))
        )
        self.policy = aws.iam.Policy(
            f"{name}-policy",
            description=pulumi.Output.concat(
                f"Label Studio ({pulumi.get_stack()}): objects in s3://", bucket_name, f"/{folder}"
            ),
            policy=policy_document,
            tags=tags,
            opts=child,
        )

        access = {
            "irsa": self._irsa,
            "pod-identity": self._pod_identity,
            "node-role": self._node_role,
            "access-keys": self._access_keys,
        }[args["access"]]
        storage_facts = StorageFacts(
            storage_type="s3",
            settings={"bucket": bucket_name, "region": region, "folder": folder},
            exports={
                "bucketName": bucket_name,
                "bucketArn": bucket_arn,
                "region": region,
                "folder": folder,
                "corsOrigins": args["cors_origins"],
                "policyArn": self.policy.arn,
                **({"kmsKeyArn": key_arn} if key_arn is not None else {}),
            },
        )
        access_result = access(name, child, tags)
        self.bucket_name = pulumi.Output.from_input(bucket_name)
        self.bucket_arn = bucket_arn
        self.policy_arn = self.policy.arn
        self.kms_key_arn = pulumi.Output.from_input(key_arn) if key_arn is not None else None
        self._conclude(storage_facts, access_result)

    def _bucket(
        self,
        name: str,
        storage: str,
        keep: pulumi.ResourceOptions,
        hardening: pulumi.ResourceOptions,
        tags: dict[str, str],
    ) -> tuple[pulumi.Output[str], pulumi.Output[str], pulumi.Input[str] | None]:
        """The bucket this stack owns, created or adopted, and its hardening: (id, ARN, KMS key ARN).

        Adopted, it is imported under the same name as a created one (so the same URN), protected,
        with only the inputs an import can match (its name); its hardening is declared as for a
        created bucket, as settings that touch no object, except the lifecycle rules: they would
        replace the bucket's own and expire old versions it already holds.
        """
        args, bucket_name = self._args, self._args["bucket"]
        if storage == "adopt":
            # Plain: adopt_problems refused an output.
            adopted = pulumi.ResourceOptions(import_=cast(str, self._given_bucket), protect=True)
            self.bucket = aws.s3.Bucket(
                f"{name}-bucket", bucket=bucket_name, opts=pulumi.ResourceOptions.merge(keep, adopted)
            )
            # Imported hardening stays on the bucket if the stack lets go of it.
            hardening = pulumi.ResourceOptions.merge(hardening, pulumi.ResourceOptions(retain_on_delete=True))
        else:
            self.bucket = aws.s3.Bucket(
                f"{name}-bucket",
                bucket=bucket_name,
                force_destroy=args.get("force_destroy", False),
                tags=tags,
                opts=keep,
            )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=hardening,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=self.bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=hardening
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=self.bucket.id, versioning_configuration={"status": "Enabled"}, opts=hardening
        )
        if storage == "create":
            aws.s3.BucketLifecycleConfiguration(
                f"{name}-lifecycle",
                bucket=self.bucket.id,
                rules=[
                    {
                        "id": "keep-old-versions-for-retention-days",
                        "status": "Enabled",
                        "filter": {},
                        "noncurrent_version_expiration": {"noncurrent_days": args.get("retention_days", 30)},
                        "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS},
                    }
                ],
                opts=pulumi.ResourceOptions.merge(hardening, pulumi.ResourceOptions(depends_on=[versioning])),
            )
        key_arn = self._encryption(name, keep, hardening, tags)
        # S3 answers 409 when a bucket policy races the public-access block: wait for it.
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(bucket_name, args["region"]).apply(
                lambda known: json.dumps(documents.tls_only_bucket_policy(known[0], known[1]))
            ),
            opts=pulumi.ResourceOptions.merge(hardening, pulumi.ResourceOptions(depends_on=[public_access])),
        )
        return self.bucket.id, self.bucket.arn, key_arn

    def _encryption(
        self, name: str, keep: pulumi.ResourceOptions, hardening: pulumi.ResourceOptions, tags: dict[str, str]
    ) -> pulumi.Input[str] | None:
        """SSE-S3 by default; SSE-KMS with a bucket key on request, creating a rotating key if none is given."""
        args = self._args
        uses_kms = args.get("encryption") == "kms" or bool(args.get("kms_key_arn"))
        key_arn: pulumi.Input[str] | None = None
        if uses_kms:
            if args.get("kms_key_arn"):
                key_arn = args["kms_key_arn"]
            else:
                key = aws.kms.Key(
                    f"{name}-key",
                    description=pulumi.Output.concat(
                        f"Label Studio ({pulumi.get_stack()}): encrypts s3://", args["bucket"]
                    ),
                    enable_key_rotation=True,
                    deletion_window_in_days=30,
                    tags=tags,
                    opts=keep,
                )
                key_arn = key.arn
            default: Any = {"sse_algorithm": "aws:kms", "kms_master_key_id": key_arn}
        else:
            default = {"sse_algorithm": "AES256"}
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": default, "bucket_key_enabled": uses_kms}],
            opts=hardening,
        )
        return key_arn

    # -- access modes: each returns what it decides, an AccessResult --------------------------------

    def _role(
        self, name: str, trust: pulumi.Input[str], child: pulumi.ResourceOptions, tags: dict[str, str]
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        workloads = self._args.get("trusted_workloads") or TrustedWorkloads(namespace="", service_accounts={})
        who = f"{workloads['namespace']}/{workloads.get('name') or ', '.join(workloads['service_accounts'].values())}"
        role = aws.iam.Role(
            name,
            description=pulumi.Output.concat(
                f"Label Studio ({pulumi.get_stack()}) in {who}: s3://", self._args["bucket"]
            ),
            assume_role_policy=trust,
            tags=tags,
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-policy", role=role.name, policy_arn=self.policy.arn, opts=child
        )
        return role, attachment

    def _irsa(self, name: str, child: pulumi.ResourceOptions, tags: dict[str, str]) -> AccessResult:
        workloads = self._args["trusted_workloads"]
        namespace, service_accounts = workloads["namespace"], list(workloads["service_accounts"].values())
        trust = pulumi.Output.from_input(self._args["oidc_provider_arn"]).apply(
            lambda arn: json.dumps(documents.irsa_trust_policy(arn, namespace, service_accounts))
        )
        role, attachment = self._role(f"{name}-irsa", trust, child, tags)
        self.role_arn = role.arn
        return AccessResult(
            service_account_annotations={IRSA_ANNOTATION: role.arn},
            ready=[attachment, self.cors],
            exports={"roleArn": role.arn, "roleName": role.name},
        )

    def _pod_identity(self, name: str, child: pulumi.ResourceOptions, tags: dict[str, str]) -> AccessResult:
        workloads = self._args["trusted_workloads"]
        trust = json.dumps(documents.pod_identity_trust_policy())
        role, attachment = self._role(f"{name}-pod-identity", trust, child, tags)
        self.role_arn = role.arn
        associations = [
            aws.eks.PodIdentityAssociation(
                f"{name}-{component}",
                cluster_name=self._args["cluster_name"],
                namespace=workloads["namespace"],
                service_account=service_account,
                role_arn=role.arn,
                tags=tags,
                opts=child,
            )
            for component, service_account in workloads["service_accounts"].items()
        ]
        return AccessResult(
            ready=[attachment, *associations, self.cors], exports={"roleArn": role.arn, "roleName": role.name}
        )

    def _node_role(self, name: str, child: pulumi.ResourceOptions, tags: dict[str, str]) -> AccessResult:
        node_role_name = self._args["node_role_name"]
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-node-role-policy", role=node_role_name, policy_arn=self.policy.arn, opts=child
        )
        return AccessResult(ready=[attachment, self.cors], exports={"nodeRoleName": node_role_name})

    def _access_keys(self, name: str, child: pulumi.ResourceOptions, tags: dict[str, str]) -> AccessResult:
        user = aws.iam.User(f"{name}-user", path="/labelstudio/", tags=tags, opts=child)
        attachment = aws.iam.UserPolicyAttachment(
            f"{name}-user-policy", user=user.name, policy_arn=self.policy.arn, opts=child
        )
        # The SDK declares `secret` a secret output, which the engine (not the mock monitor)
        # applies; wrapping keeps the keys secret wherever they flow, whatever runs the program.
        key = aws.iam.AccessKey(f"{name}-access-key", user=user.name, opts=child)
        key_id: pulumi.Output[str] = pulumi.Output.secret(key.id)
        key_secret: pulumi.Output[str] = pulumi.Output.secret(key.secret)
        self.access_key_id, self.secret_access_key = key_id, key_secret
        return AccessResult(
            credentials={"access_key_id": key_id, "secret_access_key": key_secret},
            ready=[attachment, self.cors],
            exports={"userName": user.name},
        )


def _in_region(bucket: str, region: str, arn: str, found_region: str) -> str:
    """The existing bucket's ARN, once it is known to be in the stack's region (its IAM policy,
    endpoints and Label Studio's region all name that region)."""
    if found_region and found_region != region:
        raise pulumi.RunError(
            f"labelstudio:bucket: the existing bucket {bucket} is in region {found_region}, not {region}; "
            f"set aws:region to {found_region}"
        )
    return arn


# The storage component the registry (components/registry.py) builds for this cloud.
COMPONENT = AwsStorage
