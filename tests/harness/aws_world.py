"""What the program declares for AWS, stood up on moto: the bucket, and the principal with exactly its policy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.harness.s3_world import REGION, apply_bucket, client, stand_up_existing_bucket
from tools.mockrun import Declaration, reveal

OTHER_BUCKET = "someone-elses-bucket"
EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
# Where the EKS pod identity webhook mounts the projected service account token.
IRSA_TOKEN_PATH = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"


@dataclass
class World:
    endpoint: str
    bucket: str
    policy_arn: str
    operator: Any  # an S3 client allowed everything, to look at the bucket from outside
    operator_key: tuple[str, str]


def stand_up(declaration: Declaration, endpoint: str, policy: str | None = None) -> World:
    """The declared bucket with all its settings (for storage the stack did not create, the bucket
    as a team has it, then adopted: hardened as declared), a bucket the principal must not reach, the
    declared policy, and an operator who sees everything (moto's root keys stop working once IAM is
    enforced). `policy` replaces the declared policy, to show what a wrong one lets through."""
    existing = reveal(declaration.outputs.get("storage")) in ("existing", "adopt")
    bucket = stand_up_existing_bucket(declaration, endpoint) if existing else apply_bucket(declaration, endpoint)
    client("s3", endpoint).create_bucket(Bucket=OTHER_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    client("s3", endpoint).put_object(Bucket=OTHER_BUCKET, Key="media/theirs.json", Body=b"{}")
    iam = client("iam", endpoint)
    document = policy or reveal(declaration.one("aws:iam/policy:Policy").inputs)["policy"]
    policy_arn = iam.create_policy(PolicyName="label-studio", PolicyDocument=document)["Policy"]["Arn"]
    iam.create_user(UserName="operator")
    iam.put_user_policy(UserName="operator", PolicyName="everything", PolicyDocument=json.dumps(EVERYTHING))
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    operator = client("s3", endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    return World(
        endpoint=endpoint,
        bucket=bucket,
        policy_arn=policy_arn,
        operator=operator,
        operator_key=(key["AccessKeyId"], key["SecretAccessKey"]),
    )


def access_key_user(declaration: Declaration, world: World) -> dict[str, str]:
    """The declared IAM user with the declared policy attached; the keys moto issues for it."""
    iam = client("iam", world.endpoint)
    user = reveal(declaration.one("aws:iam/user:User").inputs)
    iam.create_user(UserName="label-studio", Path=user["path"])
    iam.attach_user_policy(UserName="label-studio", PolicyArn=world.policy_arn)
    key = iam.create_access_key(UserName="label-studio")["AccessKey"]
    return {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}


def signature_s3_accepts(url: str, region: str, access_key_id: str) -> list[str]:
    """Why real S3 would refuse this presigned URL for one of our buckets; empty when it would serve it.

    S3 refuses Signature Version 2 for buckets created after June 2020 and for SSE-KMS objects,
    so a link must be SigV4 (`X-Amz-Algorithm=AWS4-HMAC-SHA256`) scoped to the bucket's region and
    the `s3` service, expire within seven days, and carry the session token of temporary
    credentials. The signature itself is checked by s3_front, which serves the bytes only when it holds.
    """
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    if "Signature" in query or "AWSAccessKeyId" in query:
        return ["signed with Signature Version 2, which S3 refuses for this bucket"]
    problems = []
    if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        problems.append(f"X-Amz-Algorithm is {query.get('X-Amz-Algorithm')!r}, not AWS4-HMAC-SHA256")
    scope = query.get("X-Amz-Credential", "").split("/")
    if len(scope) != 5 or scope[2] != region or scope[3] != "s3" or scope[4] != "aws4_request":
        problems.append(f"credential scope {'/'.join(scope)!r} is not <key>/<date>/{region}/s3/aws4_request")
    elif scope[0] != access_key_id:
        problems.append(f"signed by {scope[0]}, not by Label Studio's own principal {access_key_id}")
    if not 0 < int(query.get("X-Amz-Expires", "0")) <= 604800:
        problems.append(f"X-Amz-Expires {query.get('X-Amz-Expires')!r} is not within 1..604800 seconds")
    if access_key_id.startswith("ASIA") and "X-Amz-Security-Token" not in query:
        problems.append("temporary credentials without X-Amz-Security-Token")
    return problems
