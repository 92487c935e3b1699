"""Stacks for the policy tests: what the program declares, run once per cloud and access mode, and
the crafted changes that break or keep one promise."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from typing import Any

from policy.rules import UNKNOWN, Resource, evaluate
from tests.conftest import aws_stack, azure_stack, gcp_stack, run
from tests.harness.policy_analyzer import analyze, urn_of
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


# -- changing what the program declares -------------------------------------------------------------


def violated(resources: list[Resource]) -> set[str]:
    return {violation.policy for violation in evaluate(resources)}


def changed(resources: list[Resource], type_suffix: str, change: Callable[[Resource], Resource]) -> list[Resource]:
    return [change(r) if r.type.endswith(type_suffix) else r for r in resources]


def with_props(**props: Any) -> Callable[[Resource], Resource]:
    return lambda r: replace(r, props={**r.props, **props})


def without(resources: list[Resource], type_suffix: str) -> list[Resource]:
    return [r for r in resources if not r.type.endswith(type_suffix)]


def rewrite_policy(document_change: Callable[[dict], None]) -> Callable[[Resource], Resource]:
    def change(resource: Resource) -> Resource:
        document = json.loads(resource.props["policy"])
        document_change(document)
        return replace(resource, props={**resource.props, "policy": json.dumps(document)})

    return change


def rewrite_trust(condition: dict) -> Callable[[Resource], Resource]:
    def change(resource: Resource) -> Resource:
        document = json.loads(resource.props["assumeRolePolicy"])
        document["Statement"][0]["Condition"] = condition
        return replace(resource, props={**resource.props, "assumeRolePolicy": json.dumps(document)})

    return change


# -- GCP and Azure stacks built by hand -------------------------------------------------------------


GCS = Resource(
    "gcp:storage/bucket:Bucket",
    "bucket",
    {"publicAccessPrevention": "enforced", "uniformBucketLevelAccess": True, "versioning": {"enabled": True}},
    protect=True,
)


WORKLOAD_IDENTITY = Resource(
    "gcp:serviceaccount/iAMMember:IAMMember",
    "wi",
    {
        "role": "roles/iam.workloadIdentityUser",
        "member": "serviceAccount:acme.svc.id.goog[label-studio/label-studio-ls-app]",
    },
)


BUCKET_MEMBER = Resource(
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    "member",
    {"role": "roles/storage.objectAdmin", "member": "serviceAccount:x"},
)


ACCOUNT = Resource(
    "azure-native:storage:StorageAccount",
    "account",
    {
        "accountName": "acmelabels",
        "allowBlobPublicAccess": False,
        "enableHttpsTrafficOnly": True,
        "minimumTlsVersion": "TLS1_2",
    },
    protect=True,
)


CONTAINER = Resource(
    "azure-native:storage:BlobContainer", "container", {"accountName": "acmelabels", "publicAccess": "None"}, True
)


BLOB_SERVICE = Resource(
    "azure-native:storage:BlobServiceProperties",
    "blob",
    {"accountName": "acmelabels", "deleteRetentionPolicy": {"enabled": True, "days": 30}},
)


GOOD_GCP = [GCS, WORKLOAD_IDENTITY, BUCKET_MEMBER]
GOOD_AZURE = [ACCOUNT, CONTAINER, BLOB_SERVICE]


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


def verdicts(policy_pack: Any, stack: Stack) -> list[tuple[str, str]]:
    """The pack's verdict over gRPC, checked against the rules the credential-free plan runs."""
    found = [(policy, message.split("\n", 1)[-1]) for policy, message in analyze(policy_pack, stack)]
    assert sorted(found) == sorted((v.policy, f"{v.resource} {v.message}") for v in evaluate(stack))
    return found


Violation = tuple[set[str], Callable[[Programs], Stack]]
"""A stack the pack must refuse: the promises it breaks, and how it is built from what the program declares."""


def assert_refuses_exactly(policy_pack: Any, programs: Programs, violation: Violation) -> None:
    """The pack (over gRPC, agreeing with the rules) refuses the stack for exactly the promises it breaks."""
    expected, build = violation
    assert {policy for policy, _ in verdicts(policy_pack, build(programs))} == expected
