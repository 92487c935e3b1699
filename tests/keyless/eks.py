"""AWS for one EKS pod without keys, played on loopback from what the program declares.

- `aws_world`: moto's S3, IAM and STS, run in this process, holding the declared bucket and the
  declared IAM exactly as declared (roles with their trust policies, policies, attachments), then
  enforcing IAM on every call.
- `pod_identity_agent`: the EKS Pod Identity Agent. It hands a pod the credentials of the role of
  the declared association for its cluster, namespace and service account, and refuses otherwise.
- `instance_metadata`: IMDSv2 on a node: a session token first, then the credentials of the node's
  role.

Both obtain credentials as the platform does, by AssumeRole as an AWS service principal
(`pods.eks.amazonaws.com`, `ec2.amazonaws.com`). moto 5.2.5 cannot serve that call over its API
with IAM enforced: it evaluates the role's trust policy and fails on a `Service` principal (its
`_check_principal` reads only `Principal.AWS`, and `principal in None` raises, so it answers 500).
The workaround: `session_as_service` checks the trust policy itself, on the role as moto stores it
(`trusts`), and then asks moto's STS backend for the session directly, in this process, which is
why moto runs in this process rather than as a separate server.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import boto3
import requests

from tests.harness.s3_front import sigv4_query_problem
from tests.harness.s3_world import REGION, apply_bucket, client
from tests.harness.servers import enforce_iam, free_port
from tests.keyless.cluster import Pod
from tests.keyless.loopback import App, Request, Response
from tools.mockrun import ACCOUNT, Declaration, StandInCloud, reveal

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = ("sts:AssumeRole", "sts:TagSession")
EC2_SERVICE = "ec2.amazonaws.com"
SESSION_SECONDS = 3600
LATE = datetime.timedelta(seconds=1)
IMDS_TOKEN_TTL_LIMIT = 21600
EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def service_trust(service: str) -> dict[str, Any]:
    """A trust policy that lets an AWS service assume the role (as an existing node role has)."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def trusts(document: Mapping[str, Any], service: str, actions: Sequence[str]) -> bool:
    """Whether a trust policy allows `service` every one of `actions`.

    Statements with a Condition never count: the stand-ins do not evaluate conditions, so they
    fail closed. A Deny for the service refuses.
    """
    allowed: set[str] = set()
    for statement in _as_list(document.get("Statement")):
        principal = statement.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if service not in services:
            continue
        matched = {a for a in actions if any(fnmatch.fnmatchcase(a, p) for p in _as_list(statement.get("Action")))}
        if statement.get("Effect") == "Deny" and matched:
            return False
        if statement.get("Effect") == "Allow" and "Condition" not in statement:
            allowed |= matched
    return allowed == set(actions)


class Refused(Exception):
    """The platform would not hand out these credentials."""


def session_as_service(role_arn: str, service: str, actions: Sequence[str], session_name: str) -> dict[str, str]:
    """An STS session of `role_arn`, assumed by `service` (see the module's note on moto)."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    try:
        role = iam_backends[ACCOUNT]["aws"].get_role_by_arn(role_arn)
    except Exception as error:
        raise Refused(f"no role {role_arn}: {error}") from None
    if not trusts(json.loads(role.assume_role_policy_document), service, actions):
        raise Refused(f"the trust policy of {role_arn} does not let {service} perform {', '.join(actions)}")
    # No session policy and no external id: moto's own API layer passes None for both.
    unset: dict[str, Any] = {"policy": None, "external_id": None}
    session = sts_backends[ACCOUNT]["aws"].assume_role(
        region_name=REGION, role_session_name=session_name, role_arn=role_arn, duration=SESSION_SECONDS, **unset
    )
    return {
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "Token": session.session_token,
        "Expiration": session.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _answered(registration: Any) -> dict[str, Any]:
    """What the credential-free run's stand-in cloud answered for a resource (its name and ARN)."""
    request = SimpleNamespace(typ=registration.type, name=registration.name, inputs=reveal(registration.inputs))
    return StandInCloud({}).new_resource(request)[1]


def apply_iam(declaration: Declaration, endpoint: str, existing_roles: Mapping[str, Mapping[str, Any]]) -> None:
    """The declared roles (trust as declared) and the roles the program only names (`existing_roles`,
    name to trust), then exactly the declared role attachments, with the declared policies created
    as declared; an attachment of any other policy ARN is made as it stands (moto knows AWS's own)."""
    iam = client("iam", endpoint)
    for registration in declaration.of_type("aws:iam/role:Role"):
        trust = reveal(registration.inputs)["assumeRolePolicy"]
        iam.create_role(RoleName=_answered(registration)["name"], AssumeRolePolicyDocument=trust)
    for name, trust in existing_roles.items():
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    declared = {
        _answered(policy)["arn"]: (_answered(policy)["name"], reveal(policy.inputs)["policy"])
        for policy in declaration.of_type("aws:iam/policy:Policy")
    }
    created: set[str] = set()
    for attachment in declaration.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        inputs = reveal(attachment.inputs)
        if inputs["policyArn"] in declared and inputs["policyArn"] not in created:
            name, document = declared[inputs["policyArn"]]
            assert iam.create_policy(PolicyName=name, PolicyDocument=document)["Policy"]["Arn"] == inputs["policyArn"]
            created.add(inputs["policyArn"])
        iam.attach_role_policy(RoleName=inputs["role"], PolicyArn=inputs["policyArn"])


@dataclass
class World:
    """moto with the declared bucket and IAM, enforcing IAM; `operator` may do anything."""

    endpoint: str
    bucket: str
    operator: Any

    def contents(self, bucket: str) -> list[tuple[str, str]]:
        """Every version of every object in `bucket`: what "unchanged" compares."""
        versions = self.operator.list_object_versions(Bucket=bucket)
        return sorted(
            (v["Key"], v["VersionId"]) for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])
        )

    def stored(self, key: str) -> bytes:
        """What the bucket holds under `key`, read by the operator, past Label Studio and its role."""
        return bytes(self.operator.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def read_as(self, session: Session, bucket: str, key: str) -> bytes:
        """`key` read with `session`'s own credentials, so moto checks the session's role."""
        reader = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=session.access_key_id,
            aws_secret_access_key=session.secret_access_key,
            aws_session_token=session.token,
        )
        return bytes(reader.get_object(Bucket=bucket, Key=key)["Body"].read())


@contextmanager
def aws_world(
    declaration: Declaration, existing_roles: Mapping[str, Mapping[str, Any]], other_buckets: Iterable[str]
) -> Iterator[World]:
    """moto's server on a loopback thread of this process, holding what the program declares."""
    from moto import settings
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    enforcing = settings.INITIAL_NO_AUTH_ACTION_COUNT
    try:
        bucket = apply_bucket(declaration, endpoint)
        for other in other_buckets:
            client("s3", endpoint).create_bucket(Bucket=other, CreateBucketConfiguration={"LocationConstraint": REGION})
        apply_iam(declaration, endpoint, existing_roles)
        iam = client("iam", endpoint)
        iam.create_user(UserName="operator")
        iam.put_user_policy(UserName="operator", PolicyName="everything", PolicyDocument=json.dumps(EVERYTHING))
        key = iam.create_access_key(UserName="operator")["AccessKey"]
        enforce_iam(endpoint)
        yield World(endpoint, bucket, client("s3", endpoint, key["AccessKeyId"], key["SecretAccessKey"]))
    finally:
        requests.post(f"{endpoint}/moto-api/reset", timeout=10)
        settings.INITIAL_NO_AUTH_ACTION_COUNT = enforcing
        server.stop()


@dataclass(frozen=True)
class Session:
    """An STS session moto issued: its keys and the role it is a session of."""

    access_key_id: str
    secret_access_key: str
    token: str
    role_arn: str
    expires: datetime.datetime


def sts_session(access_key_id: str) -> Session | None:
    """The session moto's STS issued under `access_key_id`, if any."""
    from moto.sts.models import sts_backends

    for role in sts_backends[ACCOUNT]["aws"].assumed_roles:
        if role.access_key_id == access_key_id:
            expires = role.expiration.replace(tzinfo=datetime.timezone.utc)
            return Session(role.access_key_id, role.secret_access_key, role.session_token, role.role_arn, expires)
    return None


def verify_sigv4_link(link: str, now: datetime.datetime) -> Session | str:
    """The STS session that signed a SigV4 query-signed (presigned) GET link, or why S3 would refuse it.

    Rebuilt from the documented algorithm: canonical request, string to sign, the signing key
    derived from the session's secret, and the session token the link must carry. moto cannot
    check this itself: with IAM enforced it reads credentials only from an Authorization header.
    """
    url = urlsplit(link)
    pairs = parse_qsl(url.query, keep_blank_values=True)
    query = dict(pairs)
    if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        return f"unsupported algorithm {query.get('X-Amz-Algorithm')!r}"
    access_key_id = query.get("X-Amz-Credential", "").partition("/")[0]
    session = sts_session(access_key_id)
    if session is None:
        return f"no session has the access key {access_key_id!r}"
    if query.get("X-Amz-Security-Token") != session.token:
        return "the link does not carry its session's token"
    signed_at = datetime.datetime.strptime(query.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc
    )
    if now > signed_at + datetime.timedelta(seconds=int(query.get("X-Amz-Expires", "0"))):
        return "the link has expired"
    if now > session.expires:
        return "the session that signed the link has expired (a link lives no longer than its credentials)"
    problem = sigv4_query_problem("GET", url.netloc, url.path, url.query, session.secret_access_key)
    return problem if problem else session


def assert_signed_by_a_session_of(link: str, role_arn: str, world: World, key: str) -> None:
    """`link` is a SigV4 link to `key` signed by an STS session of `role_arn`, which may read `key`;
    and the check can fail: the link for another object, or kept past its expiry, does not verify."""
    now = datetime.datetime.now(datetime.timezone.utc)
    session = verify_sigv4_link(link, now)
    assert isinstance(session, Session), session
    assert session.access_key_id.startswith("ASIA"), "a temporary (STS) key, not a user's"
    assert session.role_arn == role_arn
    assert urlsplit(link).path == f"/{world.bucket}/{key}"
    assert world.read_as(session, world.bucket, key)
    assert isinstance(verify_sigv4_link(link.replace(key, f"{key}.other"), now), str)
    lifetime = datetime.timedelta(seconds=int(parse_qs(urlsplit(link).query)["X-Amz-Expires"][0]))
    assert isinstance(verify_sigv4_link(link, now + min(lifetime, session.expires - now) + LATE), str)


def assert_denied_elsewhere(outcomes: Mapping[str, Any], steps: Iterable[str], world: World, other_bucket: str) -> None:
    """Each of `steps` was refused by S3 (AccessDenied), and `other_bucket` stayed empty."""
    for step in steps:
        assert outcomes[step]["code"] == "AccessDenied", (step, outcomes[step])
    assert world.contents(other_bucket) == []


@dataclass(frozen=True)
class Association:
    cluster: str
    namespace: str
    service_account: str
    role_arn: str


def declared_associations(declaration: Declaration) -> list[Association]:
    return [
        Association(i["clusterName"], i["namespace"], i["serviceAccount"], i["roleArn"])
        for i in (
            reveal(r.inputs) for r in declaration.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        )
    ]


def pod_identity_agent(cluster: str, pods: Mapping[str, Pod], associations: Sequence[Association]) -> App:
    """The Pod Identity Agent of a node in `cluster`; `pods` maps each pod's projected
    service-account token (what it sends as Authorization) to the pod."""

    def app(request: Request) -> Response:
        if (request.method, request.path) != ("GET", "/v1/credentials"):
            return Response.json(404, {"message": f"no route {request.method} {request.path}"})
        pod = pods.get(request.header("Authorization") or "")
        if pod is None:
            return Response.json(
                401, {"code": "InvalidTokenException", "message": "the service account token is not valid"}
            )
        matches = [
            a
            for a in associations
            if (a.cluster, a.namespace, a.service_account) == (cluster, pod.namespace, pod.service_account)
        ]
        if not matches:
            message = f"no Pod Identity association in {cluster} for {pod.namespace}/{pod.service_account}"
            return Response.json(400, {"code": "ResourceNotFoundException", "message": message})
        session_name = f"eks-{cluster}-{pod.service_account}"[:64]
        try:
            credentials = session_as_service(
                matches[0].role_arn, POD_IDENTITY_SERVICE, POD_IDENTITY_ACTIONS, session_name
            )
        except Refused as refusal:
            return Response.json(400, {"code": "AccessDeniedException", "message": str(refusal)})
        return Response.json(200, {**credentials, "AccountId": ACCOUNT})

    return app


def instance_metadata(role_name: str, credentials: Callable[[], dict[str, str]]) -> App:
    """IMDSv2 of a node whose instance profile holds `role_name`: a PUT for a session token first,
    then GETs that carry it; `credentials` makes a fresh session of the role."""
    tokens: set[str] = set()
    lock = threading.Lock()
    prefix = "/latest/meta-data/iam/security-credentials/"

    def app(request: Request) -> Response:
        if request.method == "PUT" and request.path == "/latest/api/token":
            ttl = request.header("X-aws-ec2-metadata-token-ttl-seconds") or ""
            if request.header("X-Forwarded-For") is not None:
                return Response.text(403, "Forbidden")
            if not ttl.isdigit() or not 1 <= int(ttl) <= IMDS_TOKEN_TTL_LIMIT:
                return Response.text(400, "Bad Request")
            token = secrets.token_urlsafe(32)
            with lock:
                tokens.add(token)
            return Response.text(200, token, **{"X-aws-ec2-metadata-token-ttl-seconds": ttl})
        if request.method != "GET":
            return Response.text(405, "Method Not Allowed")
        with lock:
            known = (request.header("X-aws-ec2-metadata-token") or "") in tokens
        if not known:
            return Response.text(401, "Unauthorized")
        if request.path == prefix:
            return Response.text(200, role_name)
        if request.path == prefix + role_name:
            now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            try:
                issued = {"Code": "Success", **credentials()}
            except Refused as refusal:
                issued = {"Code": "AssumeRoleUnauthorizedAccess", "Message": str(refusal)}
            return Response.json(200, {"LastUpdated": now, "Type": "AWS-HMAC", **issued})
        return Response.text(404, "Not Found")

    return app
