"""AWS policy documents as plain data: visible in a plan, testable offline, no provider invokes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components.aws.settings import aws_partition

Document = dict[str, Any]

# What Label Studio does with its storage: list, and put/get/delete objects. Nothing else.
OBJECT_ACTIONS = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
KMS_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"]


def bucket_arn(bucket: str, region: str) -> str:
    return f"arn:{aws_partition(region)}:s3:::{bucket}"


def storage_policy(bucket: str, region: str, folder: str = "", kms_key_arn: str | None = None) -> Document:
    """The only permissions Label Studio gets: its bucket, and only `folder` when one is set."""
    arn = bucket_arn(bucket, region)
    listing: Document = {"Sid": "ListTheBucket", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": arn}
    if folder:
        listing["Condition"] = {"StringLike": {"s3:prefix": [f"{folder}/*"]}}
    statements = [
        listing,
        {
            "Sid": "ReadWriteObjects",
            "Effect": "Allow",
            "Action": OBJECT_ACTIONS,
            "Resource": f"{arn}/{folder}/*" if folder else f"{arn}/*",
        },
    ]
    if kms_key_arn:
        # SSE-KMS: writing needs a data key, reading needs decryption, both on this key only.
        statements.append({"Sid": "UseTheBucketKey", "Effect": "Allow", "Action": KMS_ACTIONS, "Resource": kms_key_arn})
    return {"Version": "2012-10-17", "Statement": statements}


def tls_only_bucket_policy(bucket: str, region: str) -> Document:
    """Refuse every request to the bucket that does not arrive over TLS."""
    arn = bucket_arn(bucket, region)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def oidc_issuer(oidc_provider_arn: str) -> str:
    """The issuer host/path, the part of the provider ARN after `oidc-provider/`."""
    return oidc_provider_arn.split(":oidc-provider/", 1)[1]


def service_account_subject(namespace: str, service_account: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account}"


def irsa_trust_policy(oidc_provider_arn: str, namespace: str, service_accounts: Sequence[str]) -> Document:
    """Trust exactly these service accounts of this cluster, with the STS audience, nothing else."""
    issuer = oidc_issuer(oidc_provider_arn)
    subjects = [service_account_subject(namespace, name) for name in service_accounts]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:aud": "sts.amazonaws.com",
                        f"{issuer}:sub": subjects[0] if len(subjects) == 1 else subjects,
                    }
                },
            }
        ],
    }


def pod_identity_trust_policy() -> Document:
    """EKS Pod Identity: the agent assumes the role; associations pin it to service accounts."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
