"""The program's Helm repository (components/label_studio.py CHART_REPOSITORY), served offline.

The release names `https://charts.heartex.com/`, which this machine cannot reach, and the engine
suite must not change the release's inputs (the plan is compared with what the engine
registered). So the Kubernetes provider is sent through an HTTPS proxy on 127.0.0.1 (HTTPS_PROXY,
which Helm's downloader honours) that answers for the repository's host itself, with a
certificate from a test authority the provider trusts through SSL_CERT_FILE. It serves an index
and the chart packaged from its published source (tests/harness/pod.py finds it, as the pod
simulation does) with empty stand-ins for the two Bitnami subcharts (postgresql, redis) Helm
insists are present: the offline renderer skips them too, and the storage wiring is all in
Label Studio's own templates. Every other host gets 502.
"""

from __future__ import annotations

import hashlib
import io
import socketserver
import ssl
import tarfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from components.label_studio import CHART_NAME, CHART_REPOSITORY
from tests.harness.tls import tls_identity


def package_chart(source: Path) -> bytes:
    """The chart as `helm package` lays it out (`<name>/...` in a gzipped tar), with each
    dependency Chart.yaml names present as an empty chart of that name and version."""
    meta = yaml.safe_load((source / "Chart.yaml").read_text())
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(str(source), arcname=meta["name"])
        for dependency in meta.get("dependencies") or []:
            stub = {"apiVersion": "v2", "name": dependency["name"], "version": dependency["version"]}
            data = yaml.safe_dump(stub).encode()
            info = tarfile.TarInfo(f"{meta['name']}/charts/{dependency['name']}/Chart.yaml")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _index(meta: dict, file_name: str, digest: str) -> bytes:
    entry = {key: meta[key] for key in ("apiVersion", "name", "version", "appVersion", "description") if key in meta}
    entry.update({"urls": [file_name], "digest": digest, "created": "2025-01-01T00:00:00Z"})
    document = {"apiVersion": "v1", "entries": {meta["name"]: [entry]}, "generated": "2025-01-01T00:00:00Z"}
    return yaml.safe_dump(document).encode()


@dataclass
class ChartRepository:
    proxy_url: str  # for HTTPS_PROXY
    authority: Path  # for SSL_CERT_FILE
    requests: list[str]  # paths served, to show the provider really fetched from here
    server: socketserver.ThreadingTCPServer

    def environment(self) -> dict[str, str]:
        return {
            "HTTPS_PROXY": self.proxy_url,
            "https_proxy": self.proxy_url,
            # Everything else (the API server, the engine's own gRPC) stays direct.
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "SSL_CERT_FILE": str(self.authority),
        }

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start(chart_source: Path, folder: Path) -> ChartRepository:
    """Serve the chart at `chart_source` as CHART_REPOSITORY's host, through a proxy on 127.0.0.1."""
    repository = urlsplit(CHART_REPOSITORY)
    host = repository.hostname or ""
    base = repository.path.rstrip("/")
    meta = yaml.safe_load((chart_source / "Chart.yaml").read_text())
    assert meta["name"] == CHART_NAME
    package = package_chart(chart_source)
    file_name = f"{meta['name']}-{meta['version']}.tgz"
    files = {
        f"{base}/index.yaml": _index(meta, file_name, hashlib.sha256(package).hexdigest()),
        f"{base}/{file_name}": package,
    }
    authority, cert, key = tls_identity(folder, host)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    requests: list[str] = []

    class Files(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            requests.append(path)
            body = files.get(path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    class Proxy(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            request_line = self.rfile.readline().decode("latin-1").split()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # the request's headers
            if len(request_line) < 2 or request_line[0] != "CONNECT" or request_line[1] != f"{host}:443":
                self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            try:
                with context.wrap_socket(self.connection, server_side=True) as tls:
                    Files(tls, self.client_address, self.server)
            except (ssl.SSLError, OSError):
                pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return ChartRepository(f"http://127.0.0.1:{server.server_address[1]}", authority, requests, server)
