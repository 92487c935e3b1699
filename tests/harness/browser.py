"""A real browser for CORS: Debian's headless Chromium loads a page from an origin and reports what
its requests got.

The page runs two requests the way Label Studio's web app does: GET a signed storage link and PUT
a file to a signed upload URL. It writes each outcome (status and body, or "blocked" when the
browser refused the response under CORS) into the document, which `--dump-dom` prints. No driver:
only the browser. Chromium cannot resolve any name but loopback, so it reaches nothing else.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.harness.servers import free_port

# Synchronous XMLHttpRequest: the same CORS checks as fetch, but the outcome is in the document
# before the load event, which is when --dump-dom prints it.
PAGE = """<!doctype html><html><body><script type="application/json" id="plan">%s</script><script>
function attempt(method, url, body, headers) {
  const request = new XMLHttpRequest();
  try {
    request.open(method, url, false);
    for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value);
    request.send(body);
    return {status: request.status, body: request.responseText};
  } catch (error) {
    return {blocked: String(error)};
  }
}
const plan = JSON.parse(document.getElementById("plan").textContent);
const outcome = {
  read: attempt("GET", plan.read, null, {}),
  upload: attempt("PUT", plan.upload, plan.body, plan.headers),
};
const shown = document.createElement("pre");
shown.id = "outcome";
shown.textContent = JSON.stringify(outcome);
document.body.appendChild(shown);
</script></body></html>"""


def chromium() -> str:
    """Fail, never skip: a missing browser must not turn the CORS tests silently green."""
    found = shutil.which("chromium")
    if not found:
        pytest.fail("chromium is not installed: run scripts/setup-e2e.sh (Debian's chromium package)", pytrace=False)
    return found


@contextmanager
def page_server(port: int | None = None) -> Iterator[tuple[str, dict[str, str]]]:
    """An HTTP server on 127.0.0.1 serving whatever HTML is put in the returned dict under "page"; its origin."""
    content: dict[str, str] = {"page": ""}

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = content["page"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port or free_port()), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", content
    finally:
        server.shutdown()
        server.server_close()


def run_page(
    origin: str, content: dict[str, str], read: str, upload: str, body: str, headers: dict[str, str]
) -> dict[str, Any]:
    """Load the page from `origin` in headless Chromium; what its read and its upload got."""
    plan = json.dumps({"read": read, "upload": upload, "body": body, "headers": headers}).replace("</", "<\\/")
    content["page"] = PAGE % plan
    return dict(page_outcome(origin))


def page_outcome(origin: str) -> Any:
    """Load `origin`'s page in headless Chromium (every other host unresolvable) and read the JSON
    the page wrote into its `<pre id="outcome">`."""
    with tempfile.TemporaryDirectory() as profile:
        command = [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--dump-dom",
            f"{origin}/",
        ]
        dumped = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    match = re.search(r'<pre id="outcome">(.*?)</pre>', dumped.stdout, re.S)
    assert match, f"chromium printed no result:\n{dumped.stdout[-2000:]}\n{dumped.stderr[-2000:]}"
    return json.loads(html.unescape(match.group(1)))
