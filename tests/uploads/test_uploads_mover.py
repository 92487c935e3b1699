"""The uploads mover's decisions as tables, and whole runs on moto's S3: copied, then all skipped;
stopped halfway and resumed; content that differs refused; the old folder never written to.

The mover's three storage classes, with Label Studio's own Django storage building them, run end
to end in tests/e2e/test_move_uploads.py; here S3 is built by hand on moto (the class takes a
client, a bucket and the key function), which exercises the real protocol of copy and verify.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.harness.s3_world import REGION, client
from tests.harness.servers import moto_server
from tools import uploads_mover as mover
from tools.uploads_mover import COPIED, FAILED, REFUSED, SKIPPED, LocalFile, Stored

FOLDER = "media/label-studio"


def local(content: bytes, name: str = "upload/1/ab12cd34-cat.png") -> LocalFile:
    return LocalFile(
        name, Path("/nowhere"), len(content), hashlib.md5(content).digest(), hashlib.sha256(content).digest()
    )


def stored(content: bytes, *algorithms: str) -> Stored:
    digests = {"md5": hashlib.md5(content).digest(), "sha256": hashlib.sha256(content).digest()}
    return Stored(len(content), {algorithm: digests[algorithm] for algorithm in algorithms})


CAT, DOG = b"a cat, pixel by pixel", b"a dog, pixel by pixel"  # the same size, other content


@pytest.mark.parametrize(
    ("there", "read_back", "expected"),
    [
        (stored(CAT, "sha256", "md5"), None, None),
        (stored(CAT, "md5"), None, None),
        (stored(CAT, "sha256"), None, None),
        (stored(b"short", "sha256"), None, "5 bytes stored, 21 bytes here"),
        (stored(DOG, "sha256", "md5"), None, "its sha256 differs"),
        (stored(DOG, "md5"), None, "its md5 differs"),
        # The storage vouches for no checksum (an SSE-KMS or multipart ETag, a composite object): read it back.
        (stored(CAT), CAT, None),
        (stored(DOG), DOG, "its content differs (read back)"),
    ],
)
def test_what_counts_as_the_same_content(there, read_back, expected):
    def read() -> bytes:
        assert read_back is not None, "read back although the storage vouched for a checksum"
        return hashlib.sha256(read_back).digest()

    assert mover.difference(local(CAT), there, read) == expected


@dataclass
class Fake:
    """A storage in memory: objects by key, and how it misbehaves."""

    objects: dict[str, bytes] = field(default_factory=dict)
    vouches: tuple[str, ...] = ("md5",)
    appears_meanwhile: bytes | None = None  # written by someone else between look and write
    corrupts: bool = False  # stores other bytes than it was sent
    hidden_from_label_studio: bool = False
    description: str = "fake://bucket"
    puts: list[str] = field(default_factory=list)

    def key(self, name: str) -> str:
        return f"{FOLDER}/{name}"

    def stat(self, name: str) -> Stored | None:
        content = self.objects.get(self.key(name))
        return None if content is None else stored(content, *self.vouches)

    def put(self, file: LocalFile) -> None:
        if self.appears_meanwhile is not None:
            self.objects[self.key(file.name)] = self.appears_meanwhile
            self.appears_meanwhile = None
            raise mover.AppearedMeanwhile
        self.puts.append(file.name)
        self.objects[self.key(file.name)] = b"X" * file.size if self.corrupts else CAT

    def read_sha256(self, name: str) -> bytes:
        return hashlib.sha256(self.objects[self.key(name)]).digest()

    def found(self, name: str) -> bool:
        return not self.hidden_from_label_studio and self.key(name) in self.objects


KEY = f"{FOLDER}/upload/1/ab12cd34-cat.png"


@pytest.mark.parametrize(
    ("storage", "dry_run", "outcome", "detail", "written"),
    [
        (Fake(), False, COPIED, f"to {KEY} (21 bytes, verified)", True),
        (Fake(), True, COPIED, f"to {KEY} (21 bytes)", False),
        (Fake({KEY: CAT}), False, SKIPPED, f"{KEY} holds the same content", False),
        (Fake({KEY: CAT}, vouches=()), False, SKIPPED, f"{KEY} holds the same content", False),
        (Fake({KEY: DOG}), False, REFUSED, f"{KEY} holds other content: its md5 differs; left as it is", False),
        (Fake({KEY: DOG}), True, REFUSED, f"{KEY} holds other content: its md5 differs; left as it is", False),
        (
            Fake({KEY: b"x"}),
            False,
            REFUSED,
            f"{KEY} holds other content: 1 bytes stored, 21 bytes here; left as it is",
            False,
        ),
        (Fake(appears_meanwhile=CAT), False, SKIPPED, f"{KEY} holds the same content", False),
        (
            Fake(appears_meanwhile=DOG),
            False,
            REFUSED,
            f"{KEY} holds other content: its md5 differs; left as it is",
            False,
        ),
        (Fake(corrupts=True), False, FAILED, f"{KEY} does not hold what was sent: its md5 differs", True),
        (
            Fake(corrupts=True, vouches=()),
            False,
            FAILED,
            f"{KEY} does not hold what was sent: its content differs (read back)",
            True,
        ),
        (
            Fake(hidden_from_label_studio=True),
            False,
            FAILED,
            f"{KEY} was written but Label Studio's storage does not find it",
            True,
        ),
    ],
)
def test_each_file_is_copied_skipped_or_refused_and_never_overwritten(storage, dry_run, outcome, detail, written):
    before = dict(storage.objects)
    result = mover.move_one(storage, local(CAT), dry_run)
    assert (result.outcome, result.detail) == (outcome, detail)
    assert bool(storage.puts) == written
    for key, content in before.items():
        assert storage.objects[key] == content, "an object that was there is never replaced"


# --- Whole runs on moto's S3 ---

OLD_FILES = {
    "upload/1/0a1b2c3d-cat.png": b"\x89PNG\r\n\x1a\n" + os.urandom(3000),
    "upload/1/4e5f6a7b-dog.jpg": b"\xff\xd8\xff\xe0" + os.urandom(5000),
    "upload/2/8c9d0e1f-tasks.csv": b"text\na cat on a mat\n",
    "avatars/1f2e3d4c-e2e.png": b"\x89PNG\r\n\x1a\n" + os.urandom(700),
    "export/project-1-at-2026.json": b"[]",
}


@pytest.fixture
def media(tmp_path: Path) -> Path:
    """An old MEDIA_ROOT as Label Studio leaves it."""
    root = tmp_path / "data" / "media"
    for name, content in OLD_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    with moto_server() as endpoint:
        yield client("s3", endpoint)


@pytest.fixture
def bucket(s3: Any, request: pytest.FixtureRequest) -> mover.S3:
    name = f"move-{abs(hash(request.node.name)) % 10**8}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return mover.S3(s3, name, lambda n: f"{FOLDER}/{n}", lambda n: {"ContentType": "application/octet-stream"})


def objects(storage: mover.S3) -> dict[str, bytes]:
    listed = storage.client.list_objects_v2(Bucket=storage.bucket).get("Contents", [])
    return {
        item["Key"]: storage.client.get_object(Bucket=storage.bucket, Key=item["Key"])["Body"].read() for item in listed
    }


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file's content, mode and modification time."""
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), path.stat().st_mode, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_a_run_copies_everything_under_the_folder_and_a_second_run_skips_it_all(media, bucket):
    lines: list[str] = []
    assert mover.move(media, bucket, dry_run=True, say=lines.append) == {COPIED: 5, SKIPPED: 0, REFUSED: 0, FAILED: 0}
    assert objects(bucket) == {}, "a dry run writes nothing"
    assert lines[0] == "would copy avatars/1f2e3d4c-e2e.png: to media/label-studio/avatars/1f2e3d4c-e2e.png (708 bytes)"

    assert mover.move(media, bucket) == {COPIED: 5, SKIPPED: 0, REFUSED: 0, FAILED: 0}
    assert objects(bucket) == {f"{FOLDER}/{name}": content for name, content in OLD_FILES.items()}
    head = bucket.client.head_object(
        Bucket=bucket.bucket, Key=f"{FOLDER}/upload/1/0a1b2c3d-cat.png", ChecksumMode="ENABLED"
    )
    assert "ChecksumSHA256" in head, "the copy carries its SHA-256 for S3 to check and vouch for"

    lines.clear()
    assert mover.move(media, bucket, say=lines.append) == {COPIED: 0, SKIPPED: 5, REFUSED: 0, FAILED: 0}
    assert all(line.startswith("skipped ") for line in lines), lines
    assert mover.summary({COPIED: 0, SKIPPED: 5}, False) == "summary: copied=0 skipped=5 refused=0 failed=0"


def test_a_run_stopped_halfway_leaves_whole_objects_and_the_next_run_finishes_it(media, bucket):
    real_put, done = bucket.put, []

    def put_then_stop(file: LocalFile) -> None:
        if len(done) == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or the Job's pod going away
        real_put(file)
        done.append(file.name)

    bucket.put = put_then_stop  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        mover.move(media, bucket, workers=1)
    assert sorted(objects(bucket)) == sorted(f"{FOLDER}/{name}" for name in done)

    bucket.put = real_put  # type: ignore[method-assign]
    lines: list[str] = []
    assert mover.move(media, bucket, say=lines.append) == {COPIED: 3, SKIPPED: 2, REFUSED: 0, FAILED: 0}
    assert sorted(line.split(":")[0] for line in lines if line.startswith("skipped")) == sorted(
        f"skipped {name}" for name in done
    )
    assert objects(bucket) == {f"{FOLDER}/{name}": content for name, content in OLD_FILES.items()}


def test_an_object_with_other_content_is_refused_and_left_as_it_is(media, bucket):
    key = f"{FOLDER}/upload/1/4e5f6a7b-dog.jpg"
    bucket.client.put_object(Bucket=bucket.bucket, Key=key, Body=b"someone else's dog")
    lines: list[str] = []
    assert mover.move(media, bucket, say=lines.append) == {COPIED: 4, SKIPPED: 0, REFUSED: 1, FAILED: 0}
    assert (
        f"REFUSED upload/1/4e5f6a7b-dog.jpg: {key} holds other content: 18 bytes stored, 5004 bytes here; left as it is"
        in lines
    )
    assert objects(bucket)[key] == b"someone else's dog"


_WRITES = {
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.chmod",
    "os.chown",
    "os.utime",
    "os.truncate",
    "os.link",
    "os.symlink",
    "os.mkdir",
    "shutil.rmtree",
    "shutil.move",
    "shutil.copyfile",
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_watched: list[tuple[Path, list[str]]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    for root, seen in _watched:
        if not args or not isinstance(args[0], (str, bytes, os.PathLike)):
            continue
        path = os.fsdecode(args[0])
        if not path.startswith(str(root)):
            continue
        if event == "open":
            mode, flags = args[1], args[2]
            if (isinstance(mode, str) and set(mode) & set("wax+")) or (isinstance(flags, int) and flags & _WRITE_FLAGS):
                seen.append(f"open {path} {mode} {flags}")
        elif event in _WRITES:
            seen.append(f"{event} {path}")


sys.addaudithook(_audit)


def test_the_old_folder_is_only_ever_opened_for_reading_and_is_left_unchanged(media, bucket):
    """Python's audit hooks see every open, rename, delete and change of mode or time the mover makes."""
    (media / "upload" / "1" / "link.png").symlink_to(media / "upload" / "1" / "0a1b2c3d-cat.png")
    before = snapshot(media)
    seen: list[str] = []
    _watched.append((media, seen))
    try:
        lines: list[str] = []
        counts = mover.move(media, bucket, say=lines.append)
        mover.move(media, bucket, say=lines.append)
    finally:
        _watched.clear()
    assert seen == []
    assert snapshot(media) == before
    assert counts == {COPIED: 5, SKIPPED: 0, REFUSED: 1, FAILED: 0}
    assert "REFUSED upload/1/link.png: not a regular file (a link or a device); left alone" in lines


def test_the_audit_would_see_a_write():
    """The check above can fail: a write under the watched folder is seen."""
    seen: list[str] = []
    root = Path(os.environ.get("TMPDIR", "/tmp")) / f"mover-audit-{os.getpid()}"
    root.mkdir(exist_ok=True)
    _watched.append((root, seen))
    try:
        (root / "x").write_bytes(b"1")
        (root / "x").unlink()
    finally:
        _watched.clear()
        root.rmdir()
    assert [line.split()[0] for line in seen] == ["open", "os.remove"]


@pytest.mark.parametrize(
    ("layout", "problem"),
    [
        ([], "is not a folder"),
        (["label_studio.sqlite3"], "holds none of Label Studio's media folders (upload, avatars, export)"),
        (["media/upload/1/a.png"], "is Label Studio's data folder, not its media folder: did you mean"),
        (["export/old.json", "media/upload/1/a.png"], "did you mean"),
    ],
)
def test_a_source_that_is_not_a_media_folder_is_refused_before_anything_is_read(tmp_path, layout, problem):
    source = tmp_path / "data"
    for name in layout:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(b"")
    with pytest.raises(mover.CannotStart, match=problem.replace("(", r"\(").replace(")", r"\)")):
        mover.check_source(source)


def test_on_s3_a_missing_key_answered_403_is_written_only_if_none_match(tmp_path):
    """Real S3 answers a HEAD of a missing key with 403 to a principal that may list the bucket only
    under its folder (the stack's s3:prefix condition; moto does not evaluate it). The mover then
    writes with If-None-Match, so an object that was there after all is never replaced."""
    import boto3
    from botocore.stub import ANY, Stubber

    s3 = boto3.client("s3", region_name=REGION, aws_access_key_id="k", aws_secret_access_key="s")
    storage = mover.S3(s3, "bucket", lambda n: f"{FOLDER}/{n}", lambda n: {"ContentType": "image/png"})
    (tmp_path / "upload" / "1").mkdir(parents=True)
    (tmp_path / "upload" / "1" / "ab12cd34-cat.png").write_bytes(CAT)
    file = mover.hashed(tmp_path, tmp_path / "upload" / "1" / "ab12cd34-cat.png")
    key = f"{FOLDER}/{file.name}"
    with Stubber(s3) as stub:
        stub.add_client_error("head_object", "403", http_status_code=403)
        stub.add_response(
            "put_object",
            {},
            {
                "Bucket": "bucket",
                "Key": key,
                "Body": ANY,
                "ContentLength": 21,
                "ContentMD5": ANY,
                "ChecksumAlgorithm": "SHA256",
                "ChecksumSHA256": ANY,
                "IfNoneMatch": "*",
                "ContentType": "image/png",
            },
        )
        stub.add_response("head_object", {"ContentLength": 21, "ETag": f'"{hashlib.md5(CAT).hexdigest()}"'})
        stub.add_response("head_object", {"ContentLength": 21, "ETag": f'"{hashlib.md5(CAT).hexdigest()}"'})
        outcome = mover.move_one(storage, file, dry_run=False)
        stub.assert_no_pending_responses()
    assert (outcome.outcome, outcome.detail) == (COPIED, f"to {key} (21 bytes, verified)")


def test_a_storage_that_refuses_the_write_but_cannot_show_the_object_fails_the_file_once():
    storage = Fake()
    storage.stat = lambda name: None  # type: ignore[method-assign]

    def refuse(file: LocalFile) -> None:
        raise mover.AppearedMeanwhile

    storage.put = refuse  # type: ignore[method-assign]
    outcome = mover.move_one(storage, local(CAT), dry_run=False)
    assert outcome.outcome == FAILED and "cannot show it" in outcome.detail
