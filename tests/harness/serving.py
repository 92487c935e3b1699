"""What a user's browser gets from Label Studio's origin, where the image's nginx serves stored files.

Every case's Label Studio runs behind the image's nginx (tests/harness/nginx.py). For an upload, the
file is read back from that origin the two ways the web app reads it: the task's URL (Label
Studio writes `/storage-data/uploaded/?filepath=<name>` into the task; Django answers with
X-Accel-Redirect and nginx fetches the storage link) and `/data/upload/<project>/<name>` (Django
reads the storage itself). Headless Chromium, logged in to Label Studio, shows a task's image
from that origin.

File names people upload (spaces, non-ASCII letters, `+`, `%`, `#`, parentheses, 200 characters)
each go through the same path. What Label Studio does to a name is its own behaviour, recorded
here: Django keeps only letters, digits, `-`, `_` and `.` of an uploaded name (spaces become
`_`) and cuts the stored name to 100 characters (the upload's FileField), so the stored name is
not always the uploaded one, but what is stored is served.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from tests.harness.browser import page_outcome, page_server
from tests.harness.labelstudio import LabelStudio

IMAGE_CONFIG = '<View><Image name="image" value="$image"/></View>'
FILE_NAMES = {
    "plain": "cat.png",
    "spaces": "a cat on a mat.png",
    "non-ascii": "chat-été-猫.png",
    "plus": "1+1.png",
    "percent": "100%.png",
    "hash": "cat#1.png",
    "parentheses": "cat (1).png",
    "200 characters": "c" * 196 + ".png",
}
# How Label Studio 1.23 (Django's get_valid_filename) stores each name, after its `<8 hex>-` prefix;
# the 200-character name is cut so the stored name fits the upload's 100-character FileField.
STORED_AS = {
    "plain": "cat.png",
    "spaces": "a_cat_on_a_mat.png",
    "non-ascii": "chat-été-猫.png",
    "plus": "11.png",
    "percent": "100.png",
    "hash": "cat1.png",
    "parentheses": "cat_1.png",
}
# What Label Studio 1.23 fails on, by name: its own behaviour, recorded (docs/troubleshooting.md).
LABEL_STUDIO_FAILS: dict[str, str] = {}
# nginx takes the storage path from the X-Accel-Redirect URI it has decoded, and sends it on as
# raw UTF-8 bytes. S3 and MinIO decode such a path as UTF-8 (the S3 front does the same);
# gcp-storage-emulator reads it as Latin-1 and answers 404, Azurite answers 400. Whether Cloud
# Storage and Azure take it is not provable here.
GCS_EMULATOR_RAW_UTF8 = {
    "non-ascii": "gcp-storage-emulator reads the raw UTF-8 path nginx sends as Latin-1 (404); Cloud Storage unproven"
}
AZURITE_RAW_UTF8 = {"non-ascii": "Azurite refuses the raw UTF-8 path nginx sends (400); Azure Blob Storage unproven"}


def png(width: int = 3, height: int = 2) -> bytes:
    """A valid RGB PNG, so a browser decodes it (natural width = `width`)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


IMAGE = png()


@dataclass
class Imported:
    project: int
    file: str  # the stored name, relative to the folder: upload/<project>/<prefix>-<name>
    task_url: str  # what Label Studio wrote into the task, as a path on its own origin


def image_project(server: LabelStudio) -> int:
    return int(server.api("POST", "/api/projects", json={"title": "images", "label_config": IMAGE_CONFIG}).json()["id"])


def import_image(server: LabelStudio, project: int, name: str, content: bytes = IMAGE) -> Imported:
    """Import an image file as the web app does; the task Label Studio made for it."""
    before = {task["id"] for task in server.tasks(project)}
    upload = server.upload(project, name, content)
    (task,) = [task for task in server.tasks(project) if task["id"] not in before]
    parts = urlsplit(str(task["data"]["image"]))
    return Imported(project, str(upload["file"]), parts.path + (f"?{parts.query}" if parts.query else ""))


def through_nginx(server: LabelStudio, path: str) -> requests.Response:
    """GET `path` on Label Studio's origin (its nginx), with the API token."""
    return server.session.get(f"{server.origin}{path}", timeout=30, allow_redirects=False)


def served_problems(server: LabelStudio, imported: Imported, content: bytes = IMAGE) -> list[str]:
    """What goes wrong reading the upload back through nginx (the task's URL, then /data/upload/)."""
    problems = []
    upload_path = "/data/" + quote(imported.file, safe="/")
    for what, path in (("the task's URL", imported.task_url), ("/data/upload/", upload_path)):
        answer = through_nginx(server, path)
        if answer.status_code != 200 or answer.content != content:
            body = answer.content[:300] if answer.content != content else b"(the bytes)"
            problems.append(f"{what} {path}: {answer.status_code} {body!r}")
    if problems:
        problems.append(f"nginx: {server.nginx_errors()}")
    return problems


def renamed(label: str, stored: str) -> list[str]:
    """How the stored name differs from what STORED_AS records of Label Studio (a problem each)."""
    name = stored.rsplit("/", 1)[-1].split("-", 1)[1]
    if label in STORED_AS:
        return [] if name == STORED_AS[label] else [f"stored as {name!r}, not {STORED_AS[label]!r}"]
    # Cut to fit; where the storage backend does not overwrite (Azure), Django's cut adds `_<7 random>`.
    cut = re.fullmatch(r"(c+)(_[A-Za-z0-9]{7})?\.png", name)
    fits = len(stored) == 100 and cut is not None and FILE_NAMES[label].startswith(cut.group(1))
    return [] if fits else [f"stored as {stored!r} ({len(stored)} characters), not cut to 100"]


def browser_cookies(server: LabelStudio) -> dict[str, str]:
    """A web session with Label Studio (its login form), as a browser holds it after logging in."""
    session = requests.Session()
    login = f"{server.origin}/user/login/"
    form = session.get(login, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token, f"no login form at {login}: {form.status_code}"
    from tests.harness.labelstudio import PASSWORD, USER

    fields = {"csrfmiddlewaretoken": token.group(1), "email": USER, "password": PASSWORD}
    answer = session.post(login, data=fields, headers={"Referer": login}, timeout=30, allow_redirects=False)
    assert answer.status_code == 302, f"login refused: {answer.status_code} {answer.text[:300]}"
    return dict(session.cookies.items())


# The page sets the session cookie (cookies are per host, not per port: 127.0.0.1 is Label
# Studio's origin's host too), then shows the images; the outcome is written at the load event.
IMAGE_PAGE = """<!doctype html><html><body><script>
%s
for (const source of %s) {
  const image = document.createElement("img");
  image.src = source;
  document.body.appendChild(image);
}
window.addEventListener("load", () => {
  const shown = document.createElement("pre");
  shown.id = "outcome";
  shown.textContent = JSON.stringify([...document.images].map((i) => [i.src, i.naturalWidth]));
  document.body.appendChild(shown);
});
</script></body></html>"""


def shown_in_chromium(server: LabelStudio, paths: list[str]) -> dict[str, int]:
    """Each image's natural width as headless Chromium, logged in, shows it from Label Studio's origin."""
    cookies = browser_cookies(server)
    setting = "\n".join(
        f"document.cookie = {json.dumps(f'{name}={value}; path=/')};" for name, value in cookies.items()
    )
    sources = [f"{server.origin}{path}" for path in paths]
    with page_server() as (origin, page):
        page["page"] = IMAGE_PAGE % (setting, json.dumps(sources).replace("</", "<\\/"))
        shown: list[Any] = page_outcome(origin)
    return {source.removeprefix(server.origin): width for source, width in shown}


def check_serving(server: LabelStudio, labels: tuple[str, ...]) -> dict[str, Any]:
    """Each of these file names imported into an image project and read back through nginx;
    Chromium shows the plain one. Returns, per name, its problems (empty when served), and the
    widths shown."""
    project = image_project(server)
    problems: dict[str, list[str]] = {}
    imported: dict[str, Imported] = {}
    for label in labels:
        name = FILE_NAMES[label]
        try:
            imported[label] = import_image(server, project, name)
        except AssertionError as refused:
            problems[label] = [f"import refused: {str(refused)[:300]}"]
            continue
        problems[label] = served_problems(server, imported[label]) + renamed(label, imported[label].file)
    widths = shown_in_chromium(server, [imported["plain"].task_url]) if "plain" in imported else {}
    return {"problems": problems, "widths": widths, "imported": imported}


ALL_NAMES = tuple(FILE_NAMES)
PLAIN = ("plain",)


def assert_served(
    server: LabelStudio, emulator_fails: dict[str, str] | None = None, labels: tuple[str, ...] = ALL_NAMES
) -> None:
    """Each upload served through nginx, same bytes, and Chromium shows the plain one. `labels`:
    which FILE_NAMES (every name once per emulator; PLAIN for the other cases of a module, which
    prove the serving path for their target and access mode).

    Label Studio's own failures (LABEL_STUDIO_FAILS) and an emulator's (`emulator_fails`: name ->
    why no stand-in can tell what the cloud does) must still fail: each is an expected failure
    with its reason, never a pass, and the test says so when one starts to work."""
    expected = {
        label: why for label, why in {**LABEL_STUDIO_FAILS, **(emulator_fails or {})}.items() if label in labels
    }
    outcome = check_serving(server, labels)
    served = {label: found for label, found in outcome["problems"].items() if label not in expected}
    assert served == {label: [] for label in served}, outcome["problems"]
    still_failing = {label: bool(outcome["problems"][label]) for label in expected}
    assert all(still_failing.values()), f"no longer failing, update the expected failures: {still_failing}"
    assert list(outcome["widths"].values()) == [3], f"Chromium did not show the task's image: {outcome['widths']}"
