"""iam-scoped-to-the-bucket and oidc-trust-pinned: what a grant may reach, and who may become the
storage identity."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from .model import UNKNOWN, Resource
from .reading import (
    _allows,
    _as_list,
    _document_statements,
    _get,
    _grants,
    _members,
    _of,
    _principals,
    _strings,
    _wildcard,
)
from .resource_types import (
    GCP_KMS_MEMBER,
    GCP_SA_GRANTS,
    GCP_WIDE_GRANTS,
    IAM_ATTACHMENTS,
    IAM_MANAGED_POLICY,
    IAM_POLICY_TYPES,
    IAM_ROLE,
)

GCP_KMS_ROLES = (
    "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    "roles/cloudkms.cryptoKeyEncrypter",
    "roles/cloudkms.cryptoKeyDecrypter",
)
WORKLOAD_IDENTITY_ROLE = "roles/iam.workloadIdentityUser"
WORKLOAD_IDENTITY_MEMBER = re.compile(r"^serviceAccount:[a-z0-9.:-]+\.svc\.id\.goog\[[a-z0-9-]+/[a-z0-9-]+\]$")
SERVICE_ACCOUNT_SUBJECT = re.compile(r"^system:serviceaccount:[a-z0-9.-]+:[a-z0-9.-]+$")
WEB_IDENTITY = "sts:assumerolewithwebidentity"
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = frozenset({"sts:assumerole", "sts:tagsession"})
STORAGE_SERVICES = ("s3", "kms")
AWS_MANAGED_POLICY = re.compile(r"^arn:[a-z-]+:iam::aws:policy/")
# Real Pulumi auto-names: the resource name, a dash and seven hex digits.
AUTO_NAME_SUFFIX = r"-[0-9a-f]{7}"

# -- IAM: what a grant may reach ------------------------------------------------------------------


def _scoped_arn(target: str) -> bool:
    """An ARN naming one bucket (any of its keys) or one other resource, with no wildcard before."""
    parts = target.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or any(_wildcard(part) for part in parts[1:5]):
        return False
    service, resource = parts[2], parts[5]
    if service == "s3":
        bucket = resource.split("/", 1)[0]
        return bool(bucket) and not _wildcard(bucket)
    return bool(resource) and not _wildcard(resource)


def _statement_scope(statement: Mapping[str, Any]) -> Iterator[str]:
    for negation in ("NotAction", "NotResource", "NotPrincipal"):
        if negation in statement:
            yield f"uses {negation}, which grants everything else"
    actions = _strings(statement.get("Action"))
    wildcards = sorted(a for a in actions if _wildcard(a))
    if wildcards:
        yield f"allows wildcard actions {wildcards}"
    outside = sorted(a for a in actions if not _wildcard(a) and a.split(":", 1)[0].lower() not in STORAGE_SERVICES)
    if outside:
        yield f"allows {outside}, which is not storage access"
    for target in _strings(statement.get("Resource")):
        if not _scoped_arn(target):
            yield f"applies to {target}, not to one bucket or key"


def _document_scope(document: Any, where: str = "") -> Iterator[str]:
    for statement in _document_statements(document):
        if isinstance(statement, str):
            yield statement + where
        elif _allows(statement):
            yield from (message + where for message in _statement_scope(statement))


def _stack_policy_arns(resources: Sequence[Resource]) -> tuple[set[str], list[re.Pattern[str]]]:
    """Known ARNs and name patterns of the managed policies this stack declares (and so reviews)."""
    arns: set[str] = set()
    names: list[re.Pattern[str]] = []
    for policy in _of(resources, IAM_MANAGED_POLICY):
        if isinstance(policy.props.get("arn"), str):
            arns.add(policy.props["arn"])
        name = policy.props.get("name")
        pattern = re.escape(name) if isinstance(name, str) else re.escape(policy.name) + AUTO_NAME_SUFFIX
        names.append(re.compile(r"^arn:[a-z-]+:iam::\d{12}:policy/(.+/)?" + pattern + "$"))
    return arns, names


def _attachment_scope(resources: Sequence[Resource], owner: Resource, policy_arn: Any, prop: str) -> Iterator[str]:
    """Only managed policies of this stack may be attached: the rest cannot be reviewed."""
    if policy_arn is None:
        return
    if policy_arn is UNKNOWN:
        stack_urns = {p.urn for p in _of(resources, IAM_MANAGED_POLICY) if p.urn}
        if not stack_urns & set(owner.property_dependencies.get(prop, ())):
            yield "attaches a policy that is not known yet and does not come from this stack"
        return
    arns, names = _stack_policy_arns(resources)
    if AWS_MANAGED_POLICY.match(str(policy_arn)):
        yield f"attaches the AWS-managed policy {policy_arn}, which is not scoped to one bucket"
    elif policy_arn not in arns and not any(n.match(str(policy_arn)) for n in names):
        yield f"attaches {policy_arn}, a policy outside this stack that this pack cannot review"


def _gcp_self_grant(member: Resource, members: list[str]) -> bool:
    """A service account's grant on itself (signing its own URLs), nobody else's."""
    account = member.props.get("serviceAccountId")
    if account is UNKNOWN or UNKNOWN in members:
        return True
    email = str(account).rsplit("/", 1)[-1]
    return bool(members) and all(m == f"serviceAccount:{email}" for m in members)


def iam_scoped_to_the_bucket(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for policy in _of(resources, *IAM_POLICY_TYPES):
        yield from ((policy.name, m) for m in _document_scope(policy.props.get("policy")))
    for role in _of(resources, IAM_ROLE):
        for inline in _as_list(role.props.get("inlinePolicies")):
            where = f" (inline policy {_get(inline, 'name')})"
            yield from ((role.name, m) for m in _document_scope(_get(inline, "policy"), where))
        managed = role.props.get("managedPolicyArns")
        if managed is UNKNOWN and "managedPolicyArns" not in role.property_dependencies:
            continue  # not declared: the provider reports what is attached, once it knows
        for arn in _as_list(managed):
            yield from ((role.name, m) for m in _attachment_scope(resources, role, arn, "managedPolicyArns"))
    for attachment in _of(resources, *IAM_ATTACHMENTS):
        policy_arn = attachment.props.get("policyArn")
        yield from ((attachment.name, m) for m in _attachment_scope(resources, attachment, policy_arn, "policyArn"))
    for grant in _of(resources, *GCP_WIDE_GRANTS):
        scope = GCP_WIDE_GRANTS[grant.type]
        for found in _grants(grant):
            if isinstance(found, str):
                yield grant.name, found
            else:
                where = scope.rstrip("s")
                yield grant.name, f"grants {found[0] or 'a role'} on the whole {where}; grant access on the bucket"
    for member in _of(resources, *GCP_SA_GRANTS):
        granted = member.props.get("role")
        members = _members(member)
        if granted not in (WORKLOAD_IDENTITY_ROLE, UNKNOWN) and not _gcp_self_grant(member, members):
            yield (
                member.name,
                f"grants {granted} on the service account to {members}; only the account itself may hold it",
            )
    for member in _of(resources, GCP_KMS_MEMBER):
        if member.props.get("role") not in (*GCP_KMS_ROLES, UNKNOWN):
            yield member.name, f"grants {member.props.get('role')} on a key; only encrypt/decrypt roles are allowed"


# -- trust: who may become the storage identity ---------------------------------------------------


def _web_identity_trust(statement: Mapping[str, Any], federated: list[str]) -> Iterator[str]:
    """Exact service accounts of the one cluster named as the federated principal, and the STS audience."""
    if len(federated) != 1 or ":oidc-provider/" not in federated[0]:
        yield f"trusts web identities of {federated or 'no federated principal'}; name one OIDC provider"
        return
    issuer = federated[0].split(":oidc-provider/", 1)[1]
    condition = statement.get("Condition") or {}
    others = sorted(set(condition) - {"StringEquals"}) if isinstance(condition, Mapping) else ["?"]
    if others:
        yield f"trusts with {others}; pin exact values with StringEquals"
    equals = _get(condition, "StringEquals") or {}
    # Condition keys are case-insensitive in IAM.
    pinned = {str(key).lower(): _strings(value) for key, value in equals.items()} if isinstance(equals, Mapping) else {}
    if pinned.get(f"{issuer}:aud".lower()) != ["sts.amazonaws.com"]:
        yield f"does not pin the audience {issuer}:aud to sts.amazonaws.com"
    subjects = pinned.get(f"{issuer}:sub".lower()) or []
    if not subjects or not all(SERVICE_ACCOUNT_SUBJECT.match(s) for s in subjects):
        yield (
            f"does not pin exact Kubernetes service accounts under {issuer}:sub "
            "(system:serviceaccount:<namespace>:<name>)"
        )


def _trust(statement: Mapping[str, Any]) -> Iterator[str]:
    for negation in ("NotAction", "NotPrincipal"):
        if negation in statement:
            yield f"trusts with {negation}, which lets in everyone else"
    actions = [a.lower() for a in _strings(statement.get("Action"))]
    principals = _principals(statement)
    if any(_wildcard(a) for a in actions):
        yield f"trusts wildcard actions {sorted(a for a in actions if _wildcard(a))}"
    if any(value == "*" for _, value in principals):
        yield "trusts anyone (Principal *)"
    if WEB_IDENTITY in actions:
        federated = [value for kind, value in principals if kind.lower() == "federated"]
        yield from _web_identity_trust(statement, federated)
    others = [a for a in actions if a != WEB_IDENTITY and not _wildcard(a)]
    pod_identity = all(kind.lower() == "service" and value == POD_IDENTITY_SERVICE for kind, value in principals)
    if others and not (principals and pod_identity and set(others) <= POD_IDENTITY_ACTIONS):
        yield (
            f"lets {[value for _, value in principals]} {others}; only EKS Pod Identity "
            f"({POD_IDENTITY_SERVICE}) or a pinned web identity may assume the role"
        )


def oidc_trust_pinned(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for role in _of(resources, IAM_ROLE):
        for statement in _document_statements(role.props.get("assumeRolePolicy")):
            if isinstance(statement, str):
                yield role.name, statement
            elif _allows(statement):
                yield from ((role.name, message) for message in _trust(statement))
    for member in _of(resources, *GCP_SA_GRANTS):
        if member.props.get("role") == WORKLOAD_IDENTITY_ROLE:
            members = _members(member)
            wrong = [m for m in members if m is not UNKNOWN and not WORKLOAD_IDENTITY_MEMBER.match(m)]
            if wrong or not members:
                yield (
                    member.name,
                    f"binds {wrong or 'nobody'}; bind exact accounts, <project>.svc.id.goog[<namespace>/<name>]",
                )
