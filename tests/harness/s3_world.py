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
    bucket = inputs(declaration, "bucket:Bucket")["bucket"]
    client("s3", endpoint).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    apply_bucket_settings(declaration, endpoint, bucket)
    return bucket


def apply_bucket_settings(declaration: Declaration, endpoint: str, bucket: str) -> None:
    """Every setting the program declares for the bucket, applied to it: all of them for a created
    bucket; an adopted one keeps its own lifecycle rules, and its CORS unless the stack manages it."""
    s3 = client("s3", endpoint)
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
    created = reveal(declaration.outputs.get("storage", "create")) == "create"
    if created or declaration.of_type(f"aws:s3/{LIFECYCLE}"):  # adopted, the bucket keeps its own rules
        lifecycle = cap(inputs(declaration, LIFECYCLE)["rules"])
        for rule in lifecycle:
            rule["Filter"] = rule["Filter"] or {"Prefix": ""}
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": lifecycle})
    if created or declaration.of_type(f"aws:s3/{CORS}"):  # adopted, only with manageCors
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": cap(inputs(declaration, CORS)["corsRules"])})
    # The TLS-only bucket policy is applied by the test about it: moto would refuse every
    # plain-HTTP request once it is on, CORS preflights included (S3 exempts those).


def stand_up_existing_bucket(declaration: Declaration, endpoint: str) -> str:
    """The bucket a stack with `storage: existing` or `adopt` names, as a team that made it by hand
    has it: another application's data beside Label Studio's folder, and the CORS rule the team
    set by hand for the stack's origins (OPERATOR_CORS_ID), unless the stack declares its own
    (manageCors), which replaces it.

    Adopted, the bucket is the one the declaration imports (the `import` id), and then gets every
    setting the program declares for it, over the data it holds, as `pulumi up` would after the import.
    """
    s3 = client("s3", endpoint)
    adopted = declaration.of_type("aws:s3/bucket:Bucket")
    bucket = adopted[0].import_id if adopted else reveal(declaration.outputs["bucketName"])
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key=OTHER_APPLICATION_KEY, Body=b"{}")
    by_hand = {
        "ID": OPERATOR_CORS_ID,
        "AllowedOrigins": list(reveal(declaration.outputs["corsOrigins"])),
        "AllowedMethods": ["GET", "PUT", "POST", "DELETE", "HEAD"],
        "AllowedHeaders": ["*"],
    }
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [by_hand]})
    if adopted:
        apply_bucket_settings(declaration, endpoint, bucket)
    elif declaration.of_type(f"aws:s3/{CORS}"):
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": cap(inputs(declaration, CORS)["corsRules"])})
    return bucket


OTHER_APPLICATION_KEY = "reports/other-application.json"
OPERATOR_CORS_ID = "set-by-hand"
LIFECYCLE = "bucketLifecycleConfiguration:BucketLifecycleConfiguration"
CORS = "bucketCorsConfiguration:BucketCorsConfiguration"
