"""An existing bucket on an S3-compatible server, wired for Label Studio: no resource of any cloud.

The server's administrators own the bucket, its users and its CORS rules (docs/s3-compatible.md
says what to create with MinIO's `mc`); this component only turns the endpoint, the bucket and
where the keys are into what Label Studio reads, the way the AWS component does for S3.
"""

import json
from typing import TypedDict, cast

import pulumi
from typing_extensions import NotRequired

from components.argument_checks import checked_arguments, derived, own_list, storage_problems
from components.arguments import ArgumentProblem, about
from components.aws.documents import storage_policy
from components.facts import (
    CredentialsSecretRef,
    StorageComponent,
    StorageConnection,
    StorageFacts,
    TrustedAuthorityRef,
)
from components.label_studio import AUTHORITY_PATH
from components.s3_compatible.settings import bucket_problem, endpoint_problem

TYPE_TOKEN = "labelstudio:s3compatible:Storage"
CREDENTIAL_NAMES = ("access_key_id", "secret_access_key")
AUTHORITY_KINDS = ("configMap", "secret", "file")
# Arguments a program may compute from other resources: Python name, schema name.
COMPUTED_ARGUMENTS = {
    "endpoint_url": "endpointUrl",
    "bucket": "bucket",
    "region": "region",
    "cors_origins": "corsOrigins",
}


def server_policy(bucket: str, folder: str) -> str:
    """The policy for Label Studio's user on the server, in the S3 policy language MinIO and Ceph
    read: the bucket, and only the folder when one is set (the same grant the AWS backend declares)."""
    return json.dumps(storage_policy(bucket, "us-east-1", folder), indent=2)


class S3CompatibleStorageArgs(TypedDict):
    """What S3CompatibleStorage needs: the server, the bucket on it, and where Label Studio's keys are."""

    endpoint_url: pulumi.Input[str]
    """The server's S3 API address, scheme://host[:port], e.g. https://minio.example.com; may come from
    another resource (e.g. the server's Service or load balancer; checked once known)."""
    bucket: pulumi.Input[str]
    """The existing bucket on the server; may come from another resource (checked once known)."""
    cors_origins: pulumi.Input[list[str]]
    """Origins whose browsers read and upload (the server's CORS rules must allow them; check proves it);
    may come from another resource (each is checked once known)."""
    region: NotRequired[pulumi.Input[str]]
    """The region the server signs for (default us-east-1, MinIO's default); may come from another resource."""
    folder: NotRequired[str]
    """Key prefix Label Studio uses; empty for the whole bucket."""
    access_key_id: NotRequired[pulumi.Input[str]]
    """Access key id of the server's user for Label Studio. Secret. Give both keys, or credentials_secret."""
    secret_access_key: NotRequired[pulumi.Input[str]]
    """That user's secret key. Secret."""
    credentials_secret: NotRequired[CredentialsSecretRef]
    """An existing Kubernetes Secret, in the release's namespace, holding the keys; the chart reads it.
    Plain: it names a Kubernetes object and decides whether the keys are handed out."""
    trusted_authority: NotRequired[TrustedAuthorityRef]
    """The private authority that signed the server's certificate (a ConfigMap, Secret or compose host
    file). Plain: it names the object or file Label Studio mounts."""


def s3_compatible_storage_problems(args: S3CompatibleStorageArgs) -> list[ArgumentProblem]:
    """What in `args` S3CompatibleStorage cannot build, each naming the argument and the fix."""
    problems = storage_problems(args, "bucket", bucket_problem)
    found = endpoint_problem(str(args.get("endpoint_url", "")))
    if found:
        problems.append(about("endpointUrl", found))
    keys = [name for name in CREDENTIAL_NAMES if args.get(name) is not None]
    secret = args.get("credentials_secret")
    if secret and keys:
        problems.append(
            about(
                "credentialsSecret", "give the keys in a Secret or as accessKeyId and secretAccessKey, not both", ": "
            )
        )
    if not secret and len(keys) != len(CREDENTIAL_NAMES):
        problems.append(
            ArgumentProblem(
                "accessKeyId",
                "accessKeyId and secretAccessKey: give both (secret), or name a Secret in credentialsSecret",
            )
        )
    if secret and not (secret.get("name") and set(secret.get("keys") or {}) == set(CREDENTIAL_NAMES)):
        problems.append(about("credentialsSecret", "needs a name and keys for access_key_id and secret_access_key"))
    authority = args.get("trusted_authority")
    if authority and (authority.get("kind") not in AUTHORITY_KINDS or not authority.get("name")):
        problems.append(about("trustedAuthority", f"needs a kind ({', '.join(AUTHORITY_KINDS)}), a name and a key"))
    # Judged with the endpoint, once it is known (an endpoint computed elsewhere is left out until then).
    if authority and "endpoint_url" in args and not str(args["endpoint_url"]).lower().startswith("https://"):
        problems.append(about("trustedAuthority", "is given for an http endpointUrl: it only matters over https"))
    return problems


def authority_output(authority: TrustedAuthorityRef) -> str:
    """Where Label Studio finds the authority's certificate, as the stack output says it: the compose
    volume line to add, or the Kubernetes object the chart mounts."""
    if authority["kind"] == "file":
        return f"{authority['name']}:{AUTHORITY_PATH}:ro"
    return f"{authority['kind']}/{authority['name']} key {authority['key']}, mounted at {AUTHORITY_PATH}"


class S3CompatibleStorage(StorageComponent):
    """An existing bucket on an S3-compatible server (MinIO, Ceph, ...), as Label Studio reaches it.

    Declares no resource: the server owns the bucket and its users. Label Studio signs with SigV4
    and, given an endpoint, addresses the bucket path-style (`<endpoint>/<bucket>/<key>`).
    """

    bucket_name: pulumi.Output[str]
    """Name of the bucket."""
    endpoint_url: pulumi.Output[str]
    """The server's S3 API address."""
    server_policy: pulumi.Output[str]
    """The policy to give Label Studio's user on the server (JSON), e.g. with `mc admin policy create`."""
    access_key_id: pulumi.Output[str] | None
    """The access key id Label Studio signs with, when given as keys. Secret."""
    secret_access_key: pulumi.Output[str] | None
    """Its secret key, when given as keys. Secret."""
    connection: StorageConnection
    """What Label Studio needs to reach the storage: give it to LabelStudioRelease as `storage`."""
    argument_problems = staticmethod(s3_compatible_storage_problems)
    computed_arguments = COMPUTED_ARGUMENTS
    SECRET_OUTPUTS = CREDENTIAL_NAMES

    def __init__(self, name: str, args: S3CompatibleStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE_TOKEN, name, None, opts)
        args = cast(
            S3CompatibleStorageArgs,
            checked_arguments("S3CompatibleStorage", name, args, self.argument_problems, COMPUTED_ARGUMENTS),
        )
        endpoint, bucket = derived(args["endpoint_url"], lambda url: url.rstrip("/")), args["bucket"]
        region, folder = args.get("region", "us-east-1"), args.get("folder", "")
        self.access_key_id = self.secret_access_key = None
        credentials: dict[str, pulumi.Output[str]] = {}
        secret = args.get("credentials_secret")
        authority = args.get("trusted_authority")
        policy = derived(bucket, lambda known: server_policy(known, folder))
        if not secret:
            # Wrapped here so the keys stay secret wherever they flow, however they were given.
            self.access_key_id = pulumi.Output.secret(args["access_key_id"])
            self.secret_access_key = pulumi.Output.secret(args["secret_access_key"])
            credentials = {"access_key_id": self.access_key_id, "secret_access_key": self.secret_access_key}
        storage_facts = StorageFacts(
            storage_type="s3",
            settings={"bucket": bucket, "region": region, "folder": folder, "endpoint_url": endpoint},
            credentials=credentials,
            credentials_secret=secret,
            exports={
                "bucketName": bucket,
                "region": region,
                "folder": folder,
                "endpointUrl": endpoint,
                "corsOrigins": own_list(args["cors_origins"]),
                "serverPolicy": policy,
                **({"credentialsSecret": secret["name"]} if secret else {}),
                **({"caCertificate": authority_output(authority)} if authority else {}),
            },
            trusted_authority=authority,
        )
        self.bucket_name = pulumi.Output.from_input(bucket)
        self.endpoint_url = pulumi.Output.from_input(endpoint)
        self.server_policy = pulumi.Output.from_input(policy)
        self._conclude(storage_facts)


# The storage component the registry (components/registry.py) builds for this cloud.
COMPONENT = S3CompatibleStorage
