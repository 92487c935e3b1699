"""Switching a running Label Studio from files on disk to the stack's storage, with Label Studio itself.

Once per module, Label Studio with local storage (no STORAGE_TYPE, as a first install runs) gets an
image project (two images imported as tasks), a CSV import and an avatar; its database and data
folder are kept, and each cloud case starts from a copy of them. Per cloud, on its emulator with
the environment the program hands Label Studio for Docker Compose (envList, stand-ins replaced as
in the other e2e modules):
1. Label Studio is started again on the same database with the stack's storage, as after the
   release with persistence rolls out: every old file fails to load (the control);
2. the mover runs, in Label Studio's own virtual environment with exactly Label Studio's
   environment, while Label Studio runs (the short window): a dry run writes nothing, the run
   copies every file to `<folder>/<name>`, a second run skips them all, the old folder unchanged;
3. every old file loads through Label Studio's API, byte for byte: the image tasks' own URLs
   (`/data/upload/...`, which Label Studio serves from the storage), the signed link it hands out
   for each upload, the CSV and the avatar; a new upload lands in the storage.
S3 runs with IAM enforced on the declared policy: the mover needs nothing Label Studio's
principal does not have. Replaced, as in the other e2e modules: endpoints, emulator-issued
credentials, SQLite (DJANGO_DB=sqlite). The mover's outbound proxy is a dead port, so it can reach
nothing beyond 127.0.0.1.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from azure.storage.blob import BlobServiceClient
from botocore.credentials import Credentials

from tests.conftest import GCP_PROJECT, aws_stack, azure_stack, gcp_stack, run, s3_compatible_stack
from tests.e2e.test_azure import account_key, apply_declared, pointed_at_azurite
from tests.e2e.test_gcp import create_declared_bucket
from tests.emulators.test_azurite import AZURITE, require_azurite
from tests.harness import stand_ins
from tests.harness.aws_world import access_key_user, stand_up
from tests.harness.google import IAM_HOST, Google, token_server
from tests.harness.labelstudio import QUIET, VENV, Interception, LabelStudio, label_studio
from tests.harness.s3_compatible_world import administer, s3_compatible_server
from tests.harness.s3_front import s3_front
from tests.harness.s3_world import REGION
from tests.harness.servers import enforce_iam, free_port, moto_server, serving
from tests.harness.tls import tls_identity
from tools.mockrun import PROJECT_DIR, Decrypted, reveal

pytestmark = pytest.mark.e2e

FOLDER = "media/label-studio"
ORIGINS = ["https://label.example.com"]
MOVER = PROJECT_DIR / "tools" / "uploads_mover.py"
IMAGE_CONFIG = (
    '<View><Image name="image" value="$image"/><Choices name="c" toName="image"><Choice value="cat"/></Choices></View>'
)
TEXT_CONFIG = '<View><Text name="text" value="$text"/></View>'


def png(width: int, height: int, seed: int) -> bytes:
    """A real PNG (Label Studio checks an avatar's dimensions) with pixels that differ per seed."""
    rows = b"".join(b"\x00" + bytes((x * seed + y * 7) % 256 for x in range(width * 3)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


IMAGES = {"cat.png": png(64, 48, 3), "dog.png": png(40, 30, 11)}
CSV = b"text\na cat on a mat\na dog on a log\n"
AVATAR = png(32, 32, 5)


@dataclass
class Old:
    """The Label Studio that kept its files on disk: its database, its media folder, what it holds."""

    database: Path
    media: Path
    image_project: int
    image_urls: dict[str, bytes]  # the image tasks' own URLs (/data/upload/...) -> the bytes
    files: dict[str, bytes]  # every file under media by its name -> the bytes


@pytest.fixture(scope="module")
def old(tmp_path_factory: pytest.TempPathFactory) -> Old:
    """Label Studio with local storage, used as a team would before persistent storage: built once."""
    root = tmp_path_factory.mktemp("local")
    with label_studio({"DJANGO_DB": "sqlite"}, root) as server:
        images = server.api("POST", "/api/projects", json={"title": "images", "label_config": IMAGE_CONFIG}).json()
        files = [(f"file{i}", (name, content, "image/png")) for i, (name, content) in enumerate(IMAGES.items())]
        server.api("POST", f"/api/projects/{images['id']}/import", files=files)
        texts = server.api("POST", "/api/projects", json={"title": "csv", "label_config": TEXT_CONFIG}).json()
        server.api("POST", f"/api/projects/{texts['id']}/import", files={"file": ("tasks.csv", CSV, "text/csv")})
        me = server.api("GET", "/api/current-user/whoami").json()
        server.api("POST", f"/api/users/{me['id']}/avatar", files={"avatar": ("me.png", AVATAR, "image/png")})
        image_urls = {task["data"]["image"]: b"" for task in server.tasks(images["id"])}
        for url in image_urls:  # they load while the files are on disk
            image_urls[url] = server.api("GET", url).content
        assert sorted(image_urls.values()) == sorted(IMAGES.values())
        assert [task["data"]["text"] for task in server.tasks(texts["id"])] == ["a cat on a mat", "a dog on a log"]
    media = root / "data" / "media"
    on_disk = {path.relative_to(media).as_posix(): path.read_bytes() for path in media.rglob("*") if path.is_file()}
    kinds = sorted(name.split("/")[0] for name in on_disk)
    assert kinds == ["avatars", "upload", "upload", "upload"], on_disk.keys()
    return Old(root / "label_studio.sqlite3", media, images["id"], image_urls, on_disk)


@dataclass
class Cloud:
    """The stack's storage on its emulator, and the environment the program hands Label Studio."""

    environment: dict[str, str]
    objects: Callable[[], dict[str, bytes]]  # every object under the folder, as an operator reads it
    fetch: Callable[[str], requests.Response] = lambda link: requests.get(link, timeout=10)
    settings: Path | None = None  # a settings module's folder Label Studio needs on its path
    interception: Interception | None = None


def s3_objects(s3: Any, bucket: str) -> Callable[[], dict[str, bytes]]:
    def objects() -> dict[str, bytes]:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{FOLDER}/").get("Contents", [])
        return {item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed}

    return objects


@contextmanager
def aws(root: Path) -> Iterator[Cloud]:
    declaration = run(aws_stack(target="compose", access="access-keys", aws=None, folder=FOLDER, corsOrigins=ORIGINS))
    with moto_server() as endpoint, s3_front(endpoint, REGION) as front:
        world = stand_up(declaration, endpoint)
        front.operator = Credentials(*world.operator_key)
        key = access_key_user(declaration, world)
        front.know(key["AccessKeyId"], key["SecretAccessKey"])
        replacements = {
            stand_ins.AWS_ACCESS_KEY_ID: key["AccessKeyId"],
            stand_ins.AWS_SECRET_ACCESS_KEY: key["SecretAccessKey"],
        }
        environment = stand_ins.substitute(stand_ins.env_list(reveal(declaration.outputs["envList"])), replacements)
        environment |= {"STORAGE_AWS_ENDPOINT_URL": front.url, "DJANGO_DB": "sqlite"}
        enforce_iam(endpoint)
        yield Cloud(environment, s3_objects(world.operator, world.bucket))


@contextmanager
def s3_compatible(root: Path) -> Iterator[Cloud]:
    with s3_compatible_server() as server:
        on_server = {"endpointUrl": server.endpoint, "region": REGION}
        settings = {"folder": FOLDER, "corsOrigins": ORIGINS}
        # The administrator's stack (its serverPolicy makes the user) is a cluster's: named as nginx can resolve it.
        in_cluster = {"endpointUrl": server.at("minio.minio.svc.cluster.local"), "region": REGION}
        in_secret = run(
            s3_compatible_stack(
                **settings,
                **{"s3-compatible": {**in_cluster, "credentialsSecret": {"name": "s"}}},
                createNamespace=False,
            )
        )
        admin = administer(server, in_secret)
        keys = {"accessKeyId": Decrypted(admin.key_id), "secretAccessKey": Decrypted(admin.secret)}
        keyed = run(s3_compatible_stack(target="compose", **settings, **{"s3-compatible": {**on_server, **keys}}))
        enforce_iam(server.moto)
        environment = stand_ins.env_list(reveal(keyed.outputs["envList"])) | {"DJANGO_DB": "sqlite"}
        yield Cloud(environment, s3_objects(admin.world.operator, admin.world.bucket))


@contextmanager
def gcp(root: Path) -> Iterator[Cloud]:
    declaration = run(gcp_stack(target="compose", access="key", folder=FOLDER))
    email = str(declaration.outputs["serviceAccountEmail"])
    port = free_port()
    command = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1", "--port", str(port)]
    with serving([*command, "--in-memory", "--quiet"], port) as emulator, token_server(Google()) as google:
        google.grant_declared(declaration)
        environment = stand_ins.env_list(reveal(declaration.outputs["envList"]))
        key_file = root / environment["GOOGLE_APPLICATION_CREDENTIALS"].lstrip("/")
        key_file.parent.mkdir(parents=True)
        key_file.write_text(google.issue_key_file(email, GCP_PROJECT))
        bucket = create_declared_bucket(declaration, emulator)
        ca, certificate, key = tls_identity(root / "tls", IAM_HOST)
        environment |= {
            "GOOGLE_APPLICATION_CREDENTIALS": str(key_file),
            "STORAGE_EMULATOR_HOST": emulator,
            "REQUESTS_CA_BUNDLE": str(ca),
            "DJANGO_DB": "sqlite",
        }

        def objects() -> dict[str, bytes]:
            return {b.name: b.download_as_bytes() for b in bucket.client.list_blobs(bucket, prefix=f"{FOLDER}/")}

        def fetch(link: str) -> requests.Response:  # the link names Cloud Storage's host; its path, the emulator's
            return requests.get(f"{emulator}{urlsplit(link).path}", timeout=10)

        yield Cloud(
            environment, objects, fetch, interception=Interception(IAM_HOST, certificate, key, google.sign_blob)
        )


@contextmanager
def azure(root: Path) -> Iterator[Cloud]:
    require_azurite()
    declaration = run(azure_stack(target="compose", folder=FOLDER, corsOrigins=ORIGINS))
    key = account_key()
    envlist = stand_ins.env_list(reveal(declaration.outputs["envList"]))
    environment = stand_ins.substitute(envlist, {stand_ins.AZURE_ACCOUNT_KEY: key})
    account = environment["STORAGE_AZURE_ACCOUNT_NAME"]
    port = free_port()
    command = [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence"]
    command += ["--skipApiVersionCheck", "--disableTelemetry", "--silent"]
    with serving(command, port, {"AZURITE_ACCOUNTS": f"{account}:{key}"}) as endpoint:
        service = BlobServiceClient(f"{endpoint}/{account}", credential={"account_name": account, "account_key": key})
        container = apply_declared(declaration, service)
        settings = pointed_at_azurite(root, endpoint, environment)

        def objects() -> dict[str, bytes]:
            blobs = container.list_blobs(name_starts_with=f"{FOLDER}/")
            return {b.name: container.download_blob(b.name).readall() for b in blobs}

        yield Cloud(environment, objects, settings=settings)


CLOUDS = {"aws": aws, "s3-compatible": s3_compatible, "gcp": gcp, "azure": azure}


@dataclass
class Mover:
    code: int
    lines: list[str]
    seconds: float

    @property
    def summary(self) -> str:
        return next(line for line in self.lines if line.startswith("summary")).split(" in ")[0]


def run_mover(cloud: Cloud, media: Path, root: Path, *arguments: str) -> Mover:
    """The mover as the Job or `docker compose run` runs it: Label Studio's Python, Label Studio's environment."""
    started = time.monotonic()
    done = mover_process(cloud, media, root, *arguments)
    lines = done.stdout.splitlines()
    assert any(line.startswith("summary") for line in lines), (
        f"the mover did not finish:\n{done.stdout}\n{done.stderr[-3000:]}"
    )
    return Mover(done.returncode, lines, time.monotonic() - started)


def mover_process(cloud: Cloud, media: Path, root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    scratch = root / "mover"
    scratch.mkdir(exist_ok=True)
    dead = "http://127.0.0.1:9"
    environment = {
        "PATH": f"{VENV / 'bin'}:/usr/bin:/bin",
        **cloud.environment,
        **QUIET,
        "LABEL_STUDIO_BASE_DATA_DIR": str(scratch / "data"),
        "DATABASE_NAME": str(scratch / "label_studio.sqlite3"),
        "HOME": str(scratch),
        **dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"), dead),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    if cloud.settings:
        environment["PYTHONPATH"] = str(cloud.settings)
    return subprocess.run(
        [str(VENV / "bin" / "python"), str(MOVER), str(media), *arguments],
        env=environment,
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=300,
    )


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def task_images(server: LabelStudio, project: int) -> list[str]:
    """The stored files the project's tasks show: on cloud storage, Label Studio hands every task a link to
    `/storage-data/uploaded/?filepath=<name>`, the old tasks' `/data/upload/<...>` included."""
    urls = [task["data"]["image"] for task in server.tasks(project)]
    assert all("/storage-data/uploaded/?filepath=" in url for url in urls), urls
    return sorted(url.split("filepath=", 1)[1] for url in urls)


def served(server: LabelStudio, cloud: Cloud, name: str) -> requests.Response:
    """A stored file as Label Studio's web app gets it: the signed link it hands out, followed."""
    return cloud.fetch(server.storage_link(name))


@dataclass
class Switch:
    """What was seen across the switch, for one cloud."""

    old: Old
    before_move: dict[str, int] = field(default_factory=dict)  # what each old file answered before the move
    dry_run: Mover | None = None
    after_dry_run: dict[str, bytes] = field(default_factory=dict)
    first: Mover | None = None
    after_first: dict[str, bytes] = field(default_factory=dict)
    second: Mover | None = None
    old_folder_unchanged: bool = False
    after_move: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    task_images: list[str] = field(default_factory=list)  # the files the image tasks show, on the stack's storage
    new_upload: set[str] = field(default_factory=set)
    new_task_loads: bool = False


@pytest.fixture(scope="module", params=list(CLOUDS))
def switch(request: pytest.FixtureRequest, old: Old, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Switch]:
    root = tmp_path_factory.mktemp(f"switch-{request.param}")
    media = root / "old-data" / "media"
    shutil.copytree(old.media, media)  # the old volume, one copy per cloud
    seen = Switch(old)
    before = snapshot(media)
    with (
        CLOUDS[request.param](root) as cloud,
        label_studio(
            cloud.environment,
            root / "label-studio",
            extra_pythonpath=cloud.settings,
            interception=cloud.interception,
            database_from=old.database,
        ) as server,
    ):
        for url in old.image_urls:
            seen.before_move[url] = server.session.get(f"{server.url}{url}", timeout=30).status_code
        for name in old.files:
            seen.before_move[name] = served(server, cloud, name).status_code
        seen.task_images = task_images(server, old.image_project)

        seen.dry_run = run_mover(cloud, media, root, "--dry-run")
        seen.after_dry_run = cloud.objects()
        seen.first = run_mover(cloud, media, root)
        seen.after_first = cloud.objects()
        seen.second = run_mover(cloud, media, root)
        seen.old_folder_unchanged = snapshot(media) == before

        for url in old.image_urls:
            answer = server.session.get(f"{server.url}{url}", timeout=30)
            seen.after_move[url] = (answer.status_code, answer.content)
        for name in old.files:
            answer = served(server, cloud, name)
            seen.after_move[name] = (answer.status_code, answer.content)

        new = ("bird.png", png(20, 20, 17), "image/png")
        server.api("POST", f"/api/projects/{old.image_project}/import", files={"file": new})
        seen.new_upload = set(cloud.objects()) - set(seen.after_first)
        (name,) = set(task_images(server, old.image_project)) - set(seen.task_images)
        seen.new_task_loads = served(server, cloud, name).content == new[1]
    yield seen


def test_before_the_move_no_old_file_loads_from_the_stacks_storage(switch):
    """The control: Label Studio on the stack's storage, its database from the local days, no move."""
    assert switch.before_move, "nothing was tried"
    loaded = {name: status for name, status in switch.before_move.items() if status < 400}
    assert loaded == {}, "an old file loaded although nothing was moved"
    # The signed links lead to a storage that has no such object.
    assert {status for name, status in switch.before_move.items() if not name.startswith("/")} == {404}


def test_a_dry_run_writes_nothing_and_says_what_it_would_copy(switch):
    assert switch.dry_run.code == 0, switch.dry_run.lines
    assert switch.dry_run.summary == "summary (dry run, nothing written): copied=4 skipped=0 refused=0 failed=0"
    assert switch.after_dry_run == {}


def test_the_move_copies_every_file_to_the_key_label_studio_looks_up(switch):
    assert switch.first.code == 0, switch.first.lines
    assert switch.first.summary == "summary: copied=4 skipped=0 refused=0 failed=0"
    assert switch.after_first == {f"{FOLDER}/{name}": content for name, content in switch.old.files.items()}


def test_a_second_run_skips_everything_and_the_old_folder_is_unchanged(switch):
    assert switch.second.code == 0, switch.second.lines
    assert switch.second.summary == "summary: copied=0 skipped=4 refused=0 failed=0"
    assert switch.old_folder_unchanged


def test_after_the_move_label_studio_serves_every_old_file_byte_for_byte(switch):
    """The image tasks' own URLs (Label Studio reads the storage), and the signed link of every upload,
    the CSV and the avatar."""
    expected = {url: (200, content) for url, content in switch.old.image_urls.items()}
    expected |= {name: (200, content) for name, content in switch.old.files.items()}
    assert {name: (status, len(body)) for name, (status, body) in switch.after_move.items()} == {
        name: (status, len(body)) for name, (status, body) in expected.items()
    }
    assert switch.after_move == expected


def test_the_old_tasks_show_the_moved_files(switch):
    """What the web app loads for the image tasks made in the local days: their files, by their old names."""
    assert switch.task_images == sorted(
        name for name in switch.old.files if name.endswith(".png") and "upload/" in name
    )


def test_new_uploads_go_to_the_stacks_storage(switch):
    (key,) = switch.new_upload
    assert key.startswith(f"{FOLDER}/upload/{switch.old.image_project}/") and key.endswith("-bird.png"), key
    assert switch.new_task_loads


def test_the_mover_is_quick(switch):
    """Label Studio's settings load in each run; the move of a handful of files adds little."""
    assert max(m.seconds for m in (switch.dry_run, switch.first, switch.second)) < 60, [
        m.seconds for m in (switch.dry_run, switch.first, switch.second)
    ]


def test_the_mover_will_not_start_on_local_storage_or_on_the_wrong_folder(old, tmp_path):
    """Run with the environment of the Label Studio that still keeps its files on disk, it says so and
    stops; given the data folder instead of its media folder, it names the right one."""
    local = Cloud({"DJANGO_DB": "sqlite"}, dict)
    refused = mover_process(local, old.media, tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "Label Studio's storage here is FileSystemStorage, not a cloud storage" in refused.stderr
    assert refused.stdout == ""
    wrong = mover_process(local, old.media.parent, tmp_path)
    assert wrong.returncode == 2 and f"did you mean {old.media}?" in wrong.stderr, wrong.stderr
