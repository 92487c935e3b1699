"""The plan's stand-ins for what AWS assigns: bucket and IAM ARNs, access keys, KMS key ids.

Nothing is contacted; every value is made up from the resource's name (components/stand_ins.py).
"""

from __future__ import annotations

from typing import Any

from components.aws.settings import aws_partition
from components.stand_ins import Answer, auto_name, suffix

PROVIDER = "aws"
ACCOUNT = "123456789012"  # the stand-in account every ARN names
IAM_TYPES = ("aws:iam/role:Role", "aws:iam/user:User", "aws:iam/policy:Policy")


class StandIns:
    def __init__(self, config: dict[str, str]):
        self.region = config.get("aws:region", "us-east-1")

    def new_resource(self, kind: str, name: str, inputs: dict[str, Any]) -> Answer | None:
        if kind == "aws:s3/bucket:Bucket":
            return self._bucket(inputs.get("bucket") or auto_name(name))
        if kind in IAM_TYPES:
            iam_name = inputs.get("name") or auto_name(name)
            noun = kind.split(":")[-1].lower()
            path = inputs.get("path", "/")
            return iam_name, {"name": iam_name, "arn": f"arn:aws:iam::{ACCOUNT}:{noun}{path}{iam_name}"}
        if kind == "aws:iam/accessKey:AccessKey":
            return "STANDINACCESSKEYID", {"secret": "stand-in-secret-access-key", "status": "Active"}
        if kind == "aws:kms/key:Key":
            key_id = "00000000-0000-4000-8000-" + suffix(name).ljust(12, "0")
            return key_id, {"arn": f"arn:aws:kms:{self.region}:{ACCOUNT}:key/{key_id}", "key_id": key_id}
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
            "oidcProviderArn": f"arn:{aws_partition(self.region)}:iam::{ACCOUNT}:oidc-provider/{issuer}",
            "clusterName": "stand-in-cluster",
            "nodeRoleName": "stand-in-node-role",
        }.get(setting)
