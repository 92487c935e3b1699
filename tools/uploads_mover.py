"""Move a Label Studio's local files into the storage it is now configured with. One file, run in
Label Studio's own image (or its virtual environment), with Label Studio's own environment:

    python3 uploads_mover.py /old-data/media --dry-run
    python3 uploads_mover.py /old-data/media

SOURCE is the old `MEDIA_ROOT`: `$LABEL_STUDIO_BASE_DATA_DIR/media` of the Label Studio that kept
its files on disk (`upload/<project>/<file>`, `avatars/<file>`, `export/...`). Each file's name
relative to it is the name Label Studio saved in its database.

Why it loads Label Studio's settings: Label Studio looks every stored file up through Django's
default storage (django-storages, configured from STORAGE_TYPE and the STORAGE_AWS_*, STORAGE_GCS_*
or STORAGE_AZURE_* variables). The mover asks that same storage object for each file's key (its
`location`, the folder, joined as django-storages joins it) and talks to the storage through the
client that storage object built, so the keys are by construction the ones Label Studio will look
for, and the identity is Label Studio's own: its keys, or IRSA, EKS Pod Identity, a node role,
GKE Workload Identity, found the way Label Studio finds them. It needs nothing the image lacks.

For each file under SOURCE:
- not in the storage: copied, with the cloud's own integrity check on the write (S3 Content-MD5
  and x-amz-checksum-sha256; Cloud Storage's MD5 check of the upload; Azure's per-request MD5),
  without ever replacing an object that appears meanwhile (S3 If-None-Match, Cloud Storage
  ifGenerationMatch=0, Azure If-None-Match), then verified: the stored size and checksum read back
  from the storage (S3 ChecksumSHA256, or an ETag that is the MD5; Cloud Storage md5Hash; Azure
  Content-MD5; where the storage vouches for none, the object itself is read back and hashed),
  and found by Label Studio's own storage lookup;
- there with the same content: skipped; there with different content: refused, never overwritten.
Nothing under SOURCE is changed: files are only opened for reading, nothing is renamed or deleted.
It is safe to run again and to stop at any point: every object is written whole or not at all,
and a second run skips what the first copied.

Exit codes: 0 nothing refused or failed; 1 something refused or failed (each listed);
2 it cannot start (SOURCE is not a media folder, Label Studio's storage is still local, ...).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import mimetypes
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

CHUNK = 8 * 1024 * 1024
COPIED, SKIPPED, REFUSED, FAILED = "copied", "skipped", "refused", "failed"
OUTCOMES = (COPIED, SKIPPED, REFUSED, FAILED)
# The folders Label Studio keeps under MEDIA_ROOT; a SOURCE with none of them is probably the wrong folder.
MEDIA_FOLDERS = ("upload", "avatars", "export")


class CannotStart(Exception):
    """The move cannot begin; the message says why and what to do."""


class AppearedMeanwhile(Exception):
    """The storage refused the write because an object with that key appeared since it was looked at."""


@dataclass(frozen=True)
class LocalFile:
    """A file under SOURCE, hashed in one read."""

    name: str  # Label Studio's name for it: the path relative to SOURCE, with '/'
    path: Path
    size: int
    md5: bytes
    sha256: bytes

    def digest(self, algorithm: str) -> bytes:
        return self.md5 if algorithm == "md5" else self.sha256


@dataclass(frozen=True)
class Stored:
    """What the storage says about an object: its size and the checksums it vouches for (raw bytes)."""

    size: int
    digests: Mapping[str, bytes] = field(default_factory=dict)  # "sha256" and/or "md5"


def difference(local: LocalFile, stored: Stored, read_back: Callable[[], bytes]) -> str | None:
    """Why the stored object is not the local file, or None when it is the same content.

    Sizes first; then the strongest checksum the storage vouches for; with none, the object is read
    back and its SHA-256 compared (`read_back`, called only then)."""
    if stored.size != local.size:
        return f"{stored.size} bytes stored, {local.size} bytes here"
    for algorithm in ("sha256", "md5"):
        if algorithm in stored.digests:
            if stored.digests[algorithm] != local.digest(algorithm):
                return f"its {algorithm} differs"
            return None
    if read_back() != local.sha256:
        return "its content differs (read back)"
    return None


class Storage(Protocol):
    """The storage Label Studio is configured with, as the mover needs it."""

    description: str

    def key(self, name: str) -> str: ...
    def stat(self, name: str) -> Stored | None: ...
    def put(self, local: LocalFile) -> None: ...
    def read_sha256(self, name: str) -> bytes: ...
    def found(self, name: str) -> bool: ...


@dataclass
class Outcome:
    name: str
    outcome: str  # one of OUTCOMES
    detail: str


def move_one(storage: Storage, local: LocalFile, dry_run: bool, looked_again: bool = False) -> Outcome:
    """Copy, skip or refuse one file, as the module's docstring says; never overwrite."""
    key = storage.key(local.name)
    stored = storage.stat(local.name)
    if stored is not None:
        different = difference(local, stored, lambda: storage.read_sha256(local.name))
        if different:
            return Outcome(local.name, REFUSED, f"{key} holds other content: {different}; left as it is")
        return Outcome(local.name, SKIPPED, f"{key} holds the same content")
    if dry_run:
        return Outcome(local.name, COPIED, f"to {key} ({local.size} bytes)")
    try:
        storage.put(local)
    except AppearedMeanwhile:
        if looked_again:
            return Outcome(local.name, FAILED, f"the storage refuses to write {key} as it exists, but cannot show it")
        return move_one(storage, local, dry_run, True)  # look again: same content is a skip, other a refusal
    stored = storage.stat(local.name)
    if stored is None:
        return Outcome(local.name, FAILED, f"{key} is not in the storage after the copy")
    different = difference(local, stored, lambda: storage.read_sha256(local.name))
    if different:
        return Outcome(local.name, FAILED, f"{key} does not hold what was sent: {different}")
    if not storage.found(local.name):
        return Outcome(local.name, FAILED, f"{key} was written but Label Studio's storage does not find it")
    return Outcome(local.name, COPIED, f"to {key} ({local.size} bytes, verified)")


def hashed(source: Path, path: Path) -> LocalFile:
    """The file's name, size and checksums, from one read-only pass."""
    md5, sha256, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    with path.open("rb") as content:
        while chunk := content.read(CHUNK):
            md5.update(chunk)
            sha256.update(chunk)
            size += len(chunk)
    return LocalFile(path.relative_to(source).as_posix(), path, size, md5.digest(), sha256.digest())


def files_under(source: Path) -> Iterator[Path | tuple[Path, str]]:
    """Every regular file under `source`, in a stable order; anything else as (path, why it is left)."""
    for folder, folders, files in os.walk(source, followlinks=False):
        folders.sort()
        for name in sorted(files) + sorted(f for f in folders if (Path(folder) / f).is_symlink()):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                yield path, "not a regular file (a link or a device); left alone"
            else:
                yield path


def check_source(source: Path) -> None:
    if not source.is_dir():
        raise CannotStart(f"{source} is not a folder: give Label Studio's old media folder (<data dir>/media)")
    if (source / "media").is_dir():  # Label Studio's data folder (it has an export/ folder of its own too)
        raise CannotStart(
            f"{source} is Label Studio's data folder, not its media folder: did you mean {source / 'media'}?"
        )
    if not any((source / folder).is_dir() for folder in MEDIA_FOLDERS):
        raise CannotStart(
            f"{source} holds none of Label Studio's media folders ({', '.join(MEDIA_FOLDERS)}): give its old "
            "media folder, <LABEL_STUDIO_BASE_DATA_DIR>/media"
        )


def move(
    source: Path, storage: Storage, dry_run: bool = False, workers: int = 4, say: Callable[[str], None] = print
) -> dict[str, int]:
    """Move every file under `source`; prints one line per file, returns how many had each outcome."""
    check_source(source)
    counts = dict.fromkeys(OUTCOMES, 0)

    def one(entry: Path | tuple[Path, str]) -> Outcome:
        if isinstance(entry, tuple):
            return Outcome(entry[0].relative_to(source).as_posix(), REFUSED, entry[1])
        try:
            return move_one(storage, hashed(source, entry), dry_run)
        except Exception as error:  # reported per file; the others go on
            return Outcome(entry.relative_to(source).as_posix(), FAILED, f"{type(error).__name__}: {error}")

    executor = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        for outcome in executor.map(one, files_under(source)):
            counts[outcome.outcome] += 1
            verb = "would copy" if dry_run and outcome.outcome == COPIED else outcome.outcome
            say(f"{verb.upper() if outcome.outcome in (REFUSED, FAILED) else verb} {outcome.name}: {outcome.detail}")
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return counts


def summary(counts: Mapping[str, int], dry_run: bool) -> str:
    words = " ".join(f"{name}={counts.get(name, 0)}" for name in OUTCOMES)
    return f"summary{' (dry run, nothing written)' if dry_run else ''}: {words}"


# --- The storages, built from Label Studio's own configured Django storage. ---


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _read_sha256(chunks: Iterator[bytes]) -> bytes:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.digest()


_PLAIN_ETAG = re.compile(r'^"?([0-9a-fA-F]{32})"?$')


class _Base:
    """What every storage shares: the key function and Label Studio's own lookup (its storage's `exists`)."""

    def __init__(self, key: Callable[[str], str], lookup: Callable[[str], bool] | None) -> None:
        self.key_of, self.lookup = key, lookup

    def key(self, name: str) -> str:
        return self.key_of(name)

    def found(self, name: str) -> bool:
        return bool(self.lookup(name)) if self.lookup else self.stat(name) is not None  # type: ignore[attr-defined]


class S3(_Base):
    """S3 and S3-compatible servers, through the boto3 client Label Studio's storage built."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: Callable[[str], str],
        parameters: Callable[[str], dict[str, Any]],
        lookup: Callable[[str], bool] | None = None,
    ):
        super().__init__(key, lookup)
        self.client, self.bucket, self.parameters = client, bucket, parameters
        self.description = f"s3://{bucket}"

    def _head(self, name: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return dict(self.client.head_object(Bucket=self.bucket, Key=self.key(name), ChecksumMode="ENABLED"))
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code"))
            # S3 says 404 only to a principal that may list the bucket; the stack's policy lets Label
            # Studio list only under its folder (the s3:prefix condition), so a missing key there is a
            # 403. Reading the folder is allowed, so a 403 means absent; the write that follows is
            # conditional (If-None-Match), so an object that is there after all is never replaced.
            if code in ("404", "NoSuchKey", "NotFound", "403", "AccessDenied", "Forbidden"):
                return None
            raise

    def stat(self, name: str) -> Stored | None:
        head = self._head(name)
        if head is None:
            return None
        digests = {}
        checksum = head.get("ChecksumSHA256")
        if checksum and "-" not in checksum:  # a multipart object's checksum is of its parts
            digests["sha256"] = base64.b64decode(checksum)
        etag = _PLAIN_ETAG.match(head.get("ETag", ""))
        # An ETag is the MD5 only for single-part objects not encrypted with KMS or a customer key.
        if etag and head.get("ServerSideEncryption") != "aws:kms" and "SSECustomerAlgorithm" not in head:
            digests["md5"] = bytes.fromhex(etag.group(1))
        return Stored(int(head["ContentLength"]), digests)

    def put(self, local: LocalFile) -> None:
        from botocore.exceptions import ClientError

        with local.path.open("rb") as body:
            try:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=self.key(local.name),
                    Body=body,
                    ContentLength=local.size,
                    ContentMD5=_b64(local.md5),
                    ChecksumAlgorithm="SHA256",
                    ChecksumSHA256=_b64(local.sha256),
                    IfNoneMatch="*",
                    **self.parameters(local.name),
                )
            except ClientError as error:
                if str(error.response.get("Error", {}).get("Code")) in ("PreconditionFailed", "412"):
                    raise AppearedMeanwhile from error
                raise

    def read_sha256(self, name: str) -> bytes:
        body = self.client.get_object(Bucket=self.bucket, Key=self.key(name))["Body"]
        return _read_sha256(iter(lambda: body.read(CHUNK), b""))


class GCS(_Base):
    """Cloud Storage, through the bucket object Label Studio's storage built."""

    def __init__(
        self,
        bucket: Any,
        key: Callable[[str], str],
        parameters: Callable[[str], dict[str, Any]],
        lookup: Callable[[str], bool] | None = None,
    ):
        super().__init__(key, lookup)
        self.bucket, self.parameters = bucket, parameters
        self.description = f"gs://{bucket.name}"

    def stat(self, name: str) -> Stored | None:
        blob = self.bucket.get_blob(self.key(name))
        if blob is None:
            return None
        digests = {"md5": base64.b64decode(blob.md5_hash)} if blob.md5_hash else {}  # composite objects have none
        return Stored(int(blob.size), digests)

    def put(self, local: LocalFile) -> None:
        from google.api_core.exceptions import PreconditionFailed

        blob = self.bucket.blob(self.key(local.name))
        parameters = dict(self.parameters(local.name))
        acl = parameters.pop("acl", None)
        content_type = parameters.pop("content_type", None) or mimetypes.guess_type(local.name)[0]
        for name, value in parameters.items():
            setattr(blob, name, value)
        try:
            blob.upload_from_filename(
                str(local.path),
                content_type=content_type,
                checksum="md5",
                if_generation_match=0,
                **({"predefined_acl": acl} if acl else {}),
            )
        except PreconditionFailed as error:
            raise AppearedMeanwhile from error

    def read_sha256(self, name: str) -> bytes:
        with self.bucket.blob(self.key(name)).open("rb") as content:
            return _read_sha256(iter(lambda: content.read(CHUNK), b""))


class Azure(_Base):
    """Azure Blob Storage, through the container client Label Studio's storage built."""

    def __init__(
        self,
        container: Any,
        key: Callable[[str], str],
        settings: Callable[[str], dict[str, Any]],
        lookup: Callable[[str], bool] | None = None,
    ):
        super().__init__(key, lookup)
        self.container, self.settings = container, settings
        self.description = f"azure://{container.container_name}"

    def stat(self, name: str) -> Stored | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            properties = self.container.get_blob_client(self.key(name)).get_blob_properties()
        except ResourceNotFoundError:
            return None
        md5 = properties.content_settings.content_md5  # the service's, for a blob written in one request
        return Stored(int(properties.size), {"md5": bytes(md5)} if md5 else {})

    def put(self, local: LocalFile) -> None:
        from azure.core.exceptions import ResourceExistsError
        from azure.storage.blob import ContentSettings

        with local.path.open("rb") as content:
            try:
                self.container.get_blob_client(self.key(local.name)).upload_blob(
                    content,
                    length=local.size,
                    overwrite=False,
                    validate_content=True,
                    content_settings=ContentSettings(**self.settings(local.name)),
                )
            except ResourceExistsError as error:
                raise AppearedMeanwhile from error

    def read_sha256(self, name: str) -> bytes:
        return _read_sha256(self.container.get_blob_client(self.key(name)).download_blob().chunks())


def from_label_studio() -> Storage:
    """Label Studio's configured default storage, loaded from its own settings and environment."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.label_studio")
    try:
        import core  # noqa: F401  (Label Studio's code, on the path in the image's working directory)
    except ImportError:
        try:
            import label_studio
        except ImportError:
            raise CannotStart("Label Studio is not installed here: run this in Label Studio's image") from None
        sys.path.insert(0, os.path.dirname(label_studio.__file__))
    import logging

    from django.conf import settings
    from django.core.exceptions import AppRegistryNotReady
    from django.core.files.storage import storages

    settings.STORAGES  # noqa: B018  (loads Label Studio's settings: only those; its apps and database stay untouched)
    logging.getLogger().setLevel(logging.WARNING)  # the clients' debug chatter, which Django's setup would quiet
    try:
        return for_django_storage(storages["default"])
    except AppRegistryNotReady:  # a storage class that needs Label Studio's apps loaded
        import django

        django.setup()
        return for_django_storage(storages["default"])


def for_django_storage(storage: Any) -> Storage:
    """The mover's view of a django-storages backend; keys computed by the backend's own methods."""
    from storages.backends.azure_storage import AzureStorage
    from storages.backends.gcloud import GoogleCloudStorage, clean_name
    from storages.backends.s3boto3 import S3Boto3Storage

    mover: Storage
    if isinstance(storage, S3Boto3Storage):
        mover = S3(
            storage.connection.meta.client,
            storage.bucket_name,
            lambda name: storage._normalize_name(storage._clean_name(name)),
            lambda name: storage._get_write_parameters(storage._normalize_name(storage._clean_name(name))),
            storage.exists,
        )
    elif isinstance(storage, GoogleCloudStorage):
        mover = GCS(
            storage.bucket,
            lambda name: storage._normalize_name(clean_name(name)),
            lambda name: {
                "acl": storage.default_acl,
                **storage.get_object_parameters(storage._normalize_name(clean_name(name))),
            },
            storage.exists,
        )
    elif isinstance(storage, AzureStorage):
        mover = Azure(
            storage.client,
            storage._get_valid_path,
            lambda name: storage._get_content_settings_parameters(storage._get_valid_path(name)),
            storage.exists,
        )
    else:
        raise CannotStart(
            f"Label Studio's storage here is {type(storage).__name__}, not a cloud storage: run the mover with "
            "the environment Label Studio gets from the stack (STORAGE_TYPE s3, gcs or azure and its settings)"
        )
    return mover


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="uploads_mover.py")
    parser.add_argument("source", type=Path, help="Label Studio's old media folder (<data dir>/media), read only")
    parser.add_argument("--dry-run", action="store_true", help="say what would happen; write nothing")
    parser.add_argument("--workers", type=int, default=4, help="files moved at once (default 4)")
    arguments = parser.parse_args(argv)
    started = time.monotonic()
    try:
        check_source(arguments.source)
        storage = from_label_studio()
        print(f"moving {arguments.source} into {storage.description}", flush=True)
        counts = move(
            arguments.source,
            storage,
            arguments.dry_run,
            arguments.workers,
            say=lambda line: print(line, flush=True),
        )
    except CannotStart as error:
        print(f"cannot start: {error}", file=sys.stderr)
        return 2
    print(f"{summary(counts, arguments.dry_run)} in {time.monotonic() - started:.1f} s", flush=True)
    return 1 if counts[REFUSED] or counts[FAILED] else 0


if __name__ == "__main__":
    sys.exit(main())
