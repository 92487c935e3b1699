"""Label Studio on an existing Cloud Storage bucket, used as is (labelstudio:storage existing).

The operator's bucket is in gcp-storage-emulator before the program runs, with objects of its own.
The program declares no bucket: only the service account, its grant on that bucket, its signing
grant and the key. Label Studio (compose, its envList and key file) uploads into the folder, reads
back and hands out a link V4-signed through signBlob as its own account, and the operator's
objects are untouched. Replaced as in test_gcp.py: the key file (issued by the stand-in for
Google), the endpoint (STORAGE_EMULATOR_HOST), signBlob (through the proxy), SQLite.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from tests.conftest import GCP_PROJECT, gcp_stack, run
from tests.e2e.test_gcp import FOLDER, KEY_FILE_VARIABLE, TASKS, Case
from tests.harness import stand_ins
from tests.harness.google import IAM_HOST, Google, goog4_problems, token_server
from tests.harness.labelstudio import Interception, label_studio
from tests.harness.servers import free_port, serving
from tests.harness.serving import GCS_EMULATOR_RAW_UTF8, PLAIN, assert_served
from tests.harness.tls import tls_identity
from tools.mockrun import reveal

pytestmark = pytest.mark.e2e

BUCKET = "acme-annotations"
THEIRS = {"images/cat-001.jpg": b"\xff\xd8 a cat", "exports/2025.json": b"[]"}
STACK = gcp_stack(target="compose", access="key", storage="existing", bucket=BUCKET, folder=FOLDER)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    declaration = run(STACK)
    root = tmp_path_factory.mktemp("gcp-existing")
    email = str(declaration.outputs["serviceAccountEmail"])
    port = free_port()
    command = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1", "--port", str(port)]
    with serving([*command, "--in-memory", "--quiet"], port) as emulator, token_server(Google()) as google:
        # What was there before the stack: the bucket and the operator's objects.
        client = storage.Client(
            project=GCP_PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": emulator}
        )
        bucket = client.create_bucket(BUCKET, project=GCP_PROJECT)
        for name, body in THEIRS.items():
            bucket.blob(name).upload_from_string(body)
        google.grant_declared(declaration)
        issued = google.issue_key_file(email, GCP_PROJECT)
        environment = stand_ins.env_list(reveal(declaration.outputs["envList"]))
        key_file = root / environment[KEY_FILE_VARIABLE].lstrip("/")
        key_file.parent.mkdir(parents=True)
        key_file.write_text(issued)
        environment[KEY_FILE_VARIABLE] = str(key_file)
        ca, certificate, key = tls_identity(root / "tls", IAM_HOST)
        environment |= {"STORAGE_EMULATOR_HOST": emulator, "REQUESTS_CA_BUNDLE": str(ca), "DJANGO_DB": "sqlite"}
        stand_in = Interception(IAM_HOST, certificate, key, google.sign_blob)
        with label_studio(environment, root / "label-studio", interception=stand_in) as server:
            project = server.create_project("existing")
            server.upload(project, "tasks.json", TASKS)
            yield Case(declaration, google, server, bucket, emulator, email, project)


def test_no_bucket_is_declared_and_the_grant_names_the_existing_one():
    declaration = run(STACK)
    assert declaration.of_type("gcp:storage/bucket:Bucket") == []
    assert declaration.one("gcp:storage/bucketIAMMember:BucketIAMMember").inputs["bucket"] == BUCKET


def test_label_studio_works_in_the_folder_of_the_existing_bucket_and_leaves_the_rest(case):
    (name,) = [b.name for b in case.bucket.client.list_blobs(case.bucket, prefix=f"{FOLDER}/upload/")]
    assert case.bucket.blob(name).download_as_bytes() == TASKS
    assert [task["data"]["text"] for task in case.label_studio.tasks(case.project)] == ["a cat on a mat"]
    for theirs, body in THEIRS.items():
        assert case.bucket.blob(theirs).download_as_bytes() == body
    link = case.label_studio.storage_link(name.removeprefix(f"{FOLDER}/"))
    assert goog4_problems(link, case.google.keys[case.email].public_key(), case.email) == []
    fetched = requests.get(f"{case.emulator}{urlsplit(link).path}", timeout=10)
    assert fetched.status_code == 200 and fetched.content == TASKS


def test_each_upload_is_served_through_the_images_nginx_and_chromium_shows_it(case):
    assert_served(case.label_studio, emulator_fails=GCS_EMULATOR_RAW_UTF8, labels=PLAIN)
