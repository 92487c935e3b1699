"""moto as an S3-compatible server (MinIO, Ceph, ...), set up the way docs/s3-compatible.md tells
its administrator to: the stack declares nothing on the server, so everything here is what a person
does by hand, from the stack's outputs.

The server is moto behind tests/harness/s3_front (which checks presigned links as a real server does:
moto cannot authorize them once IAM is enforced), addressed by host name, `http://localhost:<port>`:
botocore addresses a bucket on a custom endpoint path-style, and a virtual-hosted request to
`<bucket>.localhost` would not resolve, so whatever works here went path-style.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from botocore.credentials import Credentials

from tests.harness.aws_world import World, stand_up
from tests.harness.s3_front import S3Front, s3_front
from tests.harness.s3_world import REGION, client
from tests.harness.servers import moto_server
from tools.mockrun import Declaration, reveal

USER = "label-studio"


@dataclass
class Server:
    endpoint: str  # the front, by host name, as the tests reach it (`localhost`)
    moto: str  # moto itself, for its IAM switch
    front: S3Front

    def at(self, host: str) -> str:
        """The front's address under another host name (one the case's DNS stand-in answers)."""
        return f"http://{host}:{urlsplit(self.front.url).port}"


@dataclass
class Administered:
    world: World  # the bucket (with the operator's own objects), another bucket, the operator
    key_id: str  # Label Studio's user's access key
    secret: str


@contextmanager
def s3_compatible_server() -> Iterator[Server]:
    """moto and its front on loopback, until the block ends; IAM is not enforced yet."""
    with moto_server(path_style_only=True) as moto, s3_front(moto, REGION) as front:
        yield Server(front.url.replace("://127.0.0.1:", "://localhost:"), moto, front)


def administer(
    server: Server, declaration: Declaration, versioned: bool = True, encrypted: bool = True, cors: bool = True
) -> Administered:
    """What the server's administrator creates from the stack's outputs (docs/s3-compatible.md):
    the bucket, holding the operator's own objects, versioned and encrypted unless told otherwise,
    with CORS for the stack's origins (`cors`); Label Studio's user with exactly the `serverPolicy`
    output, and its access key. The front learns both keys, and signs preflights as the operator."""
    outputs = reveal(declaration.outputs)
    world = stand_up(declaration, server.moto, policy=outputs["serverPolicy"])
    s3 = world.operator
    if versioned:
        s3.put_bucket_versioning(Bucket=world.bucket, VersioningConfiguration={"Status": "Enabled"})
    if encrypted:
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        s3.put_bucket_encryption(Bucket=world.bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    if cors:
        allowed = {"AllowedOrigins": outputs["corsOrigins"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"]}
        s3.put_bucket_cors(Bucket=world.bucket, CORSConfiguration={"CORSRules": [allowed]})
    iam = client("iam", server.moto, *world.operator_key)
    iam.create_user(UserName=USER)
    iam.attach_user_policy(UserName=USER, PolicyArn=world.policy_arn)
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    server.front.know(key["AccessKeyId"], key["SecretAccessKey"])
    server.front.know(*world.operator_key)
    server.front.operator = Credentials(*world.operator_key)
    return Administered(world, key["AccessKeyId"], key["SecretAccessKey"])
