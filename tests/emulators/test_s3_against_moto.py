"""What the program declares for S3, applied to a real S3 API (moto's server on 127.0.0.1).

moto implements S3's CORS origin matching, public-access blocks, encryption, versioning,
lifecycle and IAM policy evaluation for S3 actions and resources. Where it differs from S3,
the tests assert only what it implements, and say so:
- it matches CORS origins but not methods, and answers a bucket without CORS with 200
  (S3 says 403);
- it does not evaluate the `s3:prefix` condition on ListBucket;
- it treats a Deny statement whose condition key it lacks as a denial; over plain HTTP
  (moto's) that is what S3 does with our TLS-only bucket policy, for a different reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import aws_stack, run
from tests.harness.s3_world import REGION, apply_bucket, client, inputs
from tests.harness.servers import enforce_iam, moto_server
from tools.mockrun import Declaration, reveal

ALLOWED = ["https://label.example.com", "http://localhost:8080"]


@pytest.fixture(scope="module")
def declared() -> Declaration:
    return run(aws_stack(access="access-keys", aws=None, folder="media", corsOrigins=ALLOWED))


@pytest.fixture(scope="module")
def applied(declared) -> Iterator[tuple[str, str]]:
    """A moto server holding the bucket as declared, IAM not enforced."""
    with moto_server() as endpoint:
        yield endpoint, apply_bucket(declared, endpoint)


def test_declared_bucket_settings_are_accepted_and_read_back(applied):
    endpoint, bucket = applied
    s3 = client("s3", endpoint)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    (cors,) = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert cors["AllowedOrigins"] == ALLOWED and cors["MaxAgeSeconds"] == 3600


def preflight(endpoint: str, bucket: str, origin: str, method: str = "PUT") -> requests.Response:
    return requests.options(
        f"{endpoint}/{bucket}/media/upload.png",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )


def test_cors_lets_each_allowed_origin_upload_and_refuses_any_other(applied):
    endpoint, bucket = applied
    for origin in ALLOWED:
        answer = preflight(endpoint, bucket, origin)
        assert answer.status_code == 200, origin
        assert answer.headers["Access-Control-Allow-Origin"] == origin
    refused = preflight(endpoint, bucket, "https://evil.example.com")
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers


@pytest.fixture
def iam_world(declared) -> Iterator[dict[str, Any]]:
    """A fresh moto with the declared bucket, the declared IAM policy on a user, then IAM enforced."""
    with moto_server() as endpoint:
        bucket = apply_bucket(declared, endpoint)
        client("s3", endpoint).create_bucket(
            Bucket="someone-elses-bucket", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        iam = client("iam", endpoint)
        policy = iam.create_policy(
            PolicyName="label-studio", PolicyDocument=reveal(declared.one("aws:iam/policy:Policy").inputs)["policy"]
        )
        iam.create_user(UserName="label-studio", Path="/labelstudio/")
        iam.attach_user_policy(UserName="label-studio", PolicyArn=policy["Policy"]["Arn"])
        key = iam.create_access_key(UserName="label-studio")["AccessKey"]
        iam.create_user(UserName="operator")
        iam.put_user_policy(
            UserName="operator",
            PolicyName="everything",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
        operator = iam.create_access_key(UserName="operator")["AccessKey"]
        enforce_iam(endpoint)
        yield {
            "bucket": bucket,
            "s3": client("s3", endpoint, key["AccessKeyId"], key["SecretAccessKey"]),
            "operator": client("s3", endpoint, operator["AccessKeyId"], operator["SecretAccessKey"]),
        }


def denied(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except ClientError as error:
        return error.response["Error"]["Code"] in ("AccessDenied", "403")
    return False


def test_the_declared_policy_lets_label_studio_work_in_its_folder_and_nowhere_else(iam_world):
    s3, bucket = iam_world["s3"], iam_world["bucket"]
    s3.put_object(Bucket=bucket, Key="media/task.json", Body=b"{}")
    assert s3.get_object(Bucket=bucket, Key="media/task.json")["Body"].read() == b"{}"
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="media/")
    assert [item["Key"] for item in listed["Contents"]] == ["media/task.json"]
    s3.delete_object(Bucket=bucket, Key="media/task.json")

    assert denied(s3.put_object, Bucket=bucket, Key="outside.json", Body=b"{}")
    assert denied(s3.get_object, Bucket=bucket, Key="other/media/task.json")
    assert denied(s3.put_object, Bucket="someone-elses-bucket", Key="media/task.json", Body=b"{}")
    assert denied(s3.list_objects_v2, Bucket="someone-elses-bucket")


def test_the_tls_only_bucket_policy_refuses_plain_http_even_to_an_allowed_user(declared, iam_world):
    s3, bucket = iam_world["s3"], iam_world["bucket"]
    s3.put_object(Bucket=bucket, Key="media/before.json", Body=b"{}")
    declared_policy = inputs(declared, "bucketPolicy:BucketPolicy")["policy"]
    iam_world["operator"].put_bucket_policy(Bucket=bucket, Policy=declared_policy)
    assert json.loads(iam_world["operator"].get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(declared_policy)
    assert denied(s3.put_object, Bucket=bucket, Key="media/after.json", Body=b"{}")
    assert denied(s3.get_object, Bucket=bucket, Key="media/before.json")
