"""Applying what the program declares for S3 to a real S3 API, as the provider would."""

from __future__ import annotations

from typing import Any

import boto3

from tools.mockrun import Declaration, reveal

REGION = "eu-west-1"


def inputs(declaration: Declaration, type_: str) -> dict[str, Any]:
    return reveal(declaration.one(f"aws:s3/{type_}").inputs)


API_NAMES = {"sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID", "id": "ID"}


def cap(document: Any) -> Any:
    """Pulumi's camelCase inputs as the S3 API's CapitalCase shapes."""
    if isinstance(document, dict):
        return {API_NAMES.get(key, key[:1].upper() + key[1:]): cap(value) for key, value in document.items()}
    if isinstance(document, list):
        return [cap(item) for item in document]
    return document


def client(service: str, endpoint: str, key_id: str = "admin", secret: str = "admin") -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=key_id, aws_secret_access_key=secret
    )


def apply_bucket(declaration: Declaration, endpoint: str) -> str:
    """Create the bucket and every setting the program declares for it, the way the provider would."""
    s3 = client("s3", endpoint)
    bucket = inputs(declaration, "bucket:Bucket")["bucket"]
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    block = inputs(declaration, "bucketPublicAccessBlock:BucketPublicAccessBlock")
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration=cap({key: value for key, value in block.items() if key != "bucket"}),
    )
    s3.put_bucket_ownership_controls(
        Bucket=bucket,
        OwnershipControls={
            "Rules": [cap(inputs(declaration, "bucketOwnershipControls:BucketOwnershipControls")["rule"])]
        },
    )
    s3.put_bucket_versioning(
        Bucket=bucket,
        VersioningConfiguration=cap(
            inputs(declaration, "bucketVersioning:BucketVersioning")["versioningConfiguration"]
        ),
    )
    rules = inputs(declaration, "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[
        "rules"
    ]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": cap(rules)})
    lifecycle = cap(inputs(declaration, "bucketLifecycleConfiguration:BucketLifecycleConfiguration")["rules"])
    for rule in lifecycle:
        rule["Filter"] = rule["Filter"] or {"Prefix": ""}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": lifecycle})
    cors = cap(inputs(declaration, "bucketCorsConfiguration:BucketCorsConfiguration")["corsRules"])
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": cors})
    # The TLS-only bucket policy is applied by the test about it: moto would refuse every
    # plain-HTTP request once it is on, CORS preflights included (S3 exempts those).
    return bucket


def stand_up_existing_bucket(declaration: Declaration, endpoint: str) -> str:
    """The bucket a stack with `storage: existing` names, as a team that made it by hand has it:
    another application's data beside Label Studio's folder, and (declared only with manageCors)
    this stack's CORS rules; the program declares no bucket to apply."""
    s3 = client("s3", endpoint)
    bucket = reveal(declaration.outputs["bucketName"])
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key=OTHER_APPLICATION_KEY, Body=b"{}")
    if declaration.of_type("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"):
        cors = cap(inputs(declaration, "bucketCorsConfiguration:BucketCorsConfiguration")["corsRules"])
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": cors})
    return bucket


OTHER_APPLICATION_KEY = "reports/other-application.json"
