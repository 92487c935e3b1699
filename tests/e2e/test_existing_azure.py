"""Label Studio on an existing Azure account and container, used as is (labelstudio:storage existing).

The operator's account and container are in Azurite before the program runs, with blobs of their
own and the CORS rule they set by hand (the stack leaves CORS alone). The program reads the account
and its key and declares only the wiring: Label Studio (compose, its envList) uploads into the
folder, reads back and hands out a working SAS link, and the operator's blobs are untouched.
Replaced as in test_azure.py: the key (Azurite's), the blob endpoint (a settings module), SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from azure.storage.blob import BlobServiceClient, ContainerClient, CorsRule

from tests.conftest import azure_stack, run
from tests.e2e.test_azure import FOLDER, TASKS, account_key, pointed_at_azurite
from tests.emulators.test_azurite import AZURITE, require_azurite
from tests.harness import stand_ins
from tests.harness.labelstudio import LabelStudio, label_studio
from tests.harness.servers import free_port, serving
from tests.harness.serving import AZURITE_RAW_UTF8, PLAIN, assert_served
from tools.mockrun import Declaration, reveal

pytestmark = pytest.mark.e2e

ACCOUNT, GROUP, CONTAINER = "acmeannotations", "ml-storage", "annotations"
THEIRS = {"images/cat-001.jpg": b"\xff\xd8 a cat", "exports/2025.json": b"[]"}
STACK = azure_stack(
    target="compose",
    storage="existing",
    bucket=CONTAINER,
    folder=FOLDER,
    azure={"storageAccount": ACCOUNT, "resourceGroup": GROUP},
)


@dataclass
class Case:
    declaration: Declaration
    label_studio: LabelStudio
    container: ContainerClient
    project: int


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    require_azurite()
    declaration = run(STACK)
    root = tmp_path_factory.mktemp("azure-existing")
    key = account_key()
    env_list = stand_ins.env_list(reveal(declaration.outputs["envList"]))
    environment = stand_ins.substitute(env_list, {stand_ins.AZURE_ACCOUNT_KEY: key})
    assert environment["STORAGE_AZURE_ACCOUNT_NAME"] == ACCOUNT
    port = free_port()
    command = [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence"]
    command += ["--skipApiVersionCheck", "--disableTelemetry", "--silent"]
    with serving(command, port, {"AZURITE_ACCOUNTS": f"{ACCOUNT}:{key}"}) as endpoint:
        # What was there before the stack: the container, the operator's blobs and CORS.
        service = BlobServiceClient(f"{endpoint}/{ACCOUNT}", credential={"account_name": ACCOUNT, "account_key": key})
        service.set_service_properties(cors=[CorsRule(["https://label.example.com"], ["GET", "PUT"])])
        container = service.create_container(CONTAINER)
        for name, body in THEIRS.items():
            container.upload_blob(name, body)
        settings = pointed_at_azurite(root, endpoint, environment)
        with label_studio(environment, root / "label-studio", extra_pythonpath=settings) as server:
            project = server.create_project("existing")
            server.upload(project, "tasks.json", TASKS)
            yield Case(declaration, server, container, project)


def test_nothing_of_the_storage_is_declared():
    declared = {r.type for r in run(STACK).resources}
    assert not declared & {
        "azure-native:storage:StorageAccount",
        "azure-native:storage:BlobContainer",
        "azure-native:storage:BlobServiceProperties",
        "azure-native:resources:ResourceGroup",
    }


def test_label_studio_works_in_the_folder_of_the_existing_container_and_leaves_the_rest(case):
    (name,) = [b.name for b in case.container.list_blobs(name_starts_with=f"{FOLDER}/upload/")]
    assert case.container.download_blob(name).readall() == TASKS
    assert [task["data"]["text"] for task in case.label_studio.tasks(case.project)] == ["a cat on a mat"]
    for theirs, body in THEIRS.items():
        assert case.container.download_blob(theirs).readall() == body
    link = case.label_studio.storage_link(name.removeprefix(f"{FOLDER}/"))
    fetched = requests.get(link, timeout=10)
    assert fetched.status_code == 200 and fetched.content == TASKS


def test_each_upload_is_served_through_the_images_nginx_and_chromium_shows_it(case):
    assert_served(case.label_studio, emulator_fails=AZURITE_RAW_UTF8, labels=PLAIN)
