"""Local stand-ins for the two Google endpoints Label Studio calls beside Cloud Storage.

- The OAuth token endpoint: the key file issued here names it as its `token_uri`; it takes the
  signed JWT assertion of a service account key and answers an access token for that account.
- IAM Credentials `signBlob`: Label Studio signs every link through it, as its own service account
  (core/storage.py forces this even with a key file). The client library calls it at
  https://iamcredentials.googleapis.com, with no setting to move it, so Label Studio's outbound
  proxy (labelstudio.OutboundTrap) answers that one host itself, over TLS with a certificate of a
  test CA that Label Studio is told to trust. It signs only when the caller may act as the
  account: the Token Creator bindings the program declares, and nothing else.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.harness.signed_links import string_to_sign
from tools.mockrun import Declaration, reveal

IAM_HOST = "iamcredentials.googleapis.com"
TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _b64url_json(part: str) -> dict[str, Any]:
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


@dataclass
class Google:
    """Service account keys issued here, the tokens handed out for them, and the declared bindings."""

    token_uri: str = ""
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)  # account email -> its key
    tokens: dict[str, str] = field(default_factory=dict)  # access token -> account email
    token_creators: set[tuple[str, str]] = field(default_factory=set)  # (account email, member)
    signed: list[str] = field(default_factory=list)

    def issue_key_file(self, email: str, project: str) -> str:
        """A service account key file for `email`, as IAM would issue it, whose tokens come from here."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.keys[email] = key
        return json.dumps(
            {
                "type": "service_account",
                "project_id": project,
                "private_key_id": secrets.token_hex(20),
                "private_key": _pem(key),
                "client_email": email,
                "client_id": "100000000000000000000",
                "token_uri": self.token_uri,
            }
        )

    def grant_declared(self, declaration: Declaration) -> None:
        """The Token Creator bindings the program declares on service accounts, as IAM holds them."""
        for registration in declaration.of_type("gcp:serviceaccount/iAMMember:IAMMember"):
            binding = reveal(registration.inputs)
            if binding["role"] == TOKEN_CREATOR:
                account = binding["serviceAccountId"].rsplit("/", 1)[1]
                self.token_creators.add((account, binding["member"]))

    def token(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """The JWT-bearer grant: the assertion must be signed by a key issued here."""
        assertion = parse_qs(body.decode())["assertion"][0]
        header, claims, signature = assertion.split(".")
        email = _b64url_json(claims)["iss"]
        key = self.keys.get(email)
        if key is None:
            return 400, {"error": "invalid_grant", "error_description": f"no key for {email}"}
        key.public_key().verify(
            base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
            f"{header}.{claims}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        token = f"ya29.stand-in-{secrets.token_hex(16)}"
        self.tokens[token] = email
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def sign_blob(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        """projects/-/serviceAccounts/<email>:signBlob, allowed to Token Creators of <email> only."""
        account = unquote(path.split("/serviceAccounts/", 1)[1].split(":signBlob", 1)[0])
        caller = self.tokens.get(headers.get("authorization", "").removeprefix("Bearer "))
        if caller is None:
            return 401, {"error": {"code": 401, "message": "invalid access token"}}
        if (account, f"serviceAccount:{caller}") not in self.token_creators:
            return 403, {"error": {"code": 403, "message": f"{caller} may not sign as {account}"}}
        payload = base64.b64decode(json.loads(body)["payload"])
        signature = self.keys[account].sign(payload, padding.PKCS1v15(), hashes.SHA256())
        self.signed.append(account)
        return 200, {"keyId": "stand-in", "signedBlob": base64.b64encode(signature).decode()}


@contextmanager
def token_server(google: Google) -> Iterator[Google]:
    """The token endpoint on 127.0.0.1 (plain HTTP: it is the key file that names it)."""

    class Token(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            status, answer = google.token(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Token)
    google.token_uri = f"http://127.0.0.1:{server.server_address[1]}/token"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield google
    finally:
        server.shutdown()
        server.server_close()


def goog4_problems(link: str, public_key: rsa.RSAPublicKey, email: str) -> list[str]:
    """Why Cloud Storage would refuse this V4-signed link; empty when the signature holds.

    The canonical request of a V4 signed URL that signs only `host`, hashed into the string to
    sign, checked against X-Goog-Signature with the account's public key.
    """
    parts = urlsplit(link)
    pairs = [(key, value) for key, values in parse_qs(parts.query, keep_blank_values=True).items() for value in values]
    fields = dict(pairs)
    problems = []
    if fields.get("X-Goog-Algorithm") != "GOOG4-RSA-SHA256":
        return [f"X-Goog-Algorithm is {fields.get('X-Goog-Algorithm')!r}: not a V4 signature"]
    credential = fields["X-Goog-Credential"].split("/")
    if credential[0] != email:
        problems.append(f"signed as {credential[0]}, not as Label Studio's own account {email}")
    if fields.get("X-Goog-SignedHeaders") != "host":
        problems.append(f"signed headers {fields.get('X-Goog-SignedHeaders')!r}: this check knows only host")
    scope = "/".join(credential[1:])
    to_sign = string_to_sign(
        "GOOG4-RSA-SHA256",
        "GET",
        parts.path,
        pairs,
        "X-Goog-Signature",
        f"host:{parts.netloc}\n",
        "host",
        fields["X-Goog-Date"],
        scope,
    )
    try:
        public_key.verify(
            bytes.fromhex(fields["X-Goog-Signature"]), to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except Exception:
        problems.append("the signature does not hold for the account's key")
    return problems
