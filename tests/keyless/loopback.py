"""Loopback HTTP plumbing for the keyless stand-ins.

A stand-in is a plain function from a Request to a Response. `serving` runs it on 127.0.0.1 from a
daemon thread until its block ends, or until `lifetime` seconds have passed, whichever is first,
so a hung test never leaves a server behind.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
    app: App


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            host=str(self.headers.get("Host", "")),
            path=url.path,
            raw_query=url.query,
            headers=dict(self.headers.items()),
            body=body,
        )
        try:
            response = self.server.app(request)
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

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on outcomes, not on access logs."""


@contextmanager
def serving(app: App, lifetime: float = LIFETIME_SECONDS) -> Iterator[str]:
    """Serve `app` on a free loopback port; yields `127.0.0.1:<port>`."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.app = app
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
