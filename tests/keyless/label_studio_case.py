"""Label Studio itself in a keyless mode, started by the end-to-end suite's harness (tests/e2e).

Its environment is the rendered chart's app container (what the program hands it), plus what the
platform adds for the mode (the credential endpoint's variables, from the same context managers
the client-library pods use), plus what an emulator forces and the caller names: where storage
is, and SQLite for PostgreSQL. Everything else is Label Studio's own doing: its storage backend
finds the credentials through botocore's or google-auth's default chain.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.e2e.labelstudio import Answer, Interception, LabelStudio, label_studio
from tests.keyless.cluster import RenderedPod
from tests.keyless.loopback import App, Request

TASKS = b'[{"text": "a cat on a mat"}]'
TEXTS = ["a cat on a mat"]


@contextmanager
def label_studio_as(
    rendered: RenderedPod,
    platform: Mapping[str, str],
    replaced: Mapping[str, str],
    root: Path,
    interception: Interception | None = None,
) -> Iterator[LabelStudio]:
    """Label Studio started as the rendered app pod, in the platform's environment for its mode."""
    environment = {**rendered.environment, **platform, **replaced, "DJANGO_DB": "sqlite"}
    with label_studio(environment, root, interception=interception) as server:
        yield server


def try_import(server: LabelStudio) -> requests.Response:
    """A tasks file imported into a new project as the web app does it; the answer, whatever it is."""
    project = server.create_project("keyless control")
    files = {"file": ("tasks.json", TASKS)}
    return server.session.post(f"{server.url}/api/projects/{project}/import", files=files, timeout=120)


def answering(app: App, host: str) -> Answer:
    """A loopback stand-in as the answer of a host the harness's outbound proxy intercepts."""

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        url = urlsplit(path)
        response = app(Request(method, host, url.path, url.query, headers, body))
        return response.status, dict(json.loads(response.body or b"{}"))

    return answer
