"""Google Cloud for one GKE pod under Workload Identity, played on loopback from what the program declares.

- `metadata_server`: GKE's metadata server as one pod sees it. It issues access tokens for the
  Google service account named in the pod's `iam.gke.io/gcp-service-account` annotation only when
  that account holds a declared `roles/iam.workloadIdentityUser` binding for
  `serviceAccount:<project>.svc.id.goog[<namespace>/<service account>]`; otherwise it refuses.
- `cloud_storage`: Cloud Storage's JSON API (and V4 signed links) in front of gcp-storage-emulator,
  letting a call through only when the caller holds a declared role that grants it on the bucket.
- `iam_credentials`: the IAM Credentials `signBlob` method, signing with the account's own key only
  when the caller holds a declared role that grants `iam.serviceAccounts.signBlob` on that account.

The grants come from the declared `BucketIAMMember`, service-account `IAMMember` and project
`IAMMember` resources; each role maps to the permissions the stand-ins check (ROLE_PERMISSIONS),
and a role not listed there grants nothing.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.harness.signed_links import string_to_sign
from tests.keyless.cluster import Pod
from tests.keyless.loopback import App, Request, Response
from tools.mockrun import Declaration, reveal

IAM_CREDENTIALS_HOST = "iamcredentials.googleapis.com"
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
ANNOTATION = "iam.gke.io/gcp-service-account"
TOKEN_SECONDS = 3599

_OBJECT_ADMIN = {f"storage.objects.{verb}" for verb in ("create", "delete", "get", "list", "update")}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "roles/storage.objectAdmin": frozenset(_OBJECT_ADMIN),
    "roles/storage.objectUser": frozenset(_OBJECT_ADMIN),
    "roles/storage.objectViewer": frozenset({"storage.objects.get", "storage.objects.list"}),
    "roles/storage.objectCreator": frozenset({"storage.objects.create"}),
    "roles/storage.admin": frozenset(_OBJECT_ADMIN | {"storage.buckets.get", "storage.buckets.update"}),
    "roles/iam.serviceAccountTokenCreator": frozenset(
        {"iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt", "iam.serviceAccounts.getAccessToken"}
    ),
    WORKLOAD_IDENTITY_USER: frozenset({"iam.serviceAccounts.getAccessToken"}),
}


@dataclass(frozen=True)
class Grant:
    resource: str
    role: str
    member: str


def _account_resource(service_account_id: str) -> str:
    """`serviceAccounts/<email>` from either the account's full name or its email."""
    return f"serviceAccounts/{service_account_id.rsplit('/', 1)[-1]}"


def declared_grants(declaration: Declaration) -> list[Grant]:
    """Every IAM grant the program declares, on buckets, service accounts and projects."""
    grants = []
    for kind, resource_of in (
        ("gcp:storage/bucketIAMMember:BucketIAMMember", lambda i: f"buckets/{i['bucket']}"),
        ("gcp:storage/bucketIAMBinding:BucketIAMBinding", lambda i: f"buckets/{i['bucket']}"),
        ("gcp:serviceaccount/iAMMember:IAMMember", lambda i: _account_resource(i["serviceAccountId"])),
        ("gcp:serviceaccount/iAMBinding:IAMBinding", lambda i: _account_resource(i["serviceAccountId"])),
        ("gcp:projects/iAMMember:IAMMember", lambda i: f"projects/{i['project']}"),
    ):
        for registration in declaration.of_type(kind):
            inputs = reveal(registration.inputs)
            members = inputs["members"] if "members" in inputs else [inputs["member"]]
            grants += [Grant(resource_of(inputs), inputs["role"], member) for member in members]
    return grants


class Iam:
    """Decisions over a fixed set of grants, the way IAM evaluates allow policies (no conditions)."""

    def __init__(self, grants: Iterable[Grant], project: str):
        self.grants = list(grants)
        self.project = project

    def has_role(self, member: str, role: str, resource: str) -> bool:
        return any(g.member == member and g.role == role and g.resource == resource for g in self.grants)

    def allows(self, member: str, permission: str, resource: str) -> bool:
        """Whether `member` holds a role with `permission` on `resource` or on the whole project."""
        return any(
            g.member == member
            and permission in ROLE_PERMISSIONS.get(g.role, frozenset())
            and g.resource in (resource, f"projects/{self.project}")
            for g in self.grants
        )


class Tokens:
    """Access tokens the metadata server issued, and whom each one stands for."""

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}
        self._lock = threading.Lock()

    def issue(self, email: str) -> str:
        token = "ya29.stand-in-" + secrets.token_urlsafe(24)
        with self._lock:
            self._owners[token] = email
        return token

    def owner(self, request: Request) -> str | None:
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        with self._lock:
            return self._owners.get(token) if scheme.lower() == "bearer" else None


class Keys:
    """Each service account's own RSA key pair, made on first use; Google holds these, not the pod."""

    def __init__(self) -> None:
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        self._lock = threading.Lock()

    def private(self, email: str) -> rsa.RSAPrivateKey:
        with self._lock:
            if email not in self._keys:
                self._keys[email] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._keys[email]

    def key_id(self, email: str) -> str:
        return hashlib.sha1(email.encode()).hexdigest()

    def verifies(self, email: str, signature: bytes, message: bytes) -> bool:
        """Whether `signature` is `email`'s RSA-SHA256 signature of `message`."""
        try:
            self.private(email).public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return False
        return True


def _error(status: int, message: str) -> Response:
    reason = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}.get(status, "FAILED")
    return Response.json(status, {"error": {"code": status, "message": message, "status": reason}})


def workload_identity_principal(project: str, pod: Pod) -> str:
    """The IAM member GKE presents for a Kubernetes service account (the platform's format)."""
    return f"serviceAccount:{project}.svc.id.goog[{pod.namespace}/{pod.service_account}]"


def metadata_server(pod: Pod, project: str, iam: Iam, tokens: Tokens) -> App:
    """GKE's metadata server for `pod`, in a cluster of `project` with Workload Identity."""
    email = pod.annotations.get(ANNOTATION)
    flavor = {"Metadata-Flavor": "Google"}

    def may_act_as_account() -> bool:
        principal = workload_identity_principal(project, pod)
        return bool(email) and iam.has_role(principal, WORKLOAD_IDENTITY_USER, f"serviceAccounts/{email}")

    def app(request: Request) -> Response:
        if request.header("Metadata-Flavor") != "Google":
            return Response.text(403, "Missing Metadata-Flavor:Google header.", **flavor)
        path = request.path.removeprefix("/computeMetadata/v1")
        if path in ("", "/"):
            return Response.text(200, "computeMetadata/", **flavor)
        if path == "/project/project-id":
            return Response.text(200, project, **flavor)
        if path == "/universe/universe-domain":
            return Response.text(200, "googleapis.com", **flavor)
        account = path.removeprefix("/instance/service-accounts/").split("/", 1)
        if not path.startswith("/instance/service-accounts/") or account[0] not in ("default", email):
            return Response.text(404, "not found", **flavor)
        if not may_act_as_account():
            return Response.text(
                403,
                f"the Kubernetes service account {pod.namespace}/{pod.service_account} may not act as "
                f"{email or '(no iam.gke.io/gcp-service-account annotation)'}: "
                f"no {WORKLOAD_IDENTITY_USER} binding for {workload_identity_principal(project, pod)}",
                **flavor,
            )
        if account[1:] == [""]:
            scopes = ["https://www.googleapis.com/auth/cloud-platform"]
            return Response.json(200, {"aliases": ["default"], "email": email, "scopes": scopes}, **flavor)
        if account[1:] == ["email"]:
            return Response.text(200, str(email), **flavor)
        if account[1:] == ["token"]:
            token = tokens.issue(str(email))
            return Response.json(
                200, {"access_token": token, "expires_in": TOKEN_SECONDS, "token_type": "Bearer"}, **flavor
            )
        return Response.text(404, "not found", **flavor)

    return app


def _storage_operation(method: str, path: str) -> tuple[str, str] | None:
    """(permission, bucket) a JSON or XML API call needs; None for calls the stand-in does not model."""
    parts = path.strip("/").split("/")
    if parts[:3] == ["storage", "v1", "b"] and len(parts) >= 4:
        bucket, rest = parts[3], parts[4:]
        if not rest:
            return ("storage.buckets.get", bucket) if method == "GET" else None
        if rest == ["o"]:
            return {"GET": ("storage.objects.list", bucket), "POST": ("storage.objects.create", bucket)}.get(method)
        if rest[0] == "o":
            verbs = {"GET": "get", "DELETE": "delete", "PATCH": "update", "PUT": "update"}
            return (f"storage.objects.{verbs[method]}", bucket) if method in verbs else None
        return None
    if parts[:4] == ["upload", "storage", "v1", "b"] and parts[5:] == ["o"] and method in ("POST", "PUT"):
        return "storage.objects.create", parts[4]
    if parts[:4] == ["download", "storage", "v1", "b"] and len(parts) > 6 and method == "GET":
        return "storage.objects.get", parts[4]
    if len(parts) >= 2 and parts[0] not in ("storage", "upload", "download") and method == "GET":
        return "storage.objects.get", parts[0]
    return None


@dataclass(frozen=True)
class SignedLink:
    """A V4 signed link's claims, after its signature checked out."""

    signer: str
    method: str


def verify_v4_link(request: Request, keys: Keys, now: datetime.datetime) -> SignedLink | str:
    """The signer of a V4 signed request (GOOG4-RSA-SHA256), or why Cloud Storage would refuse it.

    Rebuilt from the documented algorithm: canonical request, string to sign, then the signature
    checked with the public key of the account named in X-Goog-Credential.
    """
    pairs = parse_qsl(request.raw_query, keep_blank_values=True)
    query = dict(pairs)
    if query.get("X-Goog-Algorithm") != "GOOG4-RSA-SHA256":
        return f"unsupported algorithm {query.get('X-Goog-Algorithm')!r}"
    signer, _, scope = query.get("X-Goog-Credential", "").partition("/")
    signed_at = datetime.datetime.strptime(query.get("X-Goog-Date", ""), "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc
    )
    if now > signed_at + datetime.timedelta(seconds=int(query.get("X-Goog-Expires", "0"))):
        return "the link has expired"
    signed_headers = query.get("X-Goog-SignedHeaders", "")
    canonical_headers = "".join(
        f"{name}:{(request.header(name) or '').strip()}\n" for name in sorted(signed_headers.split(";"))
    )
    to_sign = string_to_sign(
        "GOOG4-RSA-SHA256",
        request.method,
        request.path,
        pairs,
        "X-Goog-Signature",
        canonical_headers,
        signed_headers,
        query["X-Goog-Date"],
        scope,
    )
    try:
        signature = binascii.unhexlify(query.get("X-Goog-Signature", ""))
    except binascii.Error:
        return "the signature is not hex"
    if not signer or not keys.verifies(signer, signature, to_sign.encode()):
        return f"the signature does not verify with the key of {signer or '(no signer)'}"
    return SignedLink(signer=signer, method=request.method)


def cloud_storage(iam: Iam, tokens: Tokens, keys: Keys, emulator: str) -> App:
    """Cloud Storage for callers with tokens from the metadata server or V4 links, backed by the emulator."""

    def app(request: Request) -> Response:
        operation = _storage_operation(request.method, request.path)
        if operation is None:
            return _error(403, f"the stand-in does not model {request.method} {request.path}")
        permission, bucket = operation
        if "X-Goog-Signature" in request.query:
            link = verify_v4_link(request, keys, datetime.datetime.now(datetime.timezone.utc))
            if isinstance(link, str):
                return _error(403, f"SignatureDoesNotMatch: {link}")
            caller = link.signer
        else:
            owner = tokens.owner(request)
            if owner is None:
                return _error(401, "Invalid Credentials")
            caller = owner
        if not iam.allows(f"serviceAccount:{caller}", permission, f"buckets/{unquote(bucket)}"):
            return _error(403, f"{caller} does not have {permission} access to the bucket {unquote(bucket)}.")
        return _forward(request, emulator)

    return app


def _forward(request: Request, emulator: str) -> Response:
    """The emulator's answer to the same call, without the caller's credentials."""
    query = "&".join(
        f"{quote(k, safe='')}={quote(v, safe='')}"
        for k, v in parse_qsl(request.raw_query, keep_blank_values=True)
        if not k.startswith("X-Goog-")
    )
    headers = {name: value for name, value in request.headers.items() if name.lower() == "content-type"}
    answer = requests.request(
        request.method,
        f"http://{emulator}{request.path}" + (f"?{query}" if query else ""),
        data=request.body,
        headers=headers,
        timeout=30,
    )
    kept = {name: value for name, value in answer.headers.items() if name.lower() in ("content-type", "etag")}
    return Response(answer.status_code, answer.content, kept)


def iam_credentials(iam: Iam, tokens: Tokens, keys: Keys) -> App:
    """The IAM Credentials API's signBlob: signs as an account for callers allowed to."""

    def app(request: Request) -> Response:
        prefix, _, method = request.path.partition(":")
        if request.method != "POST" or method != "signBlob" or "/serviceAccounts/" not in prefix:
            return _error(404, f"the stand-in does not model {request.method} {request.path}")
        account = unquote(prefix.rsplit("/serviceAccounts/", 1)[1])
        caller = tokens.owner(request)
        if caller is None:
            return _error(401, "Request had invalid authentication credentials.")
        if not iam.allows(f"serviceAccount:{caller}", "iam.serviceAccounts.signBlob", f"serviceAccounts/{account}"):
            return _error(
                403, f"Permission 'iam.serviceAccounts.signBlob' denied on resource (or it may not exist): {account}"
            )
        payload = base64.b64decode(json.loads(request.body or b"{}")["payload"])
        signature = keys.private(account).sign(payload, padding.PKCS1v15(), hashes.SHA256())
        return Response.json(200, {"keyId": keys.key_id(account), "signedBlob": base64.b64encode(signature).decode()})

    return app
