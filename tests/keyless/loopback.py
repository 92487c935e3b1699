"""Loopback HTTP plumbing for the keyless stand-ins.

A stand-in is a plain function from a Request to a Response. `serving` runs it on 127.0.0.1 from a
daemon thread until its block ends, or until `lifetime` seconds have passed, whichever is first,
so a hung test never leaves a server behind.

`serving` can also play real HTTPS hosts (storage.googleapis.com...) for client libraries that
only talk to those: the client reaches it through HTTPS_PROXY, it answers CONNECT for the hosts it
plays, terminates TLS with a certificate from a throwaway test authority (the client trusts it
through REQUESTS_CA_BUNDLE) and hands the requests to that host's stand-in. Every other host is
refused, so nothing leaves the machine.
"""

from __future__ import annotations

import datetime
import json
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# Long enough for the slowest case, short enough that a forgotten server goes away on its own.
LIFETIME_SECONDS = 300.0


@dataclass(frozen=True)
class Request:
    method: str
    host: str
    path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.raw_query, keep_blank_values=True))

    def header(self, name: str) -> str | None:
        """A header by name, in any case (HTTP header names are case-insensitive)."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), None)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, value: Any, **headers: str) -> Response:
        return cls(status, json.dumps(value).encode(), {"Content-Type": "application/json", **headers})

    @classmethod
    def text(cls, status: int, value: str, **headers: str) -> Response:
        return cls(status, value.encode(), {"Content-Type": "text/plain", **headers})


App = Callable[[Request], Response]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: App | None
    hosts: Mapping[str, App]
    tls: ssl.SSLContext | None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    tunnel_host: str | None = None

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        app = self.server.hosts.get(self.tunnel_host) if self.tunnel_host else self.server.app
        request = Request(
            method=self.command,
            host=self.tunnel_host or str(self.headers.get("Host", "")),
            path=url.path,
            raw_query=url.query,
            headers=dict(self.headers.items()),
            body=body,
        )
        if app is None:
            response = Response.text(403, f"no stand-in plays {request.host}")
        else:
            try:
                response = app(request)
            except Exception as error:  # a stand-in's bug shows as a 500 with its cause
                response = Response.text(500, f"stand-in failed: {error!r}")
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _serve

    def do_CONNECT(self) -> None:
        host = self.path.rsplit(":", 1)[0]
        if host not in self.server.hosts or self.server.tls is None:
            self.send_error(403, f"no stand-in plays {host}")
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        tunnel = self.server.tls.wrap_socket(self.connection, server_side=True)
        handler = type("_TunnelHandler", (_Handler,), {"tunnel_host": host})
        handler(tunnel, self.client_address, self.server)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on outcomes, not on access logs."""


@contextmanager
def serving(
    app: App | None = None,
    hosts: Mapping[str, App] | None = None,
    tls: ssl.SSLContext | None = None,
    lifetime: float = LIFETIME_SECONDS,
) -> Iterator[str]:
    """Serve `app` (and, as an HTTPS proxy, `hosts`) on a free loopback port; yields `127.0.0.1:<port>`."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.app, server.hosts, server.tls = app, dict(hosts or {}), tls
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    deadline = threading.Timer(lifetime, server.shutdown)
    deadline.daemon = True
    deadline.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        deadline.cancel()
        server.shutdown()
        server.server_close()
        thread.join(10)


@dataclass(frozen=True)
class Authority:
    """A throwaway certificate authority and a server context for `hosts`, signed by it."""

    ca_file: Path
    context: ssl.SSLContext


def throwaway_authority(hosts: list[str], directory: Path) -> Authority:
    """A CA that exists only for this run, and a TLS server context for `hosts` it signed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keyless stand-ins test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host) for host in hosts]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = directory / "server.pem"
    chain.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return Authority(ca_file=ca_file, context=context)
