"""What this project promises about storage, as plain functions over a stack's resources.

The same rules run in three places: the Pulumi policy pack beside this file (`pulumi preview
--policy-pack policy`), the credential-free plan, and the tests. Each rule looks at the whole
stack, because several promises span resources (a bucket and its public-access block), and
returns violations. A value the engine does not know yet during a preview (None here) never
counts as a violation on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

S3_BUCKET = "aws:s3/bucket:Bucket"
S3_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
S3_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
S3_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KMS_KEY = "aws:kms/key:Key"
IAM_POLICY_TYPES = ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy")
IAM_ROLE = "aws:iam/role:Role"
GCS_BUCKET = "gcp:storage/bucket:Bucket"
GCS_BUCKET_MEMBERS = ("gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding")
GCP_PROJECT_MEMBERS = ("gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding")
GCP_SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
AZURE_ACCOUNT = "azure-native:storage:StorageAccount"
AZURE_CONTAINER = "azure-native:storage:BlobContainer"
AZURE_BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
AZURE_RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"

# Resources that hold or seal data: deleting one by accident loses labelled data.
DATA_TYPES = (S3_BUCKET, KMS_KEY, GCS_BUCKET, AZURE_ACCOUNT, AZURE_CONTAINER, AZURE_RESOURCE_GROUP)
CREDENTIAL_CHART_KEYS = (
    "accessKey",
    "secretKey",
    "applicationCredentialsJSON",
    "storageAccountName",
    "storageAccountKey",
)
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
WORKLOAD_IDENTITY_MEMBER = re.compile(r"^serviceAccount:[a-z0-9.:-]+\.svc\.id\.goog\[[a-z0-9-]+/[a-z0-9-]+\]$")


@dataclass(frozen=True)
class Resource:
    """A declared resource as the rules see it: its type, name, properties and options."""

    type: str
    name: str
    props: Mapping[str, Any]
    protect: bool = False
    secret_outputs: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Violation:
    policy: str
    resource: str
    message: str


Check = Callable[[Sequence[Resource]], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    check: Check


def _of(resources: Sequence[Resource], *types: str) -> list[Resource]:
    return [r for r in resources if r.type in types]


def _document(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _statements(document: Any) -> list[Mapping[str, Any]]:
    document = _document(document)
    if not isinstance(document, Mapping):
        return []
    statements = document.get("Statement") or []
    return [s for s in _as_list(statements) if isinstance(s, Mapping)]


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _as_list(value: Any) -> list[Any]:
    return list(value) if _is_list(value) else [value]


def _covers(companions: Sequence[Resource], bucket: Resource, ok: Callable[[Resource], bool]) -> bool:
    """Whether a companion resource (public-access block, versioning...) for `bucket` passes `ok`.

    Companions name their bucket; while a new bucket's name is unknown (None), any companion
    whose bucket is unknown may be the one.
    """
    name = bucket.props.get("bucket")
    return any(ok(c) for c in companions if c.props.get("bucket") in (name, None) or name is None)


# -- the rules ------------------------------------------------------------------------------------


def no_public_storage(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    blocks = _of(resources, S3_PUBLIC_ACCESS_BLOCK)
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    for bucket in _of(resources, S3_BUCKET):
        if bucket.props.get("acl") in ("public-read", "public-read-write", "authenticated-read"):
            yield bucket.name, f"has the public ACL {bucket.props['acl']}"
        if not _covers(blocks, bucket, lambda block: all(block.props.get(flag) is True for flag in flags)):
            yield bucket.name, "has no public-access block with all four settings on"
    for bucket in _of(resources, GCS_BUCKET):
        if bucket.props.get("publicAccessPrevention") not in ("enforced", None):
            yield bucket.name, "does not enforce public access prevention"
        if bucket.props.get("uniformBucketLevelAccess") is False:
            yield bucket.name, "allows per-object ACLs (uniform bucket-level access is off)"
    for member in _of(resources, *GCS_BUCKET_MEMBERS):
        members = _as_list(member.props.get("members") or member.props.get("member"))
        if any(m in PUBLIC_MEMBERS for m in members):
            yield member.name, "grants the bucket to the public"
    for account in _of(resources, AZURE_ACCOUNT):
        if account.props.get("allowBlobPublicAccess") is not False:
            yield account.name, "does not turn public blob access off (allowBlobPublicAccess must be false)"
    for container in _of(resources, AZURE_CONTAINER):
        if container.props.get("publicAccess") not in (None, "None"):
            yield container.name, f"has public access {container.props['publicAccess']}"


def encryption_at_rest(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    configurations = _of(resources, S3_ENCRYPTION)

    def encrypts(configuration: Resource) -> bool:
        rules = configuration.props.get("rules") or []
        defaults = [(rule or {}).get("applyServerSideEncryptionByDefault") or {} for rule in rules]
        return any(d.get("sseAlgorithm") in ("AES256", "aws:kms", "aws:kms:dsse") for d in defaults)

    for bucket in _of(resources, S3_BUCKET):
        if not _covers(configurations, bucket, encrypts):
            yield bucket.name, "has no server-side encryption configuration (AES256 or aws:kms)"
    for account in _of(resources, AZURE_ACCOUNT):
        blob = ((account.props.get("encryption") or {}).get("services") or {}).get("blob") or {}
        if blob.get("enabled") is False:
            yield account.name, "turns blob encryption off"


def tls_only(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    policies = _of(resources, S3_BUCKET_POLICY)

    def denies_plain_http(policy: Resource) -> bool:
        for statement in _statements(policy.props.get("policy")):
            condition = (statement.get("Condition") or {}).get("Bool") or {}
            if statement.get("Effect") == "Deny" and str(condition.get("aws:SecureTransport")).lower() == "false":
                return True
        return False

    for bucket in _of(resources, S3_BUCKET):
        if not _covers(policies, bucket, denies_plain_http):
            yield bucket.name, "has no bucket policy denying requests without TLS (aws:SecureTransport false)"
    for account in _of(resources, AZURE_ACCOUNT):
        if account.props.get("enableHttpsTrafficOnly") is False:
            yield account.name, "accepts plain HTTP"
        if account.props.get("minimumTlsVersion") not in ("TLS1_2", "TLS1_3", None):
            yield account.name, f"accepts {account.props.get('minimumTlsVersion')}; require TLS1_2 or newer"


def versioning_or_soft_delete(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    versionings = _of(resources, S3_VERSIONING)

    def enabled(versioning: Resource) -> bool:
        return (versioning.props.get("versioningConfiguration") or {}).get("status") == "Enabled"

    for bucket in _of(resources, S3_BUCKET):
        if not _covers(versionings, bucket, enabled):
            yield bucket.name, "is not versioned: an overwrite or delete would be final"
    for bucket in _of(resources, GCS_BUCKET):
        versioned = (bucket.props.get("versioning") or {}).get("enabled") is True
        soft_delete = ((bucket.props.get("softDeletePolicy") or {}).get("retentionDurationSeconds") or 0) > 0
        if not (versioned or soft_delete):
            yield bucket.name, "has neither versioning nor soft delete"
    services = _of(resources, AZURE_BLOB_SERVICE)
    for account in _of(resources, AZURE_ACCOUNT):
        if not any(((s.props.get("deleteRetentionPolicy") or {}).get("enabled")) is True for s in services):
            yield account.name, "has no blob soft delete"


def iam_scoped_to_the_bucket(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for policy in _of(resources, *IAM_POLICY_TYPES):
        for statement in _statements(policy.props.get("policy")):
            if statement.get("Effect") != "Allow":
                continue
            actions = [a for a in _as_list(statement.get("Action")) if isinstance(a, str)]
            if any("*" in action for action in actions):
                yield policy.name, f"allows wildcard actions {sorted(a for a in actions if '*' in a)}"
            targets = [r for r in _as_list(statement.get("Resource")) if isinstance(r, str)]
            if any(target in ("*", "arn:aws:s3:::*") or target.endswith(":s3:::*") for target in targets):
                yield policy.name, "applies to every resource, not to one bucket"
            if "NotAction" in statement or "NotResource" in statement:
                yield policy.name, "uses NotAction/NotResource, which grants everything else"
    for member in _of(resources, *GCP_PROJECT_MEMBERS):
        role = str(member.props.get("role") or "")
        if role.startswith("roles/storage.") or role in ("roles/owner", "roles/editor"):
            yield member.name, f"grants {role} on the whole project; grant it on the bucket"


def oidc_trust_pinned(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for role in _of(resources, IAM_ROLE):
        for statement in _statements(role.props.get("assumeRolePolicy")):
            if "sts:AssumeRoleWithWebIdentity" not in _as_list(statement.get("Action")):
                continue
            condition = statement.get("Condition") or {}
            if set(condition) - {"StringEquals"}:
                yield (
                    role.name,
                    f"trusts with {sorted(set(condition) - {'StringEquals'})}; pin exact values with StringEquals",
                )
            equals = condition.get("StringEquals") or {}
            audiences = [v for k, v in equals.items() if k.endswith(":aud")]
            subjects = [s for k, v in equals.items() if k.endswith(":sub") for s in _as_list(v)]
            if audiences != ["sts.amazonaws.com"]:
                yield role.name, "does not pin the audience to sts.amazonaws.com"
            if not subjects or any(not str(s).startswith("system:serviceaccount:") or "*" in str(s) for s in subjects):
                yield (
                    role.name,
                    "does not pin exact Kubernetes service accounts (system:serviceaccount:<namespace>:<name>)",
                )
    for member in _of(resources, GCP_SA_MEMBER):
        if member.props.get("role") == "roles/iam.workloadIdentityUser":
            value = str(member.props.get("member") or "")
            if not WORKLOAD_IDENTITY_MEMBER.match(value):
                yield (
                    member.name,
                    f"binds {value!r}; bind one exact service account, <project>.svc.id.goog[<namespace>/<name>]",
                )


def no_plain_credentials_in_helm_values(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for release in _of(resources, HELM_RELEASE):
        found = sorted(_storage_credentials(release.props.get("values")))
        if found and "values" not in release.secret_outputs:
            yield release.name, f"passes {', '.join(found)} in Helm values that are not kept secret"


def _storage_credentials(values: Any) -> set[str]:
    """Credential keys set under global.persistence.config.<type>, where the chart reads them."""
    config = values
    for key in ("global", "persistence", "config"):
        config = config.get(key) if isinstance(config, Mapping) else None
    blocks = config.values() if isinstance(config, Mapping) else ()
    return {
        key
        for block in blocks
        if isinstance(block, Mapping)
        for key, value in block.items()
        if key in CREDENTIAL_CHART_KEYS and value not in (None, "")
    }


def storage_protected(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for resource in _of(resources, *DATA_TYPES):
        if not resource.protect:
            yield resource.name, "is not protected: `pulumi destroy` or a replacement could delete the data"


POLICIES: tuple[Policy, ...] = (
    Policy("no-public-storage", "No bucket, container or object can be made public.", no_public_storage),
    Policy("encryption-at-rest", "Storage is encrypted at rest.", encryption_at_rest),
    Policy("tls-only", "Storage refuses requests without TLS 1.2 or newer.", tls_only),
    Policy("versioning-or-soft-delete", "Overwritten or deleted objects stay recoverable.", versioning_or_soft_delete),
    Policy("iam-scoped-to-the-bucket", "IAM grants name one bucket and no wildcard actions.", iam_scoped_to_the_bucket),
    Policy(
        "oidc-trust-pinned", "Federated trust names exact service accounts and the STS audience.", oidc_trust_pinned
    ),
    Policy(
        "no-plain-credentials-in-helm-values",
        "Storage credentials in Helm values are kept secret.",
        no_plain_credentials_in_helm_values,
    ),
    Policy(
        "storage-protected", "Buckets, accounts, containers and keys are protected from deletion.", storage_protected
    ),
)


def evaluate(resources: Sequence[Resource], policies: Sequence[Policy] = POLICIES) -> list[Violation]:
    return [Violation(p.name, name, message) for p in policies for name, message in p.check(resources)]
