"""The `labelstudio:aws` settings: the object's model, the S3 bucket and AWS name rules (regions,
partitions, ARNs) and AWS's part of the stack contract (`CLOUD`). Pure; loads no cloud SDK.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from components.names import IPV4
from components.settings.cloud import CloudSettings, Model, ProviderKey, RequiredSetting, StackValue, held_to
from components.settings.problems import problem

_AWS_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}", re.ASCII)
_AWS_PARTITION = r"(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-[a-z])"
_OIDC_ARN = re.compile(
    r"arn:" + _AWS_PARTITION + r":iam::(\d{12}):oidc-provider/([a-z0-9.-]+(/[A-Za-z0-9._-]+)*)", re.ASCII
)
_KMS_KEY_ARN = re.compile(
    r"arn:" + _AWS_PARTITION + r":kms:([a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}):(\d{12}):"
    r"key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})",
    re.ASCII,
)
_EKS_CLUSTER = re.compile(r"[0-9A-Za-z][A-Za-z0-9_-]{0,99}", re.ASCII)
_IAM_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
S3_BUCKET_RULES = (
    "3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a "
    "letter or digit, not shaped like an IP address"
)


def aws_partition(region: str) -> str:
    """The ARN partition an AWS region belongs to (China and GovCloud are partitions of their own)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if "-gov-" in region:
        return "aws-us-gov"
    isolated = re.fullmatch(r"[a-z]{2}-iso([a-z]?)-.*", region)
    if isolated:
        return "aws-iso" + (f"-{isolated.group(1)}" if isolated.group(1) else "")
    return "aws"


def s3_bucket_problem(name: str) -> str | None:
    """Why `name` is not a valid S3 general-purpose bucket name, or None."""
    bad = (
        not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name, re.ASCII)
        or ".." in name
        or ".-" in name
        or "-." in name
        or IPV4.fullmatch(name)
        or name.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        or name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))
    )
    return f"is not a valid S3 bucket name; use {S3_BUCKET_RULES}" if bad else None


def oidc_provider_arn_problem(arn: str) -> str | None:
    """Why `arn` is not an IAM OIDC provider ARN, or None."""
    if _OIDC_ARN.fullmatch(arn):
        return None
    return (
        "is not an IAM OIDC provider ARN; expected arn:aws:iam::<account>:oidc-provider/"
        "oidc.eks.<region>.amazonaws.com/id/<id> (aws eks describe-cluster shows the issuer)"
    )


def cluster_name_problem(name: str) -> str | None:
    """Why `name` is not an EKS cluster name, or None."""
    if _EKS_CLUSTER.fullmatch(name):
        return None
    return "is not an EKS cluster name (1-100 letters, digits, '-' and '_', starting with a letter or digit)"


def node_role_name_problem(name: str) -> str | None:
    """Why `name` is not an IAM role name, or None."""
    if name.startswith("arn:"):
        return "takes the role's name, not its ARN; use the part after 'role/' (without any path)"
    if not _IAM_ROLE_NAME.fullmatch(name):
        return "is not an IAM role name (1-64 letters, digits and +=,.@_-)"
    return None


# The settings that may be read from the cluster's own stack, each with its rule.
CLUSTER_FACTS = {
    "oidc_provider_arn": oidc_provider_arn_problem,
    "cluster_name": cluster_name_problem,
    "node_role_name": node_role_name_problem,
}


class AwsSettings(Model):
    """The `labelstudio:aws` object."""

    oidc_provider_arn: StackValue | None = Field(
        None,
        description="the cluster's IAM OIDC provider, "
        "`arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>`; or read from the "
        "cluster's stack, see [below](#cluster-facts-from-another-stack)",
        json_schema_extra={"used_by": "`irsa` (required)"},
    )
    cluster_name: StackValue | None = Field(
        None,
        description="the EKS cluster's name; or read from the cluster's stack",
        json_schema_extra={"used_by": "`pod-identity` (required)"},
    )
    node_role_name: StackValue | None = Field(
        None,
        description="the node group's IAM role *name* (not its ARN); or read from the cluster's stack",
        json_schema_extra={"used_by": "`node-role` (required)"},
    )
    kms_key_arn: str | None = Field(
        None,
        description="an existing KMS key in the bucket's region; implies `kms`. With `encryption: kms` and no key, "
        "a key with yearly rotation is created",
        json_schema_extra={"used_by": "all"},
    )
    encryption: Literal["aes256", "kms"] | None = Field(
        None,
        description="`aes256` (SSE-S3) or `kms` (SSE-KMS with a bucket key)",
        json_schema_extra={"used_by": "all", "default_doc": "`aes256`; `kms` when `kmsKeyArn` is set"},
    )

    @field_validator(*CLUSTER_FACTS)
    @classmethod
    def _cluster_fact(cls, value: StackValue | None, info: ValidationInfo) -> StackValue | None:
        return held_to(CLUSTER_FACTS[str(info.field_name)], value)

    @field_validator("kms_key_arn")
    @classmethod
    def _kms_arn(cls, value: str | None) -> str | None:
        if value is not None and not _KMS_KEY_ARN.fullmatch(value):
            raise problem(
                "is not a KMS key ARN; expected arn:aws:kms:<region>:<account>:key/<key-id> "
                "(an alias ARN cannot be used in the IAM policy that grants the key)"
            )
        return value

    @model_validator(mode="after")
    def _key_needs_kms(self) -> AwsSettings:
        if self.kms_key_arn and self.encryption == "aes256":
            raise problem(
                "encryption aes256 contradicts kmsKeyArn; set encryption to kms or remove kmsKeyArn", "encryption"
            )
        return self

    @property
    def uses_kms(self) -> bool:
        return self.encryption == "kms" or bool(self.kms_key_arn)

    @property
    def kms_key_region(self) -> str | None:
        match = _KMS_KEY_ARN.fullmatch(self.kms_key_arn or "")
        return match.group(2) if match else None


def region_problem(region: str) -> str | None:
    """Why `region` is not an AWS region name, or None."""
    return None if _AWS_REGION.fullmatch(region) else "is not an AWS region name; use e.g. us-east-1 or eu-central-1"


def partition_problem(arn: str, region: str) -> str | None:
    """Why `arn` cannot be used with a bucket in `region` (IAM and KMS never cross partitions), or None."""
    partition, expected = arn.split(":")[1:2], aws_partition(region)
    if partition and partition[0] != expected:
        return (
            f"is an ARN of partition {partition[0]}, but aws:region {region} is in partition {expected}; "
            f"IAM and KMS never cross partitions, so use an ARN starting arn:{expected}:"
        )
    return None


def object_problem(aws: AwsSettings, region: str | None) -> tuple[str, str] | None:
    """What in the object contradicts the bucket's region: (key, message), or None."""
    if not region:
        return None
    for alias, arn in (("oidcProviderArn", aws.oidc_provider_arn), ("kmsKeyArn", aws.kms_key_arn)):
        found = partition_problem(arn, region) if isinstance(arn, str) else None
        if found:
            return alias, found
    if aws.kms_key_region and aws.kms_key_region != region:
        return "kmsKeyArn", (
            f"is in {aws.kms_key_region} but the bucket is in {region}; "
            "S3 can only use a KMS key from the bucket's own region"
        )
    return None


def _known_regions() -> frozenset[str] | None:
    """pulumi_aws's list of regions, read when the settings are checked (components/aws/regions.py)."""
    from components.aws.regions import known_regions

    return known_regions()


CLOUD = CloudSettings(
    model=AwsSettings,
    field=Field(
        None,
        validate_default=True,
        description="the AWS object (cloud `aws`): see [aws.md](aws.md)",
        json_schema_extra={"default_doc": "`{}`"},
    ),
    title="AWS",
    access_modes=("irsa", "pod-identity", "access-keys", "node-role"),
    keyed_access="access-keys",
    bucket_problem=s3_bucket_problem,
    provider_key=ProviderKey(
        key="aws:region",
        field_name="aws_region",
        field=Field(
            None,
            alias="aws:region",
            validate_default=True,
            description="the AWS provider's region, where the bucket is created (cloud `aws`)",
            json_schema_extra={
                "prompt": "AWS region for the bucket, e.g. eu-west-1 (cloud aws only; else leave empty)"
            },
        ),
        how_to_set="run `pulumi config set aws:region <region>`, e.g. us-east-1",
        problem=region_problem,
        environment=("AWS_REGION", "AWS_DEFAULT_REGION"),
        known=_known_regions,
    ),
    required_for_access={
        "irsa": RequiredSetting("oidc_provider_arn", "the ARN of the cluster's IAM OIDC provider"),
        "pod-identity": RequiredSetting("cluster_name", "the EKS cluster's name"),
        "node-role": RequiredSetting("node_role_name", "the name of the node group's IAM role"),
    },
    object_problem=object_problem,
)
