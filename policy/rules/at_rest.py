"""encryption-at-rest and versioning-or-soft-delete: stored data is encrypted and stays recoverable."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .model import UNKNOWN, Resource
from .reading import _account_companions, _as_list, _bucket_companions, _get, _of
from .resource_types import (
    AZURE_ACCOUNT,
    AZURE_BLOB_SERVICE,
    CLASSIC_ACCOUNT,
    GCS_BUCKET,
    S3_BUCKETS,
    S3_ENCRYPTIONS,
    S3_VERSIONINGS,
)


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
