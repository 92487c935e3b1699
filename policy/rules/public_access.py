"""no-public-storage: no bucket, container, object or key can be made public."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .model import UNKNOWN, Resource
from .reading import (
    _allows,
    _as_list,
    _bucket_companions,
    _document_statements,
    _get,
    _grants,
    _of,
    _public_principal,
    _strings,
)
from .resource_types import (
    AZURE_ACCOUNT,
    AZURE_CONTAINER,
    CLASSIC_ACCOUNT,
    CLASSIC_CONTAINER,
    GCP_KMS_MEMBER,
    GCP_WIDE_GRANTS,
    GCS_ACCESS_CONTROLS,
    GCS_ACLS,
    GCS_BUCKET,
    GCS_BUCKET_IAM_POLICY,
    GCS_BUCKET_MEMBERS,
    KMS_KEY,
    KMS_KEY_POLICY,
    S3_ACCOUNT_PUBLIC_ACCESS_BLOCK,
    S3_ACLS,
    S3_BUCKET_POLICY,
    S3_BUCKETS,
    S3_OBJECTS,
    S3_PUBLIC_ACCESS_BLOCK,
)

PUBLIC_S3_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_S3_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
PUBLIC_GCS_ACLS = ("publicRead", "publicReadWrite", "authenticatedRead")
PUBLIC_MEMBERS = ("allusers", "allauthenticatedusers")


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
