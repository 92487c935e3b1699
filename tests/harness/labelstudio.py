"""The real Label Studio server, from its own virtual environment, and the REST calls the suite makes.

Label Studio runs as `label-studio start` (Django's server, as the image's `label-studio` command
does) with exactly the environment a case hands it. What the harness adds is the same for every
case and never touches storage: a copy of a migrated SQLite database instead of PostgreSQL, a data
directory, a first user with an API token, and no update check, telemetry or error reporting.
Every outbound HTTP(S) request goes through a recording proxy that refuses it, so a case fails if
Label Studio tries to reach beyond 127.0.0.1. In front of it, as in the image, runs the image's
nginx (tests/harness/nginx.py): `origin` is where a user's browser reaches Label Studio.
"""

from __future__ import annotations

import json
import re
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.harness.nginx import Names, nginx, pod_resolver
from tests.harness.servers import free_port, stop_process
from tools.mockrun import PROJECT_DIR

E2E_DIR = PROJECT_DIR / ".e2e"
VENV = E2E_DIR / "labelstudio"
PINNED = re.search(r"^label-studio==(\S+)$", (PROJECT_DIR / "requirements-labelstudio.txt").read_text(), re.M)
VERSION = PINNED.group(1) if PINNED else ""
USER = "e2e@example.com"
PASSWORD = "e2e-password-not-a-secret"
TOKEN = "0123456789abcdef0123456789abcdef01234567"

# Added to every case: none of these concerns storage.
QUIET = {
    "LATEST_VERSION_CHECK": "false",
    "COLLECT_ANALYTICS": "false",
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "PYTHONUNBUFFERED": "1",
}


def static_root() -> Path:
    """The installed label_studio package: what the image has at /label-studio/label_studio/."""
    found = sorted(VENV.glob("lib/python*/site-packages/label_studio"))
    return found[0] if found else VENV


def require_label_studio() -> Path:
    """The template database; fail, never skip, when the set-up has not run."""
    template = E2E_DIR / f"labelstudio-{VERSION}.sqlite3"
    executable = VENV / "bin" / "label-studio"
    if not executable.exists() or not template.exists():
        pytest.fail(
            f"Label Studio {VERSION} is not set up ({executable} or {template} is missing): run scripts/setup-e2e.sh",
            pytrace=False,
        )
    return template


# What an intercepted host answers: (method, path, lower-case headers, body) -> (status, JSON answer).
Answer = Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, Any]]]


@dataclass
class Interception:
    """One outside host the trap answers itself, over TLS with a certificate for that host."""

    host: str
    certificate: Path
    key: Path
    answer: Answer


class OutboundTrap:
    """An HTTP proxy on 127.0.0.1 that records every request sent through it and refuses it, except
    for an intercepted host, whose stand-in answers instead."""

    def __init__(self, interception: Interception | None = None) -> None:
        self.attempts: list[str] = []
        self.intercepted: list[str] = []
        trap = self

        class Refuse(BaseHTTPRequestHandler):
            def _refuse(self) -> None:
                trap.attempts.append(f"{self.command} {self.path}")
                self.send_error(403, "the end-to-end suite allows no traffic beyond 127.0.0.1")

            def do_CONNECT(self) -> None:
                if interception is None or self.path != f"{interception.host}:443":
                    self._refuse()
                    return
                self.send_response(200, "Connection established")
                self.end_headers()
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(interception.certificate, interception.key)
                with context.wrap_socket(self.connection, server_side=True) as tls:
                    trap.answer(tls, interception)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = _refuse

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, tls: ssl.SSLSocket, interception: Interception) -> None:
        """Read one HTTP request inside the tunnel and write the stand-in's answer."""
        stream = tls.makefile("rwb")
        method, path, _ = stream.readline().decode().split(" ", 2)
        headers = {}
        while (line := stream.readline().decode().strip()) != "":
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        body = stream.read(int(headers.get("content-length", "0")))
        self.intercepted.append(f"{method} {interception.host}{path}")
        status, answer = interception.answer(method, path, headers, body)
        content = json.dumps(answer).encode()
        stream.write(
            f"HTTP/1.1 {status} {'OK' if status < 400 else 'Refused'}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(content)}\r\nConnection: close\r\n\r\n".encode()
            + content
        )
        stream.flush()

    def environment(self) -> dict[str, str]:
        """Proxy variables every HTTP client in Label Studio honours; loopback goes direct."""
        direct = "127.0.0.1,localhost"
        names = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
        return {**dict.fromkeys(names, self.url), "NO_PROXY": direct, "no_proxy": direct}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class LabelStudio:
    """A running Label Studio and an authenticated REST session with it."""

    url: str  # Django itself (the REST calls of the harness)
    log: Path
    origin: str = ""  # the image's nginx in front of it: what a browser reaches
    nginx_root: Path | None = None
    intercepted: list[str] = field(default_factory=list)  # requests a stand-in answered for an outside host
    session: requests.Session = field(default_factory=requests.Session)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.session.request(method, f"{self.url}{path}", timeout=60, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text[:500]}\n{self.tail()}")
        return response

    def nginx_errors(self) -> str:
        log = self.nginx_root / "error.log" if self.nginx_root else None
        return "\n".join(log.read_text(errors="replace").splitlines()[-15:]) if log and log.exists() else ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""

    def create_project(self, title: str) -> int:
        config = '<View><Text name="text" value="$text"/></View>'
        return int(self.api("POST", "/api/projects", json={"title": title, "label_config": config}).json()["id"])

    def upload(self, project: int, name: str, content: bytes) -> dict[str, Any]:
        """Import a tasks file the way the web app does; Label Studio stores it, then reads it back to make tasks."""
        answer = self.api("POST", f"/api/projects/{project}/import", files={"file": (name, content)}).json()
        (upload_id,) = answer["file_upload_ids"]
        uploads = self.api("GET", f"/api/projects/{project}/file-uploads", params={"ids": json.dumps([upload_id])})
        (upload,) = uploads.json()
        return dict(upload)

    def tasks(self, project: int) -> list[dict[str, Any]]:
        answer = self.api("GET", "/api/tasks", params={"project": project, "page_size": 100}).json()
        return list(answer["tasks"])

    def storage_link(self, file_path: str) -> str:
        """The signed storage URL Label Studio hands out for an uploaded file.

        Label Studio answers /storage-data/uploaded/ with an X-Accel-Redirect to
        `/file_download/<scheme>/<signed URL without scheme>`, which the image's nginx fetches;
        no nginx runs here, so the test follows the signed URL itself.
        """
        answer = self.api("GET", "/storage-data/uploaded/", params={"filepath": file_path}, allow_redirects=False)
        redirect = answer.headers.get("X-Accel-Redirect", "")
        match = re.match(r"^/file_download/(https?)/(.+)$", redirect)
        assert match, f"no signed storage link in {dict(answer.headers)}"
        return f"{match.group(1)}://{match.group(2)}"


@contextmanager
def label_studio(
    environment: Mapping[str, str],
    workdir: Path,
    extra_pythonpath: Path | None = None,
    interception: Interception | None = None,
    database_from: Path | None = None,
    names: Names | None = None,
) -> Iterator[LabelStudio]:
    """`label-studio start` with `environment` (plus the harness's own variables), until the block
    ends, behind the image's nginx. `database_from`: a database to start with a copy of, instead of a
    fresh one (Label Studio started again). `names`: the storage's host names, as cluster (or
    Docker's) DNS answers them and as the pod's resolver finds them (tests/harness/nginx.py).

    Fails the test if Label Studio sent any request beyond 127.0.0.1.
    """
    template = require_label_studio()
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "label_studio.sqlite3"
    shutil.copyfile(database_from or template, database)
    port = free_port()
    trap = OutboundTrap(interception)
    harness = {
        **QUIET,
        **trap.environment(),
        "LABEL_STUDIO_BASE_DATA_DIR": str(workdir / "data"),
        "DATABASE_NAME": str(database),
        "HOME": str(workdir),
    }
    names = names or Names()
    # The pod's resolver (search list) for Label Studio's own clients, and these hosts kept off the trap.
    harness |= pod_resolver(names, workdir / "resolver")
    direct = ",".join(["127.0.0.1", "localhost", *names.direct()])
    harness |= {"NO_PROXY": direct, "no_proxy": direct}
    harness["PYTHONPATH"] = ":".join(str(p) for p in (workdir / "resolver", extra_pythonpath) if p)
    # The process gets the case's environment and the harness's, nothing of the test runner's.
    process_env = {"PATH": f"{VENV / 'bin'}:/usr/bin:/bin", **environment, **harness}
    command = [str(VENV / "bin" / "label-studio"), "start", "--no-browser", "--internal-host", "127.0.0.1"]
    command += ["--port", str(port), "--username", USER, "--password", PASSWORD, "--user-token", TOKEN]
    # Label Studio 1.23 turns the fixed API token off for new organisations; the harness needs it.
    command += ["--enable-legacy-api-token"]
    log = workdir / "label-studio.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=process_env, cwd=workdir, stdout=output, stderr=subprocess.STDOUT)
    server = LabelStudio(url=f"http://127.0.0.1:{port}", log=log, intercepted=trap.intercepted)
    server.session.headers["Authorization"] = f"Token {TOKEN}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"label-studio exited with {process.returncode}:\n{server.tail()}")
            try:
                if requests.get(f"{server.url}/health", timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or a busy machine
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"label-studio did not answer on {server.url}:\n{server.tail()}")
            time.sleep(0.3)
        with nginx(port, names, workdir / "nginx", static_root()) as front:
            server.origin, server.nginx_root = front.url, front.root
            yield server
    finally:
        stop_process(process, grace=15)
        trap.close()
    assert trap.attempts == [], f"Label Studio tried to reach beyond 127.0.0.1: {trap.attempts}"
