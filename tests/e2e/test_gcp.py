"""Label Studio on the Cloud Storage the program declares, end to end, on gcp-storage-emulator.

For each case the program runs for a stack with a service account key; the emulator gets the
declared bucket; Label Studio starts with the environment it would get (compose: envList and the
key file where the compose guide mounts it; kubernetes: the rendered chart's app container, its
key file written where the chart mounts the Secret). Replaced, because an emulator forces it:
- the key file: a real key for the declared service account, issued by the test's stand-in for
  Google, whose `token_uri` is that stand-in (the program's stand-in key cannot sign anything);
- the Cloud Storage endpoint: STORAGE_EMULATOR_HOST, the client library's own variable for it;
- signBlob: Label Studio signs links through IAM as its own account at a host no setting moves,
  so its outbound proxy answers that host with the stand-in, which signs only for the Token
  Creator bindings the program declares (REQUESTS_CA_BUNDLE trusts the stand-in's certificate);
- the key file's path, as the process runs outside the image; the database: SQLite.
The emulator checks neither credentials nor IAM, so no test here can show the account denied
another bucket; Cloud Storage's grant is bucket-wide (objectAdmin on the bucket), so no cloud
would deny it objects outside the folder either. The signature of the link is checked by the test
as Cloud Storage checks it, then its path is fetched from the emulator.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from tests.conftest import GCP_PROJECT, gcp_stack, run
from tests.emulators.test_gcs_emulator import apply_declared
from tests.harness import stand_ins
from tests.harness.google import IAM_HOST, Google, goog4_problems, token_server
from tests.harness.labelstudio import Interception, LabelStudio, label_studio
from tests.harness.pod import SECRET_TYPE, app_pod
from tests.harness.servers import free_port, serving
from tests.harness.serving import ALL_NAMES, GCS_EMULATOR_RAW_UTF8, PLAIN, assert_served
from tests.harness.tls import tls_identity
from tools.mockrun import Declaration, reveal

pytestmark = pytest.mark.e2e

FOLDER = "media/label-studio"
TASKS = b'[{"text": "a cat on a mat"}]'
KEY_FILE_VARIABLE = "GOOGLE_APPLICATION_CREDENTIALS"

CASES = {
    "compose-key": gcp_stack(target="compose", access="key", folder=FOLDER),
    "kubernetes-key-in-secret": gcp_stack(access="key", folder=FOLDER, credentials="secret"),
}


@dataclass
class Case:
    declaration: Declaration
    google: Google
    label_studio: LabelStudio
    bucket: storage.Bucket
    emulator: str
    email: str
    project: int


def stand_in_key_file(declaration: Declaration) -> str:
    """The key file text the program passes on, from the stand-in cloud."""
    if "serviceAccountKeyJson" in declaration.outputs:
        return str(reveal(declaration.outputs["serviceAccountKeyJson"]))
    (secret,) = [reveal(r.inputs) for r in declaration.of_type(SECRET_TYPE)]
    (key_file,) = secret["stringData"].values()
    return str(key_file)


@pytest.fixture(scope="module", params=list(CASES))
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    declaration = run(CASES[request.param])
    root = tmp_path_factory.mktemp(f"gcp-{request.param}")
    email = str(declaration.outputs["serviceAccountEmail"])
    port = free_port()
    command = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1", "--port", str(port)]
    with serving([*command, "--in-memory", "--quiet"], port) as emulator, token_server(Google()) as google:
        google.grant_declared(declaration)
        issued = google.issue_key_file(email, GCP_PROJECT)
        replacements = {stand_in_key_file(declaration): issued}
        if "envList" in declaration.outputs:
            environment = stand_ins.env_list(reveal(declaration.outputs["envList"]))
            # Where the compose guide mounts the key file, under this case's root.
            key_file = root / environment[KEY_FILE_VARIABLE].lstrip("/")
            key_file.parent.mkdir(parents=True)
            key_file.write_text(issued)
            environment[KEY_FILE_VARIABLE] = str(key_file)
        else:
            environment = app_pod(declaration, root / "pod", replacements).environment
        assert Path(environment[KEY_FILE_VARIABLE]).read_text() == issued
        bucket = create_declared_bucket(declaration, emulator)
        ca, certificate, key = tls_identity(root / "tls", IAM_HOST)
        environment |= {"STORAGE_EMULATOR_HOST": emulator, "REQUESTS_CA_BUNDLE": str(ca), "DJANGO_DB": "sqlite"}
        stand_in = Interception(IAM_HOST, certificate, key, google.sign_blob)
        with label_studio(environment, root / "label-studio", interception=stand_in) as server:
            project = server.create_project(request.param)
            server.upload(project, "tasks.json", TASKS)
            yield Case(declaration, google, server, bucket, emulator, email, project)


def create_declared_bucket(declaration: Declaration, emulator: str) -> storage.Bucket:
    inputs = reveal(declaration.one("gcp:storage/bucket:Bucket").inputs)
    client = storage.Client(
        project=GCP_PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": emulator}
    )
    bucket = client.bucket(inputs["name"])
    apply_declared(bucket, inputs)
    return client.create_bucket(bucket, project=inputs["project"], location=inputs["location"])


def uploaded(case: Case) -> str:
    (blob,) = [blob.name for blob in case.bucket.client.list_blobs(case.bucket, prefix=f"{FOLDER}/upload/")]
    return str(blob)


def test_the_upload_lands_under_the_folder_and_label_studio_reads_it_back(case):
    name = uploaded(case)
    assert name.startswith(f"{FOLDER}/upload/{case.project}/"), name
    assert case.bucket.blob(name).download_as_bytes() == TASKS
    assert [task["data"]["text"] for task in case.label_studio.tasks(case.project)] == ["a cat on a mat"]


def test_the_link_is_v4_signed_as_label_studios_own_account_and_serves_the_bytes(case):
    link = case.label_studio.storage_link(uploaded(case).removeprefix(f"{FOLDER}/"))
    assert goog4_problems(link, case.google.keys[case.email].public_key(), case.email) == []
    assert case.google.signed == [case.email], "signed through IAM signBlob, as its own account"
    assert case.label_studio.intercepted and all(IAM_HOST in call for call in case.label_studio.intercepted)
    parts = urlsplit(link)
    assert parts.path == f"/{case.bucket.name}/{uploaded(case)}"
    fetched = requests.get(f"{case.emulator}{parts.path}", timeout=10)
    assert fetched.status_code == 200 and fetched.content == TASKS


def test_signing_as_another_account_is_refused_without_a_declared_binding(case):
    """The stand-in honours only the declared Token Creator binding: the account may sign as itself, not others."""
    case.label_studio.storage_link(uploaded(case).removeprefix(f"{FOLDER}/"))  # Label Studio now holds a token
    token = next(t for t, email in case.google.tokens.items() if email == case.email)
    other = f"someone-else@{GCP_PROJECT}.iam.gserviceaccount.com"
    path = f"/v1/projects/-/serviceAccounts/{other}:signBlob"
    status, _ = case.google.sign_blob("POST", path, {"authorization": f"Bearer {token}"}, b'{"payload": "aGk="}')
    assert status == 403
    status, _ = case.google.sign_blob(
        "POST", path.replace(other, case.email), {"authorization": f"Bearer {token}"}, b'{"payload": "aGk="}'
    )
    assert status == 200


def test_each_upload_is_served_through_the_images_nginx_and_chromium_shows_it(case, request):
    """Every file name once on this emulator (the first case), the plain one on the others."""
    first = request.node.callspec.params["case"] == next(iter(CASES))
    assert_served(case.label_studio, emulator_fails=GCS_EMULATOR_RAW_UTF8, labels=ALL_NAMES if first else PLAIN)
