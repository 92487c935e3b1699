"""storage-protected and resources-reviewed: data-holding resources are protected, and every storage, IAM
or access-control type is one the rules review (the pack fails closed)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .model import Resource
from .reading import _of
from .resource_types import (
    AWS_IDENTITIES,
    AZURE_ACCOUNT,
    AZURE_BLOB_SERVICE,
    AZURE_CONTAINER,
    AZURE_MANAGEMENT_POLICY,
    AZURE_RESOURCE_GROUP,
    CLASSIC_ACCOUNT,
    CLASSIC_CONTAINER,
    CLASSIC_RESOURCE_GROUP,
    GCP_KMS_MEMBER,
    GCP_SA,
    GCP_SA_GRANTS,
    GCP_WIDE_GRANTS,
    GCS_ACCESS_CONTROLS,
    GCS_ACLS,
    GCS_BUCKET,
    GCS_BUCKET_IAM_POLICY,
    GCS_BUCKET_MEMBERS,
    IAM_ATTACHMENTS,
    IAM_POLICY_TYPES,
    IAM_ROLE,
    KMS_ALIAS,
    KMS_KEY,
    KMS_KEY_POLICY,
    KUBERNETES_SECRET,
    S3_ACCOUNT_PUBLIC_ACCESS_BLOCK,
    S3_ACLS,
    S3_BUCKET_POLICY,
    S3_BUCKETS,
    S3_ENCRYPTIONS,
    S3_HARMLESS,
    S3_OBJECTS,
    S3_PUBLIC_ACCESS_BLOCK,
    S3_VERSIONINGS,
)

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
                "may expose data or grant access unnoticed; teach policy/rules/ about it before declaring it",
            )
