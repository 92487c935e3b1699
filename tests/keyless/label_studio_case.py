"""Label Studio itself in a keyless mode, started by the end-to-end suite's harness (tests/e2e).

Its environment is the rendered chart's app container (what the program hands it), plus what the
platform adds for the mode (the credential endpoint's variables, from the same context managers
the client-library pods use), plus what an emulator forces and the caller names: where storage
is, and SQLite for PostgreSQL. Everything else is Label Studio's own doing: its storage backend
finds the credentials through botocore's or google-auth's default chain.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.harness.labelstudio import Answer, Interception, LabelStudio, label_studio
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


@dataclass(frozen=True)
class Imported:
    """A project Label Studio made, and the tasks file it stored for it."""

    server: LabelStudio
    project: int
    file: str  # the upload's name as Label Studio keeps it, relative to the folder

    def key(self, folder: str) -> str:
        return f"{folder}/{self.file}"


def import_tasks(server: LabelStudio, title: str) -> Imported:
    """A tasks file imported into a new project, as the web app does it; fails the test if refused."""
    project = server.create_project(title)
    return Imported(server, project, str(server.upload(project, "tasks.json", TASKS)["file"]))


def assert_stored_and_read_back(imported: Imported, folder: str, stored: Callable[[str], bytes]) -> None:
    """The tasks file is in storage under the folder (`stored` reads a key past Label Studio), and
    Label Studio read it back to make the project's tasks."""
    assert imported.key(folder).startswith(f"{folder}/upload/{imported.project}/")
    assert stored(imported.key(folder)) == TASKS
    assert [task["data"]["text"] for task in imported.server.tasks(imported.project)] == TEXTS


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
