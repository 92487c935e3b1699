"""The resource types the rules read, in each provider's spelling."""

from __future__ import annotations

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
