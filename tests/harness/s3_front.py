"""What S3 does with a presigned link and moto does not: check its signature.

moto 5.2 cannot authorize a presigned (query-signed) request once IAM is enforced (it reads only
the Authorization header), and does not refuse Signature Version 2. This front sits between every
client and moto, on 127.0.0.1:
- a presigned request is checked the way S3 checks it for a bucket created after June 2020: SigV4
  only, signature recomputed with the signer's secret; then it is sent on signed in the header by
  the same credentials, so moto's IAM decides what that principal may do;
- a CORS preflight, which S3 never authenticates and moto does once IAM is enforced, is signed as
  the operator, so that moto's CORS rule matching alone decides it;
- everything else passes through untouched (header-signed API calls);
- a path is taken as S3 and MinIO take it: decoded (raw UTF-8 bytes, as nginx sends the path it
  decoded from X-Accel-Redirect, or percent-escapes) and encoded again for the canonical request;
- STS answers are read on the way back, so temporary credentials (IRSA) are known to it, as they
  are to AWS. STS takes AssumeRoleWithWebIdentity unsigned (the token is the proof); moto insists
  on a signature once IAM is enforced, so the front signs that one call as the operator too.
"""

from __future__ import annotations

import hmac
import re
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import requests
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.harness.signed_links import sigv4_signature, string_to_sign

PREFLIGHT_HEADERS = frozenset({"origin", "access-control-request-method", "access-control-request-headers"})
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"}


def sigv4_query_problem(method: str, host: str, path: str, query: str, secret: str) -> str | None:
    """Why this presigned SigV4 request's signature does not hold, or None when it does (signed headers: host)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    fields = dict(pairs)
    if fields.get("X-Amz-SignedHeaders") != "host":
        return f"signed headers {fields.get('X-Amz-SignedHeaders')!r}: this front checks links signing only host"
    credential = fields.get("X-Amz-Credential", "").split("/")
    if len(credential) != 5:
        return f"credential {fields.get('X-Amz-Credential')!r} is not <key>/<date>/<region>/<service>/aws4_request"
    scope = "/".join(credential[1:])
    to_sign = string_to_sign(
        "AWS4-HMAC-SHA256",
        method,
        path,
        pairs,
        "X-Amz-Signature",
        f"host:{host}\n",
        "host",
        fields["X-Amz-Date"],
        scope,
    )
    expected = sigv4_signature(secret, scope, to_sign)
    return None if hmac.compare_digest(expected, fields.get("X-Amz-Signature", "")) else "SignatureDoesNotMatch"


def aws_dechunked(body: bytes) -> bytes:
    """The payload of an aws-chunked body (`<hex size>[;chunk-signature=...]\\r\\n<data>\\r\\n`..., trailers last)."""
    payload, rest = b"", body
    while rest:
        line, _, rest = rest.partition(b"\r\n")
        size = int(line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        payload, rest = payload + rest[:size], rest[size + 2 :]
    return payload


class S3Front:
    def __init__(self, moto: str, region: str, tls: tuple[Path, Path] | None = None):
        self.moto = moto
        self.region = region
        self.secrets: dict[str, tuple[str, str | None]] = {}  # key id -> (secret, session token)
        self.refused: list[str] = []
        self.operator: Credentials | None = None  # signs what S3 takes unsigned and moto does not
        front = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                received = dict(self.headers)
                if self.headers.get("Expect", "").lower() == "100-continue":
                    # As S3 and MinIO do: botocore over https waits for it before sending the body.
                    self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self.wfile.flush()
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    # botocore streams uploads over https (aws-chunked, with a trailing checksum) in
                    # HTTP chunks: moto gets the same bytes, with a length instead.
                    body = self._dechunked()
                    received = {k: v for k, v in received.items() if k.lower() not in ("transfer-encoding", "expect")}
                else:
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, content = front.handle(self.command, self.path, received, body)
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                # A HEAD answer has no body but tells the object's length, as S3's does.
                upstream = {name.lower(): value for name, value in headers.items()}.get("content-length")
                length = upstream if self.command == "HEAD" and upstream else str(len(content))
                self.send_header("Content-Length", length)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(content)

            def _dechunked(self) -> bytes:
                body = b""
                while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                    body += self.rfile.read(size)
                    self.rfile.readline()
                while self.rfile.readline().strip():  # trailers, up to the blank line
                    pass
                return body

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        if tls:
            # A server whose certificate (`tls`: certificate and key files) is from an authority of its own.
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.url = self.url.replace("http://", "https://")

    def know(self, key_id: str, secret: str, token: str | None = None) -> None:
        self.secrets[key_id] = (secret, token)

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        split = urlsplit(target)
        # http.server hands the request line over as Latin-1: its bytes again, read as UTF-8.
        path = quote(unquote(split.path.encode("latin-1").decode("utf-8", "replace")), safe="/-_.~")
        split = split._replace(path=path)
        target = split.geturl()
        if method == "OPTIONS" and self.operator:
            # S3 never authenticates a preflight; moto does once IAM is enforced, so the front
            # signs it as the operator and moto's CORS rule matching alone decides.
            return self.resigned(method, split.path, headers, body, self.operator, passed=PREFLIGHT_HEADERS)
        fields = dict(parse_qsl(split.query, keep_blank_values=True))
        if "Signature" in fields or "AWSAccessKeyId" in fields:
            return self.refuse(target, "Signature Version 2 is refused for this bucket: use AWS4-HMAC-SHA256")
        if "X-Amz-Signature" in fields:
            key_id = fields.get("X-Amz-Credential", "").split("/")[0]
            if key_id not in self.secrets:
                return self.refuse(target, f"InvalidAccessKeyId {key_id}")
            secret, token = self.secrets[key_id]
            problem = sigv4_query_problem(method, headers.get("Host", ""), split.path, split.query, secret)
            if problem:
                return self.refuse(target, problem)
            return self.resigned(method, split.path, headers, body, Credentials(key_id, secret, token))
        if headers.get("X-Amz-Content-SHA256", "").startswith("STREAMING-"):
            # botocore over https streams an upload aws-chunked with a trailing checksum, which moto
            # does not read: the payload is decoded and sent on signed in the header by the same key.
            credential = re.search(r"Credential=([^/]+)/", headers.get("Authorization", ""))
            key_id = credential.group(1) if credential else ""
            if key_id not in self.secrets:
                return self.refuse(target, f"InvalidAccessKeyId {key_id}")
            secret, token = self.secrets[key_id]
            return self.resigned(method, split.path, headers, aws_dechunked(body), Credentials(key_id, secret, token))
        if b"Action=AssumeRoleWithWebIdentity" in body and "Authorization" not in headers and self.operator:
            kept = {"Content-Type": headers.get("Content-Type", "application/x-www-form-urlencoded")}
            request = AWSRequest(method=method, url=f"{self.moto}{target}", data=body, headers=kept)
            SigV4Auth(self.operator, "sts", self.region).add_auth(request)
            headers = dict(request.headers)
        answer = requests.request(method, f"{self.moto}{target}", headers=headers, data=body, timeout=30)
        if b"AssumeRoleWithWebIdentityResponse" in answer.content:
            found = {
                tag: re.search(rf"<{tag}>([^<]+)</{tag}>".encode(), answer.content)
                for tag in ("AccessKeyId", "SecretAccessKey", "SessionToken")
            }
            if all(found.values()):
                key_id, secret, token = (match.group(1).decode() for match in found.values() if match)
                self.know(key_id, secret, token)
        return answer.status_code, dict(answer.headers), answer.content

    def refuse(self, target: str, reason: str) -> tuple[int, dict, bytes]:
        self.refused.append(f"{target.split('?')[0]}: {reason}")
        return (
            403,
            {"Content-Type": "application/xml"},
            f"<Error><Code>AccessDenied</Code><Message>{reason}</Message></Error>".encode(),
        )

    def resigned(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        credentials: Credentials,
        passed: frozenset[str] = frozenset({"origin", "content-type", "range"}),
    ) -> tuple[int, dict, bytes]:
        """The request sent on to moto signed in the header by `credentials`, with only the `passed` headers."""
        kept = {k: v for k, v in headers.items() if k.lower() in passed}
        request = AWSRequest(method=method, url=f"{self.moto}{path}", data=body, headers=kept)
        request.context["payload_signing_enabled"] = True
        S3SigV4Auth(credentials, "s3", self.region).add_auth(request)
        answer = requests.request(method, request.url, headers=dict(request.headers), data=body, timeout=30)
        return answer.status_code, dict(answer.headers), answer.content


@contextmanager
def s3_front(moto: str, region: str, tls: tuple[Path, Path] | None = None) -> Iterator[S3Front]:
    front = S3Front(moto, region, tls)
    threading.Thread(target=front.server.serve_forever, daemon=True).start()
    try:
        yield front
    finally:
        front.server.shutdown()
        front.server.server_close()
