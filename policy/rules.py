"""What this project promises about storage, as plain functions over a stack's resources.

The same rules run in three places: the Pulumi policy pack beside this file (`pulumi preview
--policy-pack policy`), the credential-free plan, and the tests. Each rule looks at the whole
stack, because several promises span resources (a bucket and its public-access block), and
returns violations. Promises hold per bucket, account and role: a companion resource counts
only for the bucket or account it names, by value or by reference.

The pack fails closed: a storage, IAM or access-control resource type that no rule reads is a
violation of its own (`resources-reviewed`). A value the engine does not know yet during a
preview (UNKNOWN here) in a companion or a grant never counts as a violation on its own; a value
that is absent does. The hardening settings of a bucket or account itself must be declared
literally: the providers compute them when they are not set, so in a preview an unknown one
cannot be told from one left at an unsafe default.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class _Unknown:
    """A value the engine computes later (a new bucket's ARN during a preview)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

# -- resource types -------------------------------------------------------------------------------

S3_BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
S3_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
S3_ACLS = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
S3_OBJECTS = ("aws:s3/bucketObject:BucketObject", "aws:s3/bucketObjectv2:BucketObjectv2")
S3_ENCRYPTIONS = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
S3_VERSIONINGS = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
S3_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
# Bucket settings that neither expose nor lose data (CORS, lifecycle, ownership, logging, object
# lock...), in the AWS provider's spelling with and without the V2 suffix.
S3_HARMLESS = tuple(
    f"aws:s3/{name[0].lower()}{name[1:]}{suffix}:{name}{suffix}"
    for name in (
        "BucketCorsConfiguration",
        "BucketLifecycleConfiguration",
        "BucketOwnershipControls",
        "BucketLogging",
        "BucketAccelerateConfiguration",
        "BucketRequestPaymentConfiguration",
        "BucketObjectLockConfiguration",
        "BucketIntelligentTieringConfiguration",
        "BucketMetric",
    )
    for suffix in ("", "V2")
)
KMS_KEY = "aws:kms/key:Key"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
KMS_ALIAS = "aws:kms/alias:Alias"
IAM_POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
IAM_MANAGED_POLICY = "aws:iam/policy:Policy"
IAM_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
IAM_ROLE = "aws:iam/role:Role"
# Identities that grant nothing by themselves, and the project's own access key.
AWS_IDENTITIES = (
    "aws:iam/user:User",
    "aws:iam/group:Group",
    "aws:iam/accessKey:AccessKey",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation",
)
GCS_BUCKET = "gcp:storage/bucket:Bucket"
GCS_BUCKET_MEMBERS = ("gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding")
GCS_BUCKET_IAM_POLICY = "gcp:storage/bucketIAMPolicy:BucketIAMPolicy"
GCS_ACCESS_CONTROLS = (
    "gcp:storage/bucketAccessControl:BucketAccessControl",
    "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
    "gcp:storage/objectAccessControl:ObjectAccessControl",
)
GCS_ACLS = (
    "gcp:storage/bucketACL:BucketACL",
    "gcp:storage/defaultObjectACL:DefaultObjectACL",
    "gcp:storage/objectACL:ObjectACL",
)
# Grants above the bucket: every bucket of the project, folder or organisation.
GCP_WIDE_GRANTS = {
    f"gcp:{scope}/iAM{kind}:IAM{kind}": scope
    for scope in ("projects", "folder", "organizations")
    for kind in ("Member", "Binding", "Policy")
}
GCP_SA_GRANTS = ("gcp:serviceaccount/iAMMember:IAMMember", "gcp:serviceaccount/iAMBinding:IAMBinding")
GCP_SA = ("gcp:serviceaccount/account:Account", "gcp:serviceaccount/key:Key")
GCP_KMS_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
AZURE_ACCOUNT = "azure-native:storage:StorageAccount"
AZURE_CONTAINER = "azure-native:storage:BlobContainer"
AZURE_BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
AZURE_MANAGEMENT_POLICY = "azure-native:storage:ManagementPolicy"
AZURE_RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
CLASSIC_ACCOUNT = "azure:storage/account:Account"
CLASSIC_CONTAINER = "azure:storage/container:Container"
CLASSIC_RESOURCE_GROUP = "azure:core/resourceGroup:ResourceGroup"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
KUBERNETES_SECRET = "kubernetes:core/v1:Secret"

# Resources that hold or seal data: deleting one by accident loses labelled data.
DATA_TYPES = (
    *S3_BUCKETS,
    KMS_KEY,
    GCS_BUCKET,
    AZURE_ACCOUNT,
    AZURE_CONTAINER,
    AZURE_RESOURCE_GROUP,
    CLASSIC_ACCOUNT,
    CLASSIC_CONTAINER,
    CLASSIC_RESOURCE_GROUP,
)
# Every type some rule reads; any other storage, IAM or access-control type is refused.
REVIEWED_TYPES = frozenset(
    (
        *S3_BUCKETS,
        S3_PUBLIC_ACCESS_BLOCK,
        S3_ACCOUNT_PUBLIC_ACCESS_BLOCK,
        *S3_ACLS,
        *S3_OBJECTS,
        *S3_ENCRYPTIONS,
        *S3_VERSIONINGS,
        S3_BUCKET_POLICY,
        *S3_HARMLESS,
        KMS_KEY,
        KMS_KEY_POLICY,
        KMS_ALIAS,
        *IAM_POLICY_TYPES,
        *IAM_ATTACHMENTS,
        IAM_ROLE,
        *AWS_IDENTITIES,
        GCS_BUCKET,
        *GCS_BUCKET_MEMBERS,
        GCS_BUCKET_IAM_POLICY,
        *GCS_ACCESS_CONTROLS,
        *GCS_ACLS,
        *GCP_WIDE_GRANTS,
        *GCP_SA_GRANTS,
        *GCP_SA,
        GCP_KMS_MEMBER,
        AZURE_ACCOUNT,
        AZURE_CONTAINER,
        AZURE_BLOB_SERVICE,
        AZURE_MANAGEMENT_POLICY,
        CLASSIC_ACCOUNT,
        CLASSIC_CONTAINER,
        KUBERNETES_SECRET,
    )
)
# Type tokens (prefixes) of storage, IAM and access control, in every provider that has them.
GUARDED_TYPE_PREFIXES = (
    "aws:s3/",
    "aws:s3control/",
    "aws:s3outposts/",
    "aws:s3tables/",
    "aws:glacier/",
    "aws:iam/",
    "aws:kms/",
    "aws:eks/podIdentityAssociation:",
    "aws:eks/accessEntry:",
    "aws:eks/accessPolicyAssociation:",
    "aws:ssoadmin/",
    "aws:identitystore/",
    "aws:lakeformation/",
    "aws:ram/",
    "aws-native:s3:",
    "aws-native:s3express:",
    "aws-native:s3outposts:",
    "aws-native:iam:",
    "aws-native:kms:",
    "gcp:storage/",
    "gcp:iam/",
    "gcp:serviceaccount/",
    "gcp:kms/",
    "google-native:storage/",
    "google-native:iam/",
    "google-native:cloudkms/",
    "google-native:cloudresourcemanager/",
    "azure-native:storage:",
    "azure-native:authorization:",
    "azure-native:managedidentity:",
    "azure-native:keyvault:",
    "azure:storage/",
    "azure:authorization/",
    "azure:role/",
    "azure:armmsi/",
    "azure:keyvault/",
    "kubernetes:rbac.authorization.k8s.io/",
    "kubernetes:core/v1:Secret",
)
# Google's IAM resources of any service (topicIAMMember, projects/iAMCustomRole...).
GCP_IAM_TYPE = re.compile(r"^gcp:[^/]+/\w*[iI]AM\w*:")

PUBLIC_S3_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_S3_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
PUBLIC_GCS_ACLS = ("publicRead", "publicReadWrite", "authenticatedRead")
PUBLIC_MEMBERS = ("allusers", "allauthenticatedusers")
GCP_KMS_ROLES = (
    "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    "roles/cloudkms.cryptoKeyEncrypter",
    "roles/cloudkms.cryptoKeyDecrypter",
)
WORKLOAD_IDENTITY_ROLE = "roles/iam.workloadIdentityUser"
WORKLOAD_IDENTITY_MEMBER = re.compile(r"^serviceAccount:[a-z0-9.:-]+\.svc\.id\.goog\[[a-z0-9-]+/[a-z0-9-]+\]$")
SERVICE_ACCOUNT_SUBJECT = re.compile(r"^system:serviceaccount:[a-z0-9.-]+:[a-z0-9.-]+$")
WEB_IDENTITY = "sts:assumerolewithwebidentity"
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = frozenset({"sts:assumerole", "sts:tagsession"})
STORAGE_SERVICES = ("s3", "kms")
AWS_MANAGED_POLICY = re.compile(r"^arn:[a-z-]+:iam::aws:policy/")
# Real Pulumi auto-names: the resource name, a dash and seven hex digits.
AUTO_NAME_SUFFIX = r"-[0-9a-f]{7}"

CREDENTIAL_CHART_KEYS = (
    "accessKey",
    "secretKey",
    "applicationCredentialsJSON",
    "storageAccountName",
    "storageAccountKey",
)
# Environment variable names that hold credentials, and the known names that look like one
# but only name a key (a KMS key id) or a file that holds it.
CREDENTIAL_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|CREDENTIAL|PRIVATE|KEY|CONNECTION_?STRING")
NON_CREDENTIAL_NAME = re.compile(r"(KMS_KEY_(ID|ARN|NAME)|_KEY_(FILE|PATH)|CREDENTIALS?_(FILE|PATH))$")
# Values that are credentials whatever their name.
CREDENTIAL_VALUE = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----|\"private_key\"|AccountKey=|SharedAccessSignature=|[?&]sig="
    r"|\b(AKIA|ASIA)[0-9A-Z]{16}\b|^[a-z][a-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Resource:
    """A declared resource as the rules see it: its type, name, properties and options.

    `property_dependencies` maps a property to the URNs of the resources its value came from,
    which ties a companion to its bucket while the bucket's name is still unknown;
    `dependencies` are the URNs of every resource it waits for.
    """

    type: str
    name: str
    props: Mapping[str, Any]
    protect: bool = False
    secret_outputs: Sequence[str] = field(default_factory=tuple)
    urn: str = ""
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    dependencies: Sequence[str] = field(default_factory=tuple)


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


# -- reading values -------------------------------------------------------------------------------


def _of(resources: Sequence[Resource], *types: str) -> list[Resource]:
    return [r for r in resources if r.type in types]


def _known(value: Any) -> bool:
    return value is not UNKNOWN


def _get(value: Any, *path: str) -> Any:
    """value[path...]: UNKNOWN when a step is unknown, None when a step is absent."""
    for key in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and len(value) == 1:
            value = value[0]  # Terraform-bridged blocks of one come as one-item lists
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if _is_list(value) else [value]


def _strings(value: Any) -> list[str]:
    return [item for item in _as_list(value) if isinstance(item, str)]


class Unreadable(ValueError):
    """A policy document that is known but cannot be read as one."""


def _statements(document: Any) -> list[Mapping[str, Any]] | None:
    """The statements of an IAM document (JSON text or data); None while it is unknown."""
    if document is UNKNOWN:
        return None
    if document is None or document == "":
        return []  # no document, as the AWS provider reports an inline policy block left empty
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as error:
            raise Unreadable(str(error)) from None
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    if not isinstance(statements, (Mapping, list)):
        raise Unreadable("no Statement")
    found = _as_list(statements) if isinstance(statements, list) else [statements]
    if not all(isinstance(s, Mapping) for s in found):
        raise Unreadable("a statement is not an object")
    return found


def _document_statements(document: Any) -> Iterator[Mapping[str, Any] | str]:
    """The statements of `document`, or one message when it cannot be read (fail closed)."""
    try:
        yield from _statements(document) or []
    except Unreadable as error:
        yield f"has a policy document this pack cannot read ({error}); write it as IAM JSON"


def _allows(statement: Mapping[str, Any]) -> bool:
    return str(statement.get("Effect")).lower() == "allow"


def _principals(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, value) for each principal: ("*", "*") for a bare `*`."""
    principal = statement.get("Principal")
    if isinstance(principal, str):
        return [("*", principal)] if principal == "*" else [("AWS", principal)]
    if isinstance(principal, Mapping):
        return [(str(kind), value) for kind, values in principal.items() for value in _strings(values)]
    return []


def _public_principal(statement: Mapping[str, Any]) -> bool:
    return any(value == "*" for _, value in _principals(statement))


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def _wildcard(text: str) -> bool:
    return "*" in text or "?" in text


# -- ties between resources -----------------------------------------------------------------------


def _refers_to(companion: Resource, prop: str, target: Resource, identities: Iterable[Any], rivals: set[str]) -> bool:
    """Whether `companion.prop` names `target`: by its value, or by reference when the value is
    unknown (a preview) or absent (providers that keep it out of their outputs).

    Without the property's own dependencies, the companion must depend on the target and on no
    other resource of its kind (`rivals`).
    """
    value = companion.props.get(prop)
    if isinstance(value, str):
        return value in {i for i in identities if isinstance(i, str)}
    if value is not UNKNOWN and value is not None:
        return False
    if prop in companion.property_dependencies:
        return bool(target.urn) and target.urn in companion.property_dependencies[prop]
    return bool(target.urn) and set(companion.dependencies) & rivals == {target.urn}


def _companions(
    resources: Sequence[Resource], types: Sequence[str], target: Resource, prop: str, *ids: str
) -> list[Resource]:
    identities = [target.props.get(key) for key in ids]
    rivals = {r.urn for r in resources if r.type == target.type and r.urn}
    return [c for c in _of(resources, *types) if _refers_to(c, prop, target, identities, rivals)]


def _bucket_companions(resources: Sequence[Resource], types: Sequence[str], bucket: Resource) -> list[Resource]:
    return _companions(resources, types, bucket, "bucket", "bucket", "id")


def _account_companions(resources: Sequence[Resource], types: Sequence[str], account: Resource) -> list[Resource]:
    # Storage account names are unique across Azure: the name alone ties a companion.
    return _companions(resources, types, account, "accountName", "accountName", "name")


# -- the rules ------------------------------------------------------------------------------------


def no_public_storage(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    yield from _public_s3(resources)
    yield from _public_gcs(resources)
    yield from _public_azure(resources)
    for key in _of(resources, KMS_KEY, KMS_KEY_POLICY):
        for statement in _document_statements(key.props.get("policy")):
            if isinstance(statement, str):
                yield key.name, statement
            elif _allows(statement) and _public_principal(statement):
                yield key.name, "lets anyone (Principal *) use the key"


def _public_s3_grants(grants: Any) -> bool:
    return any(
        str(_get(grant, "grantee", "uri") or _get(grant, "uri")) in PUBLIC_S3_GRANTEES for grant in _as_list(grants)
    )


def _public_s3(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    for bucket in _of(resources, *S3_BUCKETS):
        if bucket.props.get("acl") in PUBLIC_S3_ACLS:
            yield bucket.name, f"has the public ACL {bucket.props['acl']}"
        if _public_s3_grants(bucket.props.get("grants")):
            yield bucket.name, "grants access to all users"
        blocks = _bucket_companions(resources, (S3_PUBLIC_ACCESS_BLOCK,), bucket)
        if not any(all(b.props.get(flag) is True for flag in flags) for b in blocks):
            yield bucket.name, "has no public-access block of its own with all four settings on"
    for acl in _of(resources, *S3_ACLS, *S3_OBJECTS):
        canned = acl.props.get("acl")
        if canned in PUBLIC_S3_ACLS:
            yield acl.name, f"sets the public ACL {canned}"
        if _public_s3_grants(_get(acl.props, "accessControlPolicy", "grants")):
            yield acl.name, "grants access to all users"
    for holder in _of(resources, *S3_BUCKETS, S3_BUCKET_POLICY):
        for statement in _document_statements(holder.props.get("policy")):
            if isinstance(statement, str):
                yield holder.name, statement
            elif _allows(statement) and _public_principal(statement):
                yield holder.name, "has a bucket policy that allows anyone (Principal *)"
    for block in _of(resources, S3_ACCOUNT_PUBLIC_ACCESS_BLOCK):
        if any(block.props.get(flag) is False for flag in flags):
            yield block.name, "turns the account's public-access block off"


def _public_members(members: Any) -> list[str]:
    return [m for m in _strings(members) if m.lower() in PUBLIC_MEMBERS]


def _iam_policy_bindings(member: Resource) -> Iterator[tuple[str, list[str]] | str]:
    """(role, members) of a whole-policy resource's `policyData`, or a message when unreadable."""
    data = member.props.get("policyData")
    if data is UNKNOWN or data is None:
        return
    try:
        document = json.loads(data) if isinstance(data, str) else data
        bindings = document.get("bindings") or []
        yield from ((str(b.get("role")), _strings(b.get("members"))) for b in bindings)
    except (ValueError, AttributeError):
        yield "has policy data this pack cannot read; write it as IAM policy JSON"


def _grants(member: Resource) -> Iterator[tuple[str, list[str]] | str]:
    """(role, members) of an IAM member, binding or policy resource of Google Cloud."""
    if "policyData" in member.props:
        yield from _iam_policy_bindings(member)
        return
    role = member.props.get("role")
    yield (str(role) if _known(role) else ""), _members(member)


def _members(grant: Resource) -> list[Any]:
    """Who a Google Cloud grant names: strings, or UNKNOWN for one known only after the update."""
    found = _as_list(grant.props.get("members")) + _as_list(grant.props.get("member"))
    return [m for m in found if isinstance(m, str) or m is UNKNOWN]


def _public_gcs(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for bucket in _of(resources, GCS_BUCKET):
        if bucket.props.get("publicAccessPrevention") != "enforced":
            yield bucket.name, "does not enforce public access prevention (publicAccessPrevention: enforced)"
        if bucket.props.get("uniformBucketLevelAccess") is not True:
            yield bucket.name, "allows per-object ACLs (uniformBucketLevelAccess must be true)"
    for member in _of(resources, *GCS_BUCKET_MEMBERS, GCS_BUCKET_IAM_POLICY, GCP_KMS_MEMBER, *GCP_WIDE_GRANTS):
        for grant in _grants(member):
            if isinstance(grant, str):
                yield member.name, grant
            elif _public_members(grant[1]):
                yield member.name, f"grants {grant[0]} to the public ({', '.join(_public_members(grant[1]))})"
    for control in _of(resources, *GCS_ACCESS_CONTROLS):
        if _public_members(control.props.get("entity")):
            yield control.name, f"grants {control.props.get('role')} to the public ({control.props['entity']})"
    for acl in _of(resources, *GCS_ACLS):
        entities = [e.split(":", 1)[-1] for e in _strings(acl.props.get("roleEntities"))]
        if _public_members(entities):
            yield acl.name, "grants the public access through an ACL"
        for key in ("predefinedAcl", "defaultAcl"):
            if acl.props.get(key) in PUBLIC_GCS_ACLS:
                yield acl.name, f"applies the predefined ACL {acl.props[key]}"


def _public_azure(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for account in _of(resources, AZURE_ACCOUNT):
        if account.props.get("allowBlobPublicAccess") is not False:
            yield account.name, "does not turn public blob access off (allowBlobPublicAccess must be false)"
    for account in _of(resources, CLASSIC_ACCOUNT):
        flags = [account.props.get(key) for key in ("allowNestedItemsToBePublic", "allowBlobPublicAccess")]
        if False not in flags or True in flags:
            yield account.name, "does not turn public blob access off (allowNestedItemsToBePublic must be false)"
    for container in _of(resources, AZURE_CONTAINER):
        if container.props.get("publicAccess") not in (None, "None", UNKNOWN):
            yield container.name, f"has public access {container.props['publicAccess']}"
    for container in _of(resources, CLASSIC_CONTAINER):
        if container.props.get("containerAccessType") not in (None, "private", UNKNOWN):
            yield container.name, f"has public access {container.props['containerAccessType']}"


def _s3_inline(bucket: Resource, key: str) -> list[Any]:
    """An inline setting of a bucket, whether the SDK spells it singular or as a list.

    The provider computes these when they are not set, so one still unknown in a preview was
    not declared and does not count.
    """
    found = _as_list(bucket.props.get(key)) + _as_list(bucket.props.get(key + "s"))
    return [setting for setting in found if setting is not UNKNOWN]


def encryption_at_rest(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    def encrypts(configuration: Any) -> bool:
        rules = _as_list(_get(configuration, "rules")) + _as_list(_get(configuration, "rule"))
        if configuration is UNKNOWN or UNKNOWN in rules:
            return True
        algorithms = [_get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm") for rule in rules]
        return any(a in ("AES256", "aws:kms", "aws:kms:dsse", UNKNOWN) for a in algorithms)

    for bucket in _of(resources, *S3_BUCKETS):
        configurations = [c.props for c in _bucket_companions(resources, S3_ENCRYPTIONS, bucket)]
        if not any(encrypts(c) for c in configurations + _s3_inline(bucket, "serverSideEncryptionConfiguration")):
            yield bucket.name, "has no server-side encryption configuration of its own (AES256 or aws:kms)"
    for account in _of(resources, AZURE_ACCOUNT):
        if _get(account.props, "encryption", "services", "blob", "enabled") is False:
            yield account.name, "turns blob encryption off"


def _covers(patterns: Sequence[str], arn: str) -> bool:
    return any(_glob(pattern).fullmatch(arn) for pattern in patterns)


def _denies_plain_http(statement: Mapping[str, Any]) -> list[str]:
    """The resources on which a statement denies every S3 action to everyone without TLS."""
    if str(statement.get("Effect")).lower() != "deny" or not _public_principal(statement):
        return []
    condition = statement.get("Condition") or {}
    operators = [_get(condition, operator) for operator in ("Bool", "BoolIfExists")]
    secure = [
        str(value).lower()
        for operator in operators
        if isinstance(operator, Mapping)
        for key, values in operator.items()
        if str(key).lower() == "aws:securetransport"
        for value in _as_list(values)
    ]
    if secure != ["false"] or not any(a.lower() in ("*", "s3:*") for a in _strings(statement.get("Action"))):
        return []
    return _strings(statement.get("Resource"))


def _covers_bucket(patterns: Sequence[str], bucket_arns: Sequence[str]) -> bool:
    """Whether the ARN patterns match the bucket and every key in it (probed with a few keys)."""
    return any(
        _covers(patterns, arn) and all(_covers(patterns, f"{arn}/{key}") for key in ("", "k", "deep/key.json"))
        for arn in bucket_arns
    )


def _bucket_arns(bucket: Resource, patterns: Sequence[str]) -> list[str]:
    """The ARNs the bucket may have: its own, or, before it is known, its name in each partition
    the patterns name (the pack keeps no list of partitions to fall behind AWS's); a name still
    unknown matches only a wildcard."""
    arn, name = bucket.props.get("arn"), bucket.props.get("bucket")
    if isinstance(arn, str):
        return [arn]
    name = name if isinstance(name, str) else "\x00unknown-bucket"
    partitions = {"aws"} | {pattern.split(":")[1] for pattern in patterns if pattern.count(":") >= 5}
    return [f"arn:{partition}:s3:::{name}" for partition in sorted(partitions)]


def tls_only(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for bucket in _of(resources, *S3_BUCKETS):
        documents = [p.props.get("policy") for p in _bucket_companions(resources, (S3_BUCKET_POLICY,), bucket)]
        if UNKNOWN in documents:
            continue  # its own policy, written once the bucket's ARN is known
        documents += _s3_inline(bucket, "policy")
        statements = [s for d in documents for s in _document_statements(d) if not isinstance(s, str)]
        denied = [target for s in statements for target in _denies_plain_http(s)]
        if not _covers_bucket(denied, _bucket_arns(bucket, denied)):
            yield bucket.name, "has no bucket policy of its own denying all requests without TLS (aws:SecureTransport)"
    for account in _of(resources, AZURE_ACCOUNT):
        if account.props.get("enableHttpsTrafficOnly") is False:
            yield account.name, "accepts plain HTTP"
        version = account.props.get("minimumTlsVersion")
        if version not in ("TLS1_2", "TLS1_3"):
            accepts = f"accepts {version}" if isinstance(version, str) else "does not set minimumTlsVersion"
            yield account.name, f"{accepts}; require TLS1_2 or newer"
    for account in _of(resources, CLASSIC_ACCOUNT):
        if False in (account.props.get("httpsTrafficOnlyEnabled"), account.props.get("enableHttpsTrafficOnly")):
            yield account.name, "accepts plain HTTP"
        # The classic provider's default is TLS1_2.
        if account.props.get("minTlsVersion") not in ("TLS1_2", "TLS1_3", None):
            yield account.name, f"accepts {account.props.get('minTlsVersion')}; require TLS1_2 or newer"


def versioning_or_soft_delete(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for bucket in _of(resources, *S3_BUCKETS):
        statuses = [
            _get(v.props, "versioningConfiguration", "status")
            for v in _bucket_companions(resources, S3_VERSIONINGS, bucket)
        ]
        inline = [_get(v, "enabled") for v in _s3_inline(bucket, "versioning")]
        if not (any(s in ("Enabled", UNKNOWN) for s in statuses) or any(v in (True, UNKNOWN) for v in inline)):
            yield bucket.name, "is not versioned: an overwrite or delete would be final"
    for bucket in _of(resources, GCS_BUCKET):
        versioned = _get(bucket.props, "versioning", "enabled") in (True, UNKNOWN)
        retention = _get(bucket.props, "softDeletePolicy", "retentionDurationSeconds")
        soft_delete = retention is UNKNOWN or (isinstance(retention, (int, float)) and retention > 0)
        if not (versioned or soft_delete):
            yield bucket.name, "has neither versioning nor soft delete"
    for account in _of(resources, AZURE_ACCOUNT):
        services = _account_companions(resources, (AZURE_BLOB_SERVICE,), account)
        if not any(_get(s.props, "deleteRetentionPolicy", "enabled") in (True, UNKNOWN) for s in services):
            yield account.name, "has no blob soft delete of its own (BlobServiceProperties deleteRetentionPolicy)"
    for account in _of(resources, CLASSIC_ACCOUNT):
        retention = _get(account.props, "blobProperties", "deleteRetentionPolicy")
        days = _get(retention, "days")
        if not retention or (isinstance(days, (int, float)) and days <= 0):
            yield account.name, "has no blob soft delete (blobProperties.deleteRetentionPolicy)"


# -- IAM: what a grant may reach ------------------------------------------------------------------


def _scoped_arn(target: str) -> bool:
    """An ARN naming one bucket (any of its keys) or one other resource, with no wildcard before."""
    parts = target.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or any(_wildcard(part) for part in parts[1:5]):
        return False
    service, resource = parts[2], parts[5]
    if service == "s3":
        bucket = resource.split("/", 1)[0]
        return bool(bucket) and not _wildcard(bucket)
    return bool(resource) and not _wildcard(resource)


def _statement_scope(statement: Mapping[str, Any]) -> Iterator[str]:
    for negation in ("NotAction", "NotResource", "NotPrincipal"):
        if negation in statement:
            yield f"uses {negation}, which grants everything else"
    actions = _strings(statement.get("Action"))
    wildcards = sorted(a for a in actions if _wildcard(a))
    if wildcards:
        yield f"allows wildcard actions {wildcards}"
    outside = sorted(a for a in actions if not _wildcard(a) and a.split(":", 1)[0].lower() not in STORAGE_SERVICES)
    if outside:
        yield f"allows {outside}, which is not storage access"
    for target in _strings(statement.get("Resource")):
        if not _scoped_arn(target):
            yield f"applies to {target}, not to one bucket or key"


def _document_scope(document: Any, where: str = "") -> Iterator[str]:
    for statement in _document_statements(document):
        if isinstance(statement, str):
            yield statement + where
        elif _allows(statement):
            yield from (message + where for message in _statement_scope(statement))


def _stack_policy_arns(resources: Sequence[Resource]) -> tuple[set[str], list[re.Pattern[str]]]:
    """Known ARNs and name patterns of the managed policies this stack declares (and so reviews)."""
    arns: set[str] = set()
    names: list[re.Pattern[str]] = []
    for policy in _of(resources, IAM_MANAGED_POLICY):
        if isinstance(policy.props.get("arn"), str):
            arns.add(policy.props["arn"])
        name = policy.props.get("name")
        pattern = re.escape(name) if isinstance(name, str) else re.escape(policy.name) + AUTO_NAME_SUFFIX
        names.append(re.compile(r"^arn:[a-z-]+:iam::\d{12}:policy/(.+/)?" + pattern + "$"))
    return arns, names


def _attachment_scope(resources: Sequence[Resource], owner: Resource, policy_arn: Any, prop: str) -> Iterator[str]:
    """Only managed policies of this stack may be attached: the rest cannot be reviewed."""
    if policy_arn is None:
        return
    if policy_arn is UNKNOWN:
        stack_urns = {p.urn for p in _of(resources, IAM_MANAGED_POLICY) if p.urn}
        if not stack_urns & set(owner.property_dependencies.get(prop, ())):
            yield "attaches a policy that is not known yet and does not come from this stack"
        return
    arns, names = _stack_policy_arns(resources)
    if AWS_MANAGED_POLICY.match(str(policy_arn)):
        yield f"attaches the AWS-managed policy {policy_arn}, which is not scoped to one bucket"
    elif policy_arn not in arns and not any(n.match(str(policy_arn)) for n in names):
        yield f"attaches {policy_arn}, a policy outside this stack that this pack cannot review"


def _gcp_self_grant(member: Resource, members: list[str]) -> bool:
    """A service account's grant on itself (signing its own URLs), nobody else's."""
    account = member.props.get("serviceAccountId")
    if account is UNKNOWN or UNKNOWN in members:
        return True
    email = str(account).rsplit("/", 1)[-1]
    return bool(members) and all(m == f"serviceAccount:{email}" for m in members)


def iam_scoped_to_the_bucket(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for policy in _of(resources, *IAM_POLICY_TYPES):
        yield from ((policy.name, m) for m in _document_scope(policy.props.get("policy")))
    for role in _of(resources, IAM_ROLE):
        for inline in _as_list(role.props.get("inlinePolicies")):
            where = f" (inline policy {_get(inline, 'name')})"
            yield from ((role.name, m) for m in _document_scope(_get(inline, "policy"), where))
        managed = role.props.get("managedPolicyArns")
        if managed is UNKNOWN and "managedPolicyArns" not in role.property_dependencies:
            continue  # not declared: the provider reports what is attached, once it knows
        for arn in _as_list(managed):
            yield from ((role.name, m) for m in _attachment_scope(resources, role, arn, "managedPolicyArns"))
    for attachment in _of(resources, *IAM_ATTACHMENTS):
        policy_arn = attachment.props.get("policyArn")
        yield from ((attachment.name, m) for m in _attachment_scope(resources, attachment, policy_arn, "policyArn"))
    for grant in _of(resources, *GCP_WIDE_GRANTS):
        scope = GCP_WIDE_GRANTS[grant.type]
        for found in _grants(grant):
            if isinstance(found, str):
                yield grant.name, found
            else:
                where = scope.rstrip("s")
                yield grant.name, f"grants {found[0] or 'a role'} on the whole {where}; grant access on the bucket"
    for member in _of(resources, *GCP_SA_GRANTS):
        granted = member.props.get("role")
        members = _members(member)
        if granted not in (WORKLOAD_IDENTITY_ROLE, UNKNOWN) and not _gcp_self_grant(member, members):
            yield (
                member.name,
                f"grants {granted} on the service account to {members}; only the account itself may hold it",
            )
    for member in _of(resources, GCP_KMS_MEMBER):
        if member.props.get("role") not in (*GCP_KMS_ROLES, UNKNOWN):
            yield member.name, f"grants {member.props.get('role')} on a key; only encrypt/decrypt roles are allowed"


# -- trust: who may become the storage identity ---------------------------------------------------


def _web_identity_trust(statement: Mapping[str, Any], federated: list[str]) -> Iterator[str]:
    """Exact service accounts of the one cluster named as the federated principal, and the STS audience."""
    if len(federated) != 1 or ":oidc-provider/" not in federated[0]:
        yield f"trusts web identities of {federated or 'no federated principal'}; name one OIDC provider"
        return
    issuer = federated[0].split(":oidc-provider/", 1)[1]
    condition = statement.get("Condition") or {}
    others = sorted(set(condition) - {"StringEquals"}) if isinstance(condition, Mapping) else ["?"]
    if others:
        yield f"trusts with {others}; pin exact values with StringEquals"
    equals = _get(condition, "StringEquals") or {}
    # Condition keys are case-insensitive in IAM.
    pinned = {str(key).lower(): _strings(value) for key, value in equals.items()} if isinstance(equals, Mapping) else {}
    if pinned.get(f"{issuer}:aud".lower()) != ["sts.amazonaws.com"]:
        yield f"does not pin the audience {issuer}:aud to sts.amazonaws.com"
    subjects = pinned.get(f"{issuer}:sub".lower()) or []
    if not subjects or not all(SERVICE_ACCOUNT_SUBJECT.match(s) for s in subjects):
        yield (
            f"does not pin exact Kubernetes service accounts under {issuer}:sub "
            "(system:serviceaccount:<namespace>:<name>)"
        )


def _trust(statement: Mapping[str, Any]) -> Iterator[str]:
    for negation in ("NotAction", "NotPrincipal"):
        if negation in statement:
            yield f"trusts with {negation}, which lets in everyone else"
    actions = [a.lower() for a in _strings(statement.get("Action"))]
    principals = _principals(statement)
    if any(_wildcard(a) for a in actions):
        yield f"trusts wildcard actions {sorted(a for a in actions if _wildcard(a))}"
    if any(value == "*" for _, value in principals):
        yield "trusts anyone (Principal *)"
    if WEB_IDENTITY in actions:
        federated = [value for kind, value in principals if kind.lower() == "federated"]
        yield from _web_identity_trust(statement, federated)
    others = [a for a in actions if a != WEB_IDENTITY and not _wildcard(a)]
    pod_identity = all(kind.lower() == "service" and value == POD_IDENTITY_SERVICE for kind, value in principals)
    if others and not (principals and pod_identity and set(others) <= POD_IDENTITY_ACTIONS):
        yield (
            f"lets {[value for _, value in principals]} {others}; only EKS Pod Identity "
            f"({POD_IDENTITY_SERVICE}) or a pinned web identity may assume the role"
        )


def oidc_trust_pinned(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for role in _of(resources, IAM_ROLE):
        for statement in _document_statements(role.props.get("assumeRolePolicy")):
            if isinstance(statement, str):
                yield role.name, statement
            elif _allows(statement):
                yield from ((role.name, message) for message in _trust(statement))
    for member in _of(resources, *GCP_SA_GRANTS):
        if member.props.get("role") == WORKLOAD_IDENTITY_ROLE:
            members = _members(member)
            wrong = [m for m in members if m is not UNKNOWN and not WORKLOAD_IDENTITY_MEMBER.match(m)]
            if wrong or not members:
                yield (
                    member.name,
                    f"binds {wrong or 'nobody'}; bind exact accounts, <project>.svc.id.goog[<namespace>/<name>]",
                )


# -- credentials ----------------------------------------------------------------------------------


def no_plain_credentials_in_helm_values(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for release in _of(resources, HELM_RELEASE):
        values = release.props.get("values")
        found = sorted(_storage_credentials(values))
        if found and "values" not in release.secret_outputs:
            yield release.name, f"passes {', '.join(found)} in Helm values that are not kept secret"
        for path, name in sorted(_environment_credentials(values)):
            yield (
                release.name,
                f"sets the credential {name} in plain text under {path}; the chart writes it into the pod spec: "
                f"put it in a Kubernetes Secret and reference it from {path.replace('Vars', 'Secrets')}",
            )
    for secret in _of(resources, KUBERNETES_SECRET):
        exposed = sorted(k for k in ("data", "stringData") if k in secret.props and k not in secret.secret_outputs)
        if exposed:
            yield secret.name, f"keeps {', '.join(exposed)} out of Pulumi's secrets (additionalSecretOutputs)"


def _storage_credentials(values: Any) -> set[str]:
    """Credential keys set under global.persistence.config.<type>, where the chart reads them."""
    config = _get(values, "global", "persistence", "config")
    blocks = config.values() if isinstance(config, Mapping) else ()
    return {
        key
        for block in blocks
        if isinstance(block, Mapping)
        for key, value in block.items()
        if key in CREDENTIAL_CHART_KEYS and value not in (None, "")
    }


def is_credential(name: str, value: Any) -> bool:
    """Whether an environment variable holds a credential, by its name or by what its value is."""
    if not isinstance(value, str) or value == "":
        return False
    upper = name.upper()
    named = bool(CREDENTIAL_NAME.search(upper)) and not NON_CREDENTIAL_NAME.search(upper)
    if upper == "GOOGLE_APPLICATION_CREDENTIALS":
        named = not value.startswith("/")  # a path to the key file is fine, the key itself is not
    return named or bool(CREDENTIAL_VALUE.search(value))


def _environment(variables: Any) -> list[tuple[str, Any]]:
    """(name, value) of environment variables given as a mapping or as a list of name/value."""
    if isinstance(variables, Mapping):
        return [(str(name), value) for name, value in variables.items()]
    return [(str(_get(v, "name")), _get(v, "value")) for v in _as_list(variables) if isinstance(v, Mapping)]


def _environment_credentials(values: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, name) of every credential under any `extraEnvironmentVars` of the chart's values."""
    if isinstance(values, Mapping):
        for key, value in values.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "extraEnvironmentVars":
                yield from ((where, name) for name, item in _environment(value) if is_credential(name, item))
            else:
                yield from _environment_credentials(value, where)
    elif _is_list(values):
        for index, item in enumerate(values):
            yield from _environment_credentials(item, f"{path}[{index}]")


def storage_protected(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for resource in _of(resources, *DATA_TYPES):
        if not resource.protect:
            yield resource.name, "is not protected: `pulumi destroy` or a replacement could delete the data"


def is_guarded_type(resource_type: str) -> bool:
    """Whether a type stores data, grants access or controls it, so it must be reviewed."""
    return resource_type.startswith(GUARDED_TYPE_PREFIXES) or bool(GCP_IAM_TYPE.match(resource_type))


def resources_reviewed(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for resource in resources:
        if is_guarded_type(resource.type) and resource.type not in REVIEWED_TYPES:
            yield (
                resource.name,
                f"has the type {resource.type}, a storage, IAM or access-control type not reviewed by this pack: it "
                "may expose data or grant access unnoticed; teach policy/rules.py about it before declaring it",
            )


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
        "Credentials in Helm values are kept secret, never in plain environment variables.",
        no_plain_credentials_in_helm_values,
    ),
    Policy(
        "storage-protected", "Buckets, accounts, containers and keys are protected from deletion.", storage_protected
    ),
    Policy(
        "resources-reviewed",
        "Every storage, IAM and access-control resource is of a type these rules review.",
        resources_reviewed,
    ),
)


def evaluate(resources: Sequence[Resource], policies: Sequence[Policy] = POLICIES) -> list[Violation]:
    return [Violation(p.name, name, message) for p in policies for name, message in p.check(resources)]
