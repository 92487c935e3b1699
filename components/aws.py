"""S3 storage for Label Studio: a hardened bucket and exactly one way for Label Studio to reach it."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components import aws_documents as documents
from components.env_list import S3_SIGNATURE_VERSION
from components.facts import CORS_MAX_AGE_SECONDS, CORS_METHODS, Credential, StorageFacts, storage_tags
from components.settings import Settings

CORS_EXPOSED_HEADERS = ["x-amz-server-side-encryption", "x-amz-request-id", "x-amz-id-2"]
ABORT_INCOMPLETE_UPLOADS_DAYS = 7
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


# botocore presigns with SigV2 in regions that still accept it unless told otherwise; S3 refuses
# SigV2 for buckets created after June 2020 (all of ours) and for SSE-KMS objects, so every link
# Label Studio hands out would fail. Its storage backend reads this variable.
S3_SIGNING_ENVIRONMENT = {S3_SIGNATURE_VERSION: "s3v4"}


class AwsStorage(pulumi.ComponentResource):
    """The S3 bucket, its hardening, a bucket-scoped IAM policy and the chosen access mode.

    The secure defaults live here rather than in settings, so no stack can forget one.
    """

    facts: StorageFacts

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("labelstudio:aws:Storage", name, None, opts)
        assert settings.aws is not None and settings.aws_region is not None
        self._settings = settings
        region, folder = settings.aws_region, settings.folder
        child = pulumi.ResourceOptions(parent=self)
        # Data lives in the bucket and is sealed by the key: both are protected from deletion.
        keep = pulumi.ResourceOptions(parent=self, protect=settings.protect)
        # The bucket's own settings stay on the bucket when they leave the stack (for example
        # `pulumi destroy --exclude-protected`), so a kept bucket stays private and versioned.
        hardening = pulumi.ResourceOptions(parent=self, retain_on_delete=settings.protect)
        tags = storage_tags(pulumi.get_stack())

        self.bucket = aws.s3.Bucket(
            f"{name}-bucket", bucket=settings.bucket, force_destroy=settings.force_destroy, tags=tags, opts=keep
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
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                {
                    "id": "keep-old-versions-for-retention-days",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {"noncurrent_days": settings.retention_days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS},
                }
            ],
            opts=pulumi.ResourceOptions.merge(hardening, pulumi.ResourceOptions(depends_on=[versioning])),
        )

        self.kms_key_arn = self._encryption(name, keep, hardening, tags)
        self.cors = aws.s3.BucketCorsConfiguration(
            f"{name}-cors",
            bucket=self.bucket.id,
            cors_rules=[
                {
                    "allowed_headers": ["*"],
                    "allowed_methods": CORS_METHODS,
                    "allowed_origins": list(settings.cors_origins),
                    "expose_headers": CORS_EXPOSED_HEADERS,
                    "max_age_seconds": CORS_MAX_AGE_SECONDS,
                }
            ],
            opts=child,
        )
        # S3 answers 409 when a bucket policy races the public-access block: wait for it.
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=self.bucket.id,
            policy=json.dumps(documents.tls_only_bucket_policy(settings.bucket, region)),
            opts=pulumi.ResourceOptions.merge(hardening, pulumi.ResourceOptions(depends_on=[public_access])),
        )

        policy_document = pulumi.Output.from_input(self.kms_key_arn).apply(
            lambda key_arn: json.dumps(documents.storage_policy(settings.bucket, region, folder, key_arn))
        )
        self.policy = aws.iam.Policy(
            f"{name}-policy",
            description=f"Label Studio ({pulumi.get_stack()}): objects in s3://{settings.bucket}/{folder}",
            policy=policy_document,
            tags=tags,
            opts=child,
        )

        access = {
            "irsa": self._irsa,
            "pod-identity": self._pod_identity,
            "node-role": self._node_role,
            "access-keys": self._access_keys,
        }[settings.access or ""]
        access_facts = access(name, child, tags)

        persistence_config = {"bucket": settings.bucket, "region": region, "folder": folder}
        self.facts = StorageFacts(
            persistence_type="s3",
            persistence_config=persistence_config,
            environment=S3_SIGNING_ENVIRONMENT,
            exports={
                "bucketName": self.bucket.bucket,
                "bucketArn": self.bucket.arn,
                "region": region,
                "folder": folder,
                "corsOrigins": list(settings.cors_origins),
                "policyArn": self.policy.arn,
                **({"kmsKeyArn": self.kms_key_arn} if self.kms_key_arn is not None else {}),
                **access_facts.pop("exports"),
            },
            **access_facts,
        )
        self.register_outputs(
            {"bucketName": self.bucket.bucket, "bucketArn": self.bucket.arn, "policyArn": self.policy.arn}
        )

    def _encryption(
        self, name: str, keep: pulumi.ResourceOptions, hardening: pulumi.ResourceOptions, tags: dict[str, str]
    ) -> pulumi.Input[str] | None:
        """SSE-S3 by default; SSE-KMS with a bucket key on request, creating a rotating key if none is given."""
        aws_settings = self._settings.aws
        assert aws_settings is not None
        key_arn: pulumi.Input[str] | None = None
        if aws_settings.uses_kms:
            if aws_settings.kms_key_arn:
                key_arn = aws_settings.kms_key_arn
            else:
                key = aws.kms.Key(
                    f"{name}-key",
                    description=f"Label Studio ({pulumi.get_stack()}): encrypts s3://{self._settings.bucket}",
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
            rules=[{"apply_server_side_encryption_by_default": default, "bucket_key_enabled": aws_settings.uses_kms}],
            opts=hardening,
        )
        return key_arn

    # -- access modes: each returns the StorageFacts fields it decides ------------------------------

    def _role(
        self, name: str, trust: dict[str, Any], child: pulumi.ResourceOptions, tags: dict[str, str]
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        settings = self._settings
        role = aws.iam.Role(
            name,
            description=f"Label Studio ({pulumi.get_stack()}) in {settings.namespace}/{settings.release}: s3://{settings.bucket}",
            assume_role_policy=json.dumps(trust),
            tags=tags,
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-policy", role=role.name, policy_arn=self.policy.arn, opts=child
        )
        return role, attachment

    def _irsa(self, name: str, child: pulumi.ResourceOptions, tags: dict[str, str]) -> dict[str, Any]:
        settings = self._settings
        assert settings.aws is not None and settings.aws.oidc_provider_arn is not None
        trust = documents.irsa_trust_policy(
            settings.aws.oidc_provider_arn, settings.namespace, list(settings.service_account_names.values())
        )
        role, attachment = self._role(f"{name}-irsa", trust, child, tags)
        return {
            "service_account_annotations": {IRSA_ANNOTATION: role.arn},
            "ready": [attachment, self.cors],
            "exports": {"roleArn": role.arn, "roleName": role.name},
        }

    def _pod_identity(self, name: str, child: pulumi.ResourceOptions, tags: dict[str, str]) -> dict[str, Any]:
        settings = self._settings
        assert settings.aws is not None and settings.aws.cluster_name is not None
        role, attachment = self._role(f"{name}-pod-identity", documents.pod_identity_trust_policy(), child, tags)
        associations = [
            aws.eks.PodIdentityAssociation(
                f"{name}-{component}",
                cluster_name=settings.aws.cluster_name,
                namespace=settings.namespace,
                service_account=service_account,
                role_arn=role.arn,
                tags=tags,
                opts=child,
            )
            for component, service_account in settings.service_account_names.items()
        ]
        return {
            "ready": [attachment, *associations, self.cors],
            "exports": {"roleArn": role.arn, "roleName": role.name},
        }

    def _node_role(self, name: str, child: pulumi.ResourceOptions, tags: dict[str, str]) -> dict[str, Any]:
        settings = self._settings
        assert settings.aws is not None and settings.aws.node_role_name is not None
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-node-role-policy", role=settings.aws.node_role_name, policy_arn=self.policy.arn, opts=child
        )
        return {"ready": [attachment, self.cors], "exports": {"nodeRoleName": settings.aws.node_role_name}}

    def _access_keys(self, name: str, child: pulumi.ResourceOptions, tags: dict[str, str]) -> dict[str, Any]:
        settings = self._settings
        user = aws.iam.User(f"{name}-user", path="/labelstudio/", tags=tags, opts=child)
        attachment = aws.iam.UserPolicyAttachment(
            f"{name}-user-policy", user=user.name, policy_arn=self.policy.arn, opts=child
        )
        # The SDK declares `secret` a secret output, which the engine (not the mock monitor)
        # applies; wrapping keeps the keys secret wherever they flow, whatever runs the program.
        key = aws.iam.AccessKey(f"{name}-access-key", user=user.name, opts=child)
        key_id: pulumi.Output[str] = pulumi.Output.secret(key.id)
        key_secret: pulumi.Output[str] = pulumi.Output.secret(key.secret)
        return {
            "credentials": [
                Credential(chart_key="accessKey", secret_key="accesskey", value=key_id),
                Credential(chart_key="secretKey", secret_key="secretkey", value=key_secret),
            ],
            "env_list": [
                ("STORAGE_TYPE", "s3"),
                ("STORAGE_AWS_ACCESS_KEY_ID", key_id),
                ("STORAGE_AWS_SECRET_ACCESS_KEY", key_secret),
                ("STORAGE_AWS_BUCKET_NAME", settings.bucket),
                ("STORAGE_AWS_REGION_NAME", settings.aws_region),
                ("STORAGE_AWS_FOLDER", settings.folder),
            ],
            "ready": [attachment, self.cors],
            "exports": {"userName": user.name},
        }
