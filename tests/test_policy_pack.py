"""Hostile stacks through the policy pack's gRPC analyzer, as `pulumi preview --policy-pack` runs it.

Every class of promise (trust, scope, public data, TLS, credentials, unreviewed types) has
stacks that break it, each built from what the program really declares with one crafted
change, and stacks that keep it while saying the same thing another way. The pack must refuse
exactly the promise broken, and agree with the rules the credential-free plan runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from typing import Any

import pytest

from policy.rules import UNKNOWN, Resource, evaluate
from tests.conftest import ISSUER, aws_stack, azure_stack, gcp_stack, run
from tests.policy_analyzer import analyze, running_pack, urn_of
from tools.plan import policy_resources

Stack = list[Resource]
Change = Callable[[Resource], Resource]


class Programs:
    """What the program declares per cloud and access mode, each run once, with URNs as the engine sends."""

    @staticmethod
    def _declared(config: dict[str, Any]) -> Stack:
        return [replace(r, urn=urn_of(r)) for r in policy_resources(run(config))]

    @cached_property
    def irsa(self) -> Stack:
        return self._declared(aws_stack(enterprise=True))

    @cached_property
    def pod_identity(self) -> Stack:
        return self._declared(aws_stack(access="pod-identity", aws={"clusterName": "ml-prod"}))

    @cached_property
    def access_keys(self) -> Stack:
        return self._declared(aws_stack(access="access-keys", credentials="inline", aws=None))

    @cached_property
    def gcp(self) -> Stack:
        return self._declared(gcp_stack(enterprise=True))

    @cached_property
    def azure(self) -> Stack:
        return self._declared(azure_stack())


@pytest.fixture(scope="module")
def policy_pack():
    with running_pack() as stub:
        yield stub


@pytest.fixture(scope="module")
def programs() -> Programs:
    return Programs()


# -- building crafted stacks ----------------------------------------------------------------------


def resource(type_: str, name: str, props: dict[str, Any], protect: bool = False, **deps: Resource) -> Resource:
    """A resource whose properties named in `deps` refer to those resources (values unknown or not)."""
    made = Resource(type_, name, props, protect=protect)
    return replace(made, urn=urn_of(made), property_dependencies={key: [urn_of(r)] for key, r in deps.items()})


def one(stack: Stack, type_suffix: str) -> Resource:
    (found,) = [r for r in stack if r.type.endswith(type_suffix)]
    return found


def edit(stack: Stack, type_suffix: str, change: Change) -> Stack:
    return [change(r) if r.type.endswith(type_suffix) else r for r in stack]


UNSET = object()


def setting(**props: Any) -> Change:
    """Set properties; UNSET removes one."""
    return lambda r: replace(r, props={k: v for k, v in {**r.props, **props}.items() if v is not UNSET})


def document(prop: str, change: Callable[[dict[str, Any]], None]) -> Change:
    def rewrite(r: Resource) -> Resource:
        parsed = json.loads(r.props[prop])
        change(parsed)
        return replace(r, props={**r.props, prop: json.dumps(parsed)})

    return rewrite


def one_statement(prop: str, index: int = 0, **fields: Any) -> Change:
    """Change one statement of a policy document; UNSET removes a field."""

    def change(parsed: dict[str, Any]) -> None:
        statement = parsed["Statement"][index]
        statement.update(fields)
        for key in [k for k, v in statement.items() if v is UNSET]:
            del statement[key]

    return document(prop, change)


def trust(**fields: Any) -> Callable[[Programs], Stack]:
    return lambda p: edit(p.irsa, "iam/role:Role", one_statement("assumeRolePolicy", **fields))


def grant(index: int, **fields: Any) -> Callable[[Programs], Stack]:
    return lambda p: edit(p.irsa, "iam/policy:Policy", one_statement("policy", index, **fields))


def tls_statement(**fields: Any) -> Callable[[Programs], Stack]:
    return lambda p: edit(p.irsa, ":BucketPolicy", one_statement("policy", **fields))


def iam_json(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def helm_env(path: str, **variables: str) -> Change:
    """Add extraEnvironmentVars under `path` (global or app) of the release's values."""

    def change(release: Resource) -> Resource:
        values = json.loads(json.dumps(release.props["values"]))
        values.setdefault(path, {}).setdefault("extraEnvironmentVars", {}).update(variables)
        return replace(release, props={**release.props, "values": values})

    return change


def with_env(path: str, secret_values: bool = False, **variables: str) -> Callable[[Programs], Stack]:
    def build(p: Programs) -> Stack:
        stack = edit(p.irsa, "v3:Release", helm_env(path, **variables))
        return edit(stack, "v3:Release", lambda r: replace(r, secret_outputs=("values",))) if secret_values else stack

    return build


HAVE_V2 = (
    "Bucket",
    "BucketVersioning",
    "BucketCorsConfiguration",
    "BucketLifecycleConfiguration",
    "BucketServerSideEncryptionConfiguration",
)


def v2(type_: str) -> str:
    """aws:s3/bucketX:BucketX as aws:s3/bucketXV2:BucketXV2, for the S3 resources that have one."""
    provider, module, name = type_.split(":")
    return f"{provider}:{module}V2:{name}V2" if provider == "aws" and name in HAVE_V2 else type_


def s3_v2(p: Programs, *extra: Resource) -> Stack:
    """The program's bucket and hardening, declared with the V2 resources of the AWS provider."""
    return [replace(r, type=v2(r.type)) for r in p.irsa] + list(extra)


def bucket_acl_v2(**props: Any) -> Resource:
    return resource("aws:s3/bucketAclV2:BucketAclV2", "acl", {"bucket": "acme-labels", **props})


PUBLIC_GRANT = {
    "grants": [
        {"grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}, "permission": "READ"}
    ],
    "owner": {"id": "owner"},
}


def aws_preview(p: Programs) -> Stack:
    """The IRSA stack as a preview of a new stack sees it: what AWS assigns is unknown, and the
    companions name the bucket and the policy by reference."""
    bucket, policy = one(p.irsa, "s3/bucket:Bucket"), one(p.irsa, "iam/policy:Policy")
    computed = ("arn", "policy", "versionings", "serverSideEncryptionConfigurations", "grants", "acl")

    def previewed(r: Resource) -> Resource:
        if r is bucket:
            return replace(r, props={**r.props, **dict.fromkeys(computed, UNKNOWN)})
        if r is policy:
            return setting(arn=UNKNOWN)(r)
        if r.type.endswith("iam/role:Role"):
            return setting(arn=UNKNOWN, managedPolicyArns=UNKNOWN, inlinePolicies=UNKNOWN)(r)
        if r.type.endswith(":RolePolicyAttachment"):
            return replace(
                r, props={**r.props, "policyArn": UNKNOWN}, property_dependencies={"policyArn": [policy.urn]}
            )
        if "bucket" in r.props:
            return replace(r, props={**r.props, "bucket": UNKNOWN}, property_dependencies={"bucket": [bucket.urn]})
        return r

    return [previewed(r) for r in p.irsa]


def aws_outputs(p: Programs) -> Stack:
    """The IRSA stack as `pulumi up` analyzes it afterwards: the providers' outputs, with what
    they report of the bucket's and the role's settings."""
    bucket, policy = one(p.irsa, "s3/bucket:Bucket"), one(p.irsa, "iam/policy:Policy")
    policy_arn = "arn:aws:iam::123456789012:policy/labelstudio-policy-0a1b2c3"
    tls = one(p.irsa, ":BucketPolicy").props["policy"]
    reported = {
        "arn": "arn:aws:s3:::acme-labels",
        "policy": tls,
        "versionings": [{"enabled": True, "mfaDelete": False}],
        "serverSideEncryptionConfigurations": [
            {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}, "bucketKeyEnabled": False}]}
        ],
        "grants": [{"type": "CanonicalUser", "id": "0123abcd", "permissions": ["FULL_CONTROL"], "uri": ""}],
        "acl": None,
    }

    def output(r: Resource) -> Resource:
        if r is bucket:
            return setting(**reported)(r)
        if r is policy:
            return setting(arn=policy_arn, name="labelstudio-policy-0a1b2c3")(r)
        if r.type.endswith("iam/role:Role"):
            return setting(managedPolicyArns=[policy_arn], inlinePolicies=[{"name": "", "policy": ""}])(r)
        if r.type.endswith(":RolePolicyAttachment"):
            return setting(policyArn=policy_arn)(r)
        return r

    return [output(r) for r in p.irsa]


def auto_named_bucket(p: Programs, tied_to_itself: bool, by_property: bool = True) -> Stack:
    """A second, auto-named bucket (bucketPrefix) during a preview, its name unknown.

    With `tied_to_itself`, it has hardening of its own that references it (through the `bucket`
    property's dependencies, or else only the resource's); otherwise copies of that hardening
    reference the program's bucket, which must not count for the new one.
    """
    named = one(p.irsa, "s3/bucket:Bucket")
    # What the provider computes when they are not set is unknown too: it must not count.
    computed = {
        key: UNKNOWN for key in ("bucket", "arn", "policy", "versionings", "serverSideEncryptionConfigurations")
    }
    scratch = resource(named.type, "scratch", {"bucketPrefix": "acme-scratch-", **computed}, protect=True)
    owner = scratch if tied_to_itself else named
    companions = [
        replace(
            r,
            name=f"scratch-{r.name}",
            urn=f"{r.urn}-scratch",
            props={**r.props, "bucket": UNKNOWN, **({"policy": UNKNOWN} if r.type.endswith("BucketPolicy") else {})},
            property_dependencies={"bucket": [owner.urn]} if by_property else {},
            dependencies=() if by_property else (owner.urn,),
        )
        for r in p.irsa
        if "bucket" in r.props and r is not named
    ]
    return [*p.irsa, scratch, *companions]


def second_azure_account(p: Programs, soft_delete: bool = True, **props: Any) -> Stack:
    account = one(p.azure, ":StorageAccount")
    second = replace(account, name="second", urn=f"{account.urn}-2", props={**account.props, "accountName": "acme2"})
    second = setting(**props)(second)
    service = one(p.azure, ":BlobServiceProperties")
    services = [
        replace(service, name="second-blob", urn=f"{service.urn}-2", props={**service.props, "accountName": "acme2"})
    ]
    return [*p.azure, second, *(services if soft_delete else [])]


def azure_outputs(p: Programs) -> Stack:
    """The Azure stack as `pulumi up` analyzes it: azure-native returns no `accountName` output."""
    account = one(p.azure, ":StorageAccount")

    def as_output(r: Resource) -> Resource:
        if "accountName" not in r.props:
            return r
        props = {k: v for k, v in r.props.items() if k != "accountName"}
        if r is account:
            return replace(r, props={**props, "name": r.props["accountName"]})
        return replace(r, props=props, property_dependencies={"accountName": [account.urn]})

    return [as_output(r) for r in p.azure]


CLASSIC_ACCOUNT = resource(
    "azure:storage/account:Account",
    "classic",
    {
        "name": "acmeclassic",
        "allowNestedItemsToBePublic": False,
        "httpsTrafficOnlyEnabled": True,
        "minTlsVersion": "TLS1_2",
        "blobProperties": {"deleteRetentionPolicy": {"days": 30}, "versioningEnabled": True},
    },
    protect=True,
)
CLASSIC_CONTAINER = resource(
    "azure:storage/container:Container",
    "classic-media",
    {"name": "media", "storageAccountName": "acmeclassic", "containerAccessType": "private"},
    protect=True,
)


def classic_azure(p: Programs, account: Change | None = None, container: Change | None = None) -> Stack:
    unchanged = setting()
    return [*p.azure, (account or unchanged)(CLASSIC_ACCOUNT), (container or unchanged)(CLASSIC_CONTAINER)]


def gcs_with(*extra: dict[str, Any]) -> Callable[[Programs], Stack]:
    """The program's GCS stack with more grants on its bucket, each {type, props}."""

    def build(p: Programs) -> Stack:
        bucket = one(p.gcp, "storage/bucket:Bucket")
        added = [
            resource(e["type"], f"extra-{i}", {"bucket": "acme-labels", **e["props"]}, bucket=bucket)
            for i, e in enumerate(extra)
        ]
        return [*p.gcp, *added]

    return build


def gcs_iam_policy(role: str, *members: str) -> dict[str, Any]:
    data = json.dumps({"bindings": [{"role": role, "members": list(members)}]})
    return {"type": "gcp:storage/bucketIAMPolicy:BucketIAMPolicy", "props": {"policyData": data}}


def gcp_preview(p: Programs) -> Stack:
    """The GCS stack as a preview of a new stack sees it: the service account's email is not known yet."""

    def unknown_account(r: Resource) -> Resource:
        if r.type.endswith(":BucketIAMMember"):
            return setting(member=UNKNOWN)(r)
        if r.name.endswith("-signs-as-itself"):
            return setting(member=UNKNOWN, serviceAccountId=UNKNOWN)(r)
        return r

    return [unknown_account(r) for r in p.gcp]


def plus(base: Callable[[Programs], Stack], *extra: Resource) -> Callable[[Programs], Stack]:
    return lambda p: [*base(p), *extra]


def attach(type_: str, policy_arn: Any, **props: Any) -> Resource:
    return resource(type_, "extra-attachment", {"policyArn": policy_arn, **props})


IRSA: Callable[[Programs], Stack] = lambda p: p.irsa  # noqa: E731
GCP: Callable[[Programs], Stack] = lambda p: p.gcp  # noqa: E731
SA = "serviceAccount:ls@acme-ml-prod.iam.gserviceaccount.com"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
OTHER_BUCKET = ["arn:aws:s3:::other-bucket", "arn:aws:s3:::other-bucket/*"]
SUBJECT = "system:serviceaccount:label-studio:label-studio-ls-app"

PASSING: dict[str, Callable[[Programs], Stack]] = {
    "trust: IRSA as the program declares it": IRSA,
    "trust: EKS Pod Identity as the program declares it": lambda p: p.pod_identity,
    "trust: the web-identity action in other letter case, still pinned": trust(
        Action=["STS:AssumeRoleWithWebIdentity"]
    ),
    "scope: access keys as the program declares them": lambda p: p.access_keys,
    "scope: AWS as a preview of a new stack sees it": aws_preview,
    "scope: AWS outputs as `pulumi up` analyzes them": aws_outputs,
    "scope: in a preview, the attachment references the stack's own policy": lambda p: edit(
        p.irsa,
        ":RolePolicyAttachment",
        lambda r: replace(
            r,
            props={**r.props, "policyArn": UNKNOWN},
            property_dependencies={"policyArn": [one(p.irsa, "iam/policy:Policy").urn]},
        ),
    ),
    "public data: GCS as the program declares it": GCP,
    "public data: in a preview, GCS grants name the new service account by reference": gcp_preview,
    "public data: a GCS bucket IAM policy for the service account only": gcs_with(
        gcs_iam_policy("roles/storage.objectAdmin", SA)
    ),
    "public data: S3 declared with the V2 resources and a private BucketAclV2": lambda p: s3_v2(
        p, bucket_acl_v2(acl="private")
    ),
    "public data: an auto-named bucket with hardening of its own": lambda p: auto_named_bucket(p, tied_to_itself=True),
    "public data: an auto-named bucket with hardening that only depends on it": lambda p: auto_named_bucket(
        p, tied_to_itself=True, by_property=False
    ),
    "public data: Azure as the program declares it": lambda p: p.azure,
    "public data: a second Azure account, as hardened as the first": second_azure_account,
    "public data: Azure outputs, where companions keep the account's name out and only reference it": azure_outputs,
    "public data: a classic-provider Azure account and container, hardened": classic_azure,
    "tls: the Deny written with BoolIfExists, Principal AWS *, S3:* and a wildcard resource": tls_statement(
        Principal={"AWS": "*"},
        Action="S3:*",
        Resource="arn:aws:s3:::acme-labels*",
        Condition={"BoolIfExists": {"aws:SecureTransport": False}},
    ),
    "tls: the Deny split into one statement for the bucket and one for its objects": lambda p: edit(
        p.irsa,
        ":BucketPolicy",
        document(
            "policy",
            lambda d: d.update(
                Statement=[
                    {**d["Statement"][0], "Resource": "arn:aws:s3:::acme-labels"},
                    {**d["Statement"][0], "Resource": "arn:aws:s3:::acme-labels/*"},
                ]
            ),
        ),
    ),
    "credentials: the non-secret settings the program will add to global.extraEnvironmentVars": with_env(
        "global", STORAGE_AWS_SIGNATURE_VERSION="s3v4", LABEL_STUDIO_HOST="https://label.example.com"
    ),
    "credentials: a key file path and feature switches under app.extraEnvironmentVars": with_env(
        "app", GOOGLE_APPLICATION_CREDENTIALS="/var/secrets/key.json", LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true"
    ),
    "unreviewed: resources that neither store data nor grant access": plus(
        IRSA,
        resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"}),
        resource("kubernetes:core/v1:ConfigMap", "settings", {"data": {"a": "b"}}),
    ),
}

VIOLATING: dict[str, tuple[set[str], Callable[[Programs], Stack]]] = {
    # -- trust
    "trust: sts:* with no condition": ({"oidc-trust-pinned"}, trust(Action="sts:*", Condition=UNSET)),
    "trust: sts:AssumeRoleWith* with no condition": (
        {"oidc-trust-pinned"},
        trust(Action="sts:AssumeRoleWith*", Condition=UNSET),
    ),
    "trust: STS:AssumeRoleWithWebIdentity in capitals with no condition": (
        {"oidc-trust-pinned"},
        trust(Action="STS:AssumeRoleWithWebIdentity", Condition=UNSET),
    ),
    "trust: sub pinned under another issuer's key": (
        {"oidc-trust-pinned"},
        trust(
            Condition={
                "StringEquals": {
                    f"{ISSUER}:aud": "sts.amazonaws.com",
                    "oidc.eks.us-east-1.amazonaws.com/id/FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:sub": SUBJECT,
                }
            }
        ),
    ),
    "trust: Principal AWS *": (
        {"oidc-trust-pinned"},
        trust(Principal={"AWS": "*"}, Action="sts:AssumeRole", Condition=UNSET),
    ),
    "trust: another account may assume the role": (
        {"oidc-trust-pinned"},
        trust(Principal={"AWS": "arn:aws:iam::999999999999:root"}, Action="sts:AssumeRole", Condition=UNSET),
    ),
    # -- scope
    "scope: every object of every bucket (arn:aws:s3:::*/*)": (
        {"iam-scoped-to-the-bucket"},
        grant(1, Resource="arn:aws:s3:::*/*"),
    ),
    "scope: every bucket whose name starts with acme": (
        {"iam-scoped-to-the-bucket"},
        grant(0, Resource="arn:aws:s3:::acme*"),
    ),
    "scope: arn:aws:s3:*:*:*": ({"iam-scoped-to-the-bucket"}, grant(1, Resource="arn:aws:s3:*:*:*")),
    "scope: a ? wildcard in an action": ({"iam-scoped-to-the-bucket"}, grant(1, Action=["s3:GetObjec?"])),
    "scope: AdministratorAccess attached to the role": (
        {"iam-scoped-to-the-bucket"},
        plus(IRSA, attach("aws:iam/rolePolicyAttachment:RolePolicyAttachment", ADMIN, role="labelstudio-irsa")),
    ),
    "scope: AmazonS3FullAccess attached to the user": (
        {"iam-scoped-to-the-bucket"},
        lambda p: [
            *p.access_keys,
            attach(
                "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                "arn:aws:iam::aws:policy/AmazonS3FullAccess",
                user="labelstudio-user",
            ),
        ],
    ),
    "scope: a policy from outside the stack attached to the role": (
        {"iam-scoped-to-the-bucket"},
        plus(
            IRSA,
            attach(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "arn:aws:iam::123456789012:policy/AnythingGoes",
                role="labelstudio-irsa",
            ),
        ),
    ),
    "scope: in a preview, an attachment of an unknown policy from outside the stack": (
        {"iam-scoped-to-the-bucket"},
        lambda p: edit(p.irsa, ":RolePolicyAttachment", setting(policyArn=UNKNOWN)),
    ),
    "scope: the role's inline policy allows s3:* everywhere": (
        {"iam-scoped-to-the-bucket"},
        lambda p: edit(
            p.irsa,
            "iam/role:Role",
            setting(
                inlinePolicies=[
                    {"name": "all", "policy": iam_json({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})}
                ]
            ),
        ),
    ),
    "scope: the role's managedPolicyArns name AdministratorAccess": (
        {"iam-scoped-to-the-bucket"},
        lambda p: edit(p.irsa, "iam/role:Role", setting(managedPolicyArns=[ADMIN])),
    ),
    "scope: a group policy on every bucket": (
        {"iam-scoped-to-the-bucket"},
        plus(
            IRSA,
            resource("aws:iam/group:Group", "readers", {"name": "readers"}),
            resource(
                "aws:iam/groupPolicy:GroupPolicy",
                "readers-policy",
                {
                    "group": "readers",
                    "policy": iam_json({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"}),
                },
            ),
        ),
    ),
    "scope: a user policy with a wildcard action": (
        {"iam-scoped-to-the-bucket"},
        lambda p: [
            *p.access_keys,
            resource(
                "aws:iam/userPolicy:UserPolicy",
                "extra",
                {
                    "user": "labelstudio-user",
                    "policy": iam_json({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::acme-labels"}),
                },
            ),
        ],
    ),
    "scope: a project IAM policy grants storage.admin": (
        {"iam-scoped-to-the-bucket"},
        plus(
            GCP,
            resource(
                "gcp:projects/iAMPolicy:IAMPolicy",
                "project-policy",
                {
                    "project": "acme-ml-prod",
                    "policyData": json.dumps({"bindings": [{"role": "roles/storage.admin", "members": [SA]}]}),
                },
            ),
        ),
    ),
    "scope: an organisation member with a storage role": (
        {"iam-scoped-to-the-bucket"},
        plus(
            GCP,
            resource(
                "gcp:organizations/iAMMember:IAMMember",
                "org-member",
                {"orgId": "123456789", "role": "roles/storage.objectViewer", "member": SA},
            ),
        ),
    ),
    # -- public data
    "public data: GCS public access prevention unset": (
        {"no-public-storage"},
        lambda p: edit(p.gcp, "storage/bucket:Bucket", setting(publicAccessPrevention=UNSET)),
    ),
    "public data: GCS uniform bucket-level access unset": (
        {"no-public-storage"},
        lambda p: edit(p.gcp, "storage/bucket:Bucket", setting(uniformBucketLevelAccess=UNSET)),
    ),
    "public data: in a preview, GCS public access prevention left for the provider to compute": (
        {"no-public-storage"},
        lambda p: edit(p.gcp, "storage/bucket:Bucket", setting(publicAccessPrevention=UNKNOWN)),
    ),
    "public data: a GCS bucket IAM policy for allUsers": (
        {"no-public-storage"},
        gcs_with(gcs_iam_policy("roles/storage.objectViewer", SA, "allUsers")),
    ),
    "public data: a GCS BucketAccessControl for allUsers": (
        {"no-public-storage"},
        gcs_with(
            {
                "type": "gcp:storage/bucketAccessControl:BucketAccessControl",
                "props": {"entity": "allUsers", "role": "READER"},
            }
        ),
    ),
    "public data: a GCS DefaultObjectAccessControl for allAuthenticatedUsers": (
        {"no-public-storage"},
        gcs_with(
            {
                "type": "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
                "props": {"entity": "allAuthenticatedUsers", "role": "READER"},
            }
        ),
    ),
    "public data: a GCS BucketACL with READER:allUsers": (
        {"no-public-storage"},
        gcs_with({"type": "gcp:storage/bucketACL:BucketACL", "props": {"roleEntities": ["READER:allUsers"]}}),
    ),
    "public data: BucketV2 with a public-read BucketAclV2": (
        {"no-public-storage"},
        lambda p: s3_v2(p, bucket_acl_v2(acl="public-read")),
    ),
    "public data: BucketV2 with a BucketAclV2 granting AllUsers": (
        {"no-public-storage"},
        lambda p: s3_v2(p, bucket_acl_v2(accessControlPolicy=PUBLIC_GRANT)),
    ),
    "public data: an auto-named bucket covered only by the other bucket's hardening": (
        {"no-public-storage", "encryption-at-rest", "tls-only", "versioning-or-soft-delete"},
        lambda p: auto_named_bucket(p, tied_to_itself=False),
    ),
    "public data: a second Azure account allowing public blobs": (
        {"no-public-storage"},
        lambda p: second_azure_account(p, allowBlobPublicAccess=True),
    ),
    "public data: a second Azure account without soft delete": (
        {"versioning-or-soft-delete"},
        lambda p: second_azure_account(p, soft_delete=False),
    ),
    "public data: a classic Azure account allowing public blobs": (
        {"no-public-storage"},
        lambda p: classic_azure(p, account=setting(allowNestedItemsToBePublic=True)),
    ),
    "public data: a classic Azure account leaving public blobs at the provider's default": (
        {"no-public-storage"},
        lambda p: classic_azure(p, account=setting(allowNestedItemsToBePublic=UNSET)),
    ),
    "public data: a classic Azure account without soft delete": (
        {"versioning-or-soft-delete"},
        lambda p: classic_azure(p, account=setting(blobProperties={"versioningEnabled": True})),
    ),
    "public data: a classic Azure container open to anonymous reads": (
        {"no-public-storage"},
        lambda p: classic_azure(p, container=setting(containerAccessType="blob")),
    ),
    # -- TLS
    "tls: a Deny of one action on another bucket": (
        {"tls-only"},
        tls_statement(Action="s3:GetObject", Resource=OTHER_BUCKET),
    ),
    "tls: a Deny of every action on another bucket": ({"tls-only"}, tls_statement(Resource=OTHER_BUCKET)),
    "tls: a Deny of one action on this bucket": ({"tls-only"}, tls_statement(Action="s3:GetObject")),
    "tls: a Deny on the bucket but not its objects": ({"tls-only"}, tls_statement(Resource="arn:aws:s3:::acme-labels")),
    "tls: an Azure account leaving its minimum TLS version unset": (
        {"tls-only"},
        lambda p: edit(p.azure, ":StorageAccount", setting(minimumTlsVersion=UNSET)),
    ),
    "tls: a classic Azure account accepting HTTP": (
        {"tls-only"},
        lambda p: classic_azure(p, account=setting(httpsTrafficOnlyEnabled=False)),
    ),
    "tls: a classic Azure account accepting TLS 1.0": (
        {"tls-only"},
        lambda p: classic_azure(p, account=setting(minTlsVersion="TLS1_0")),
    ),
    # -- credentials
    "credentials: the S3 secret key under global.extraEnvironmentVars": (
        {"no-plain-credentials-in-helm-values"},
        with_env("global", STORAGE_AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ),
    "credentials: the Azure account key under app.extraEnvironmentVars": (
        {"no-plain-credentials-in-helm-values"},
        with_env("app", STORAGE_AZURE_ACCOUNT_KEY="c3RhbmQtaW4ta2V5"),
    ),
    "credentials: a Google key file as JSON, even with the values kept secret": (
        {"no-plain-credentials-in-helm-values"},
        with_env(
            "global",
            secret_values=True,
            GOOGLE_APPLICATION_CREDENTIALS='{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----"}',
        ),
    ),
    "credentials: a password inside a database URL": (
        {"no-plain-credentials-in-helm-values"},
        with_env("app", DATABASE_URL="postgres://labelstudio:hunter2@db:5432/labelstudio"),
    ),
    "credentials: Django's SECRET_KEY and a user token": (
        {"no-plain-credentials-in-helm-values"},
        with_env("global", SECRET_KEY="not-so-secret", LABEL_STUDIO_USER_TOKEN="abc123"),
    ),
    "credentials: a Kubernetes Secret whose data is not kept secret": (
        {"no-plain-credentials-in-helm-values"},
        lambda p: edit(p.azure, "core/v1:Secret", lambda r: replace(r, secret_outputs=())),
    ),
}
UNREVIEWED_TYPES = (
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "aws:s3/accessPoint:AccessPoint",
    "aws:s3control/accessPointPolicy:AccessPointPolicy",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws-native:s3:Bucket",
    "gcp:storage/bucketObject:BucketObject",
    "gcp:pubsub/topicIAMMember:TopicIAMMember",
    "gcp:projects/iAMCustomRole:IAMCustomRole",
    "azure-native:authorization:RoleAssignment",
    "azure-native:storage:LocalUser",
    "azure:storage/blob:Blob",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
)
for unreviewed in UNREVIEWED_TYPES:
    VIOLATING[f"unreviewed: {unreviewed}"] = ({"resources-reviewed"}, plus(IRSA, resource(unreviewed, "new", {})))


def verdicts(policy_pack: Any, stack: Stack) -> list[tuple[str, str]]:
    """The pack's verdict over gRPC, checked against the rules the credential-free plan runs."""
    found = [(policy, message.split("\n", 1)[-1]) for policy, message in analyze(policy_pack, stack)]
    assert sorted(found) == sorted((v.policy, f"{v.resource} {v.message}") for v in evaluate(stack))
    return found


@pytest.mark.parametrize("case", sorted(PASSING))
def test_the_pack_passes_stacks_that_keep_every_promise(policy_pack, programs, case):
    assert verdicts(policy_pack, PASSING[case](programs)) == []


@pytest.mark.parametrize("case", sorted(VIOLATING))
def test_the_pack_refuses_exactly_the_promise_a_stack_breaks(policy_pack, programs, case):
    expected, build = VIOLATING[case]
    assert {policy for policy, _ in verdicts(policy_pack, build(programs))} == expected


def test_the_refusal_of_an_unreviewed_type_names_it(policy_pack, programs):
    stack = [*programs.irsa, resource("azure-native:storage:LocalUser", "sftp", {"hasSshPassword": True})]
    (found,) = verdicts(policy_pack, stack)
    assert found[0] == "resources-reviewed"
    assert (
        found[1].startswith("sftp has the type azure-native:storage:LocalUser")
        and "not reviewed by this pack" in found[1]
    )
