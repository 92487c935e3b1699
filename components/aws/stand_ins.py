"""The plan's stand-ins for what AWS assigns: bucket and IAM ARNs, access keys, KMS key ids.

Nothing is contacted; every value is made up from the resource's name (components/stand_ins.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

from components.aws.settings import aws_partition
from components.stand_ins import Answer, auto_name, suffix

PROVIDER = "aws"
ACCOUNT = "123456789012"  # the stand-in account ARNs name when the stack names none
IAM_TYPES = ("aws:iam/role:Role", "aws:iam/user:User", "aws:iam/policy:Policy")
# The settings of `labelstudio:aws` whose ARNs name the stack's account, in the order they are trusted.
ACCOUNT_SOURCES = ("oidcProviderArn", "kmsKeyArn")


def stack_account(config: dict[str, str]) -> tuple[str, str] | None:
    """(account, the setting naming it) when the stack's own ARNs name its account, else None:
    the role the plan shows then sits in the cluster's account, as it will after `pulumi up`."""
    try:
        settings = json.loads(config.get("labelstudio:aws") or "{}")
    except ValueError:
        return None
    for key in ACCOUNT_SOURCES:
        arn = settings.get(key) if isinstance(settings, dict) else None
        found = re.fullmatch(r"arn:[\w-]+:(?:iam|kms):[\w-]*:(\d{12}):.+", arn) if isinstance(arn, str) else None
        if found:
            return found.group(1), f"labelstudio:aws.{key}"
    return None


class StandIns:
    def __init__(self, config: dict[str, str]):
        self.region = config.get("aws:region", "us-east-1")
        found = stack_account(config)
        self.account = found[0] if found else ACCOUNT
        self.note = (
            f"AWS ARNs are in account {found[0]}, the account of {found[1]}"
            if found
            else f"AWS account {ACCOUNT} in ARNs is a stand-in: the stack names no account (no "
            "labelstudio:aws.oidcProviderArn or kmsKeyArn); the real one is the account `pulumi up` runs in"
        )

    def new_resource(self, kind: str, name: str, inputs: dict[str, Any]) -> Answer | None:
        if kind == "aws:s3/bucket:Bucket":
            return self._bucket(inputs.get("bucket") or auto_name(name))
        if kind in IAM_TYPES:
            iam_name = inputs.get("name") or auto_name(name)
            noun = kind.split(":")[-1].lower()
            path = inputs.get("path", "/")
            return iam_name, {
                "name": iam_name,
                "arn": f"arn:{aws_partition(self.region)}:iam::{self.account}:{noun}{path}{iam_name}",
            }
        if kind == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            # A cluster's OIDC provider (the TypeScript example creates one): AWS names it by its ARN.
            issuer = str(inputs.get("url", "")).removeprefix("https://")
            arn = f"arn:{aws_partition(self.region)}:iam::{self.account}:oidc-provider/{issuer}"
            return arn, {"arn": arn}
        if kind == "aws:iam/accessKey:AccessKey":
            return "STANDINACCESSKEYID", {"secret": "stand-in-secret-access-key", "status": "Active"}
        if kind == "aws:kms/key:Key":
            key_id = "00000000-0000-4000-8000-" + suffix(name).ljust(12, "0")
            return key_id, {
                "arn": f"arn:{aws_partition(self.region)}:kms:{self.region}:{self.account}:key/{key_id}",
                "key_id": key_id,
            }
        if kind == "aws:eks/podIdentityAssociation:PodIdentityAssociation":
            return str(inputs.get("name") or auto_name(name)), {"associationId": f"a-{suffix(name)}"}
        return None

    def _bucket(self, bucket: str) -> Answer:
        arn = f"arn:{aws_partition(self.region)}:s3:::{bucket}"
        return bucket, {"bucket": bucket, "arn": arn, "region": self.region}

    def call(self, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
        if token == "aws:s3/getBucket:getBucket" and isinstance(args.get("bucket"), str):
            # An existing bucket, found in the stack's region.
            bucket_id, state = self._bucket(args["bucket"])
            return {**state, "id": bucket_id}
        return None

    def stack_output(self, setting: str) -> Any | None:
        """The cluster facts an EKS stack exports, as stand-ins in the bucket's region."""
        issuer = f"oidc.eks.{self.region}.amazonaws.com/id/{'0' * 32}"
        return {
            "oidcProviderArn": f"arn:{aws_partition(self.region)}:iam::{self.account}:oidc-provider/{issuer}",
            "clusterName": "stand-in-cluster",
            "nodeRoleName": "stand-in-node-role",
        }.get(setting)
