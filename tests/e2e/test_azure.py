"""Label Studio on the Azure Blob storage the program declares, end to end, on Azurite.

For each case the program runs for a stack; Azurite gets the declared account (by its declared
name), the declared container and blob-service CORS; Label Studio starts with the environment it
would get (compose: envList; kubernetes: the rendered chart's app container, Secret resolved).
Replaced, because an emulator forces it, and nothing else:
- the account key: Azurite holds the key it is started with, in place of the stand-in;
- the blob endpoint: Label Studio has no variable for it (django-storages builds
  `https://<account>.blob.core.windows.net`), so a settings module of the test's own imports
  Label Studio's settings and sets AZURE_CUSTOM_DOMAIN to Azurite's address, AZURE_SSL off;
- the database: SQLite.
Azure's shared key reaches the whole account, so no test can deny it objects outside the folder:
the program's containment is the dedicated account, and the key is shown useless on another.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobSasPermissions, BlobServiceClient, ContainerClient, generate_blob_sas

from tests.conftest import azure_stack, run
from tests.emulators.test_azurite import AZURITE, cors_rules, declared_inputs, require_azurite
from tests.harness import stand_ins
from tests.harness.browser import page_server, run_page
from tests.harness.labelstudio import LabelStudio, label_studio
from tests.harness.pod import app_pod
from tests.harness.servers import free_port, serving
from tests.harness.serving import ALL_NAMES, AZURITE_RAW_UTF8, PLAIN, assert_served
from tools.mockrun import Declaration, reveal

pytestmark = pytest.mark.e2e

FOLDER = "media/label-studio"
TASKS = b'[{"text": "a cat on a mat"}]'
OTHER_ACCOUNT = "someoneelse"
SETTINGS_MODULE = "e2e_azurite_settings"
# Label Studio's settings, pointed at Azurite: the only thing the test adds to Label Studio itself.
SETTINGS = '''"""Label Studio's own settings, with the blob endpoint of the Azurite the test started.

Label Studio's settings module reads Django's settings while it loads (to start error reporting),
which then come from this module, half-loaded: the base settings go first so that read finds them.
"""
import os

from core.settings.base import *  # noqa: F403
from core.settings.label_studio import *  # noqa: F403

AZURE_CUSTOM_DOMAIN = f"{os.environ['E2E_AZURITE_HOST']}/{AZURE_ACCOUNT_NAME}"  # noqa: F405
AZURE_SSL = False
'''

# The page the browser test loads comes from here; the stacks allow it (and the app's own host).
PAGE_PORT = free_port()
ALLOWED = [f"http://127.0.0.1:{PAGE_PORT}", "https://label.example.com"]
CASES = {
    "compose": azure_stack(target="compose", folder=FOLDER, corsOrigins=ALLOWED),
    "kubernetes-secret": azure_stack(folder=FOLDER, credentials="secret", corsOrigins=ALLOWED),
}


def account_key() -> str:
    return base64.b64encode(os.urandom(64)).decode()


@dataclass
class Case:
    declaration: Declaration
    label_studio: LabelStudio
    container: ContainerClient
    environment: dict[str, str]
    other_account_url: str
    project: int


@pytest.fixture(scope="module", params=list(CASES))
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    require_azurite()
    declaration = run(CASES[request.param])
    root = tmp_path_factory.mktemp(f"azure-{request.param}")
    key, other_key = account_key(), account_key()
    replacements = {stand_ins.AZURE_ACCOUNT_KEY: key}
    if "envList" in declaration.outputs:
        environment = stand_ins.substitute(stand_ins.env_list(reveal(declaration.outputs["envList"])), replacements)
    else:
        environment = app_pod(declaration, root / "pod", replacements).environment
    account = environment["STORAGE_AZURE_ACCOUNT_NAME"]
    port = free_port()
    command = [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence"]
    command += ["--skipApiVersionCheck", "--disableTelemetry", "--silent"]
    accounts = {"AZURITE_ACCOUNTS": f"{account}:{key};{OTHER_ACCOUNT}:{other_key}"}
    with serving(command, port, accounts) as endpoint:
        service = BlobServiceClient(f"{endpoint}/{account}", credential={"account_name": account, "account_key": key})
        container = apply_declared(declaration, service)
        other = BlobServiceClient(
            f"{endpoint}/{OTHER_ACCOUNT}", credential={"account_name": OTHER_ACCOUNT, "account_key": other_key}
        )
        other.create_container(container.container_name).upload_blob(f"{FOLDER}/theirs.json", b"{}")
        settings = pointed_at_azurite(root, endpoint, environment)
        with label_studio(environment, root / "label-studio", extra_pythonpath=settings) as server:
            project = server.create_project(request.param)
            server.upload(project, "tasks.json", TASKS)
            yield Case(declaration, server, container, environment, f"{endpoint}/{OTHER_ACCOUNT}", project)


def pointed_at_azurite(root: Path, endpoint: str, environment: dict[str, str]) -> Path:
    """Label Studio's settings module pointed at Azurite (its folder, returned) and the environment
    that loads it. Replaced: Azurite's address (through the settings module), SQLite for PostgreSQL."""
    settings = root / "settings"
    settings.mkdir()
    (settings / f"{SETTINGS_MODULE}.py").write_text(SETTINGS)
    environment |= {
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "E2E_AZURITE_HOST": urlsplit(endpoint).netloc,
        "DJANGO_DB": "sqlite",
    }
    return settings


def apply_declared(declaration: Declaration, service: BlobServiceClient) -> ContainerClient:
    """The declared blob-service CORS and the declared private container, as the provider would set them."""
    service.set_service_properties(cors=cors_rules(declaration))
    declared_container = declared_inputs(declaration, "BlobContainer")
    assert declared_container["publicAccess"] == "None"
    return service.create_container(declared_container["containerName"])


def uploaded(case: Case) -> str:
    (blob,) = [blob.name for blob in case.container.list_blobs(name_starts_with=f"{FOLDER}/upload/")]
    return str(blob)


def test_the_upload_lands_under_the_folder_and_label_studio_reads_it_back(case):
    name = uploaded(case)
    assert name.startswith(f"{FOLDER}/upload/{case.project}/"), name
    assert case.container.download_blob(name).readall() == TASKS
    assert [task["data"]["text"] for task in case.label_studio.tasks(case.project)] == ["a cat on a mat"]


def test_the_link_label_studio_hands_out_is_a_read_only_sas_of_its_account_and_serves_the_bytes(case):
    link = case.label_studio.storage_link(uploaded(case).removeprefix(f"{FOLDER}/"))
    parts = urlsplit(link)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert (
        parts.path
        == f"/{case.environment['STORAGE_AZURE_ACCOUNT_NAME']}/{case.container.container_name}/{uploaded(case)}"
    )
    assert query["sr"] == "b" and query["sp"] == "r" and {"sv", "se", "sig"} <= set(query), query
    fetched = requests.get(link, timeout=10)
    assert fetched.status_code == 200, fetched.text
    assert fetched.content == TASKS
    tampered = link.replace("sp=r", "sp=rw")
    assert requests.get(tampered, timeout=10).status_code == 403, "Azurite checks the signature"


def test_the_account_key_is_useless_on_another_account(case):
    account = case.environment["STORAGE_AZURE_ACCOUNT_NAME"]
    key = case.environment["STORAGE_AZURE_ACCOUNT_KEY"]
    stranger = BlobServiceClient(case.other_account_url, credential={"account_name": account, "account_key": key})
    with pytest.raises(HttpResponseError) as refused:
        stranger.get_container_client(case.container.container_name).download_blob(f"{FOLDER}/theirs.json").readall()
    assert refused.value.status_code == 403


def test_a_browser_reads_the_link_and_uploads_from_an_allowed_origin_and_is_blocked_from_another(case):
    """Azurite evaluates the declared CORS rule as Azure does (origins, methods and headers). The page
    gets Label Studio's link and a SAS upload URL signed with the account key Label Studio holds."""
    link = case.label_studio.storage_link(uploaded(case).removeprefix(f"{FOLDER}/"))
    account = case.environment["STORAGE_AZURE_ACCOUNT_NAME"]
    upload_headers = {"x-ms-blob-type": "BlockBlob", "Content-Type": "text/plain"}

    def put_url(name: str) -> str:
        blob = f"{FOLDER}/browser/{name}"
        token = generate_blob_sas(
            account,
            case.container.container_name,
            blob,
            account_key=case.environment["STORAGE_AZURE_ACCOUNT_KEY"],
            permission=BlobSasPermissions(create=True, write=True),
            expiry=datetime.now(timezone.utc) + timedelta(minutes=10),
        )
        return f"{case.container.url}/{blob}?{token}"

    with page_server(PAGE_PORT) as (origin, page):
        allowed = run_page(origin, page, link, put_url("allowed.txt"), "from the browser", upload_headers)
    assert allowed["read"] == {"status": 200, "body": TASKS.decode()}, allowed
    assert allowed["upload"].get("status") == 201, allowed
    assert case.container.download_blob(f"{FOLDER}/browser/allowed.txt").readall() == b"from the browser"

    with page_server() as (origin, page):
        other = run_page(origin, page, link, put_url("other.txt"), "from elsewhere", upload_headers)
    assert "blocked" in other["read"] and "blocked" in other["upload"], other
    assert not list(case.container.list_blobs(name_starts_with=f"{FOLDER}/browser/other"))


def test_each_upload_is_served_through_the_images_nginx_and_chromium_shows_it(case, request):
    """Every file name once on this emulator (the first case), the plain one on the others."""
    first = request.node.callspec.params["case"] == next(iter(CASES))
    assert_served(case.label_studio, emulator_fails=AZURITE_RAW_UTF8, labels=ALL_NAMES if first else PLAIN)
