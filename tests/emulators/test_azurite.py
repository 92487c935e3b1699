"""What the program declares for Azure Blob Storage, applied to Azurite on 127.0.0.1.

Azurite speaks the Blob data plane (CORS evaluation, shared-key and SAS authorization), not
the management plane, so the declared container and blob-service settings are applied here
with the data-plane SDK and Azurite's well-known development account, as the provider would
apply them through Azure Resource Manager. What Azurite cannot show (network rules, account
hardening, versioning and lifecycle rules) is asserted on the declared inputs in
test_program_azure.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from azure.storage.blob import (
    BlobSasPermissions,
    BlobServiceClient,
    ContainerClient,
    CorsRule,
    RetentionPolicy,
    generate_blob_sas,
)

from tests.conftest import azure_stack, run
from tests.harness.servers import free_port, serving
from tools.mockrun import PROJECT_DIR, Declaration, reveal

AZURITE = PROJECT_DIR / "node_modules" / ".bin" / "azurite-blob"
# Azurite's documented development account; it exists in every Azurite and nowhere else.
ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
ALLOWED = ["https://label.example.com", "http://localhost:8080"]
FOLDER = "media"
# What a browser names in its preflight when it PUTs a file to a SAS URL (Label Studio's uploads).
UPLOAD_HEADERS = "x-ms-blob-type,x-ms-blob-content-type,content-type,x-ms-version"


@pytest.fixture(scope="module")
def declared() -> Declaration:
    return run(azure_stack(folder=FOLDER, corsOrigins=ALLOWED, retentionDays=14))


def declared_inputs(declaration: Declaration, type_: str) -> dict[str, Any]:
    return reveal(declaration.one(f"azure-native:storage:{type_}").inputs)


def cors_rules(declaration: Declaration) -> list[CorsRule]:
    """The declared blob-service CORS rules as the data-plane SDK takes them."""
    return [
        CorsRule(
            rule["allowedOrigins"],
            rule["allowedMethods"],
            allowed_headers=rule["allowedHeaders"],
            exposed_headers=rule["exposedHeaders"],
            max_age_in_seconds=rule["maxAgeInSeconds"],
        )
        for rule in declared_inputs(declaration, "BlobServiceProperties")["cors"]["corsRules"]
    ]


def require_azurite() -> None:
    """Fail, never skip: a missing emulator must not turn these tests silently green."""
    if not AZURITE.exists() or shutil.which("node") is None:
        pytest.fail(
            f"Azurite is not installed ({AZURITE} or node is missing): run scripts/setup-tests.sh, "
            "which installs it from package.json with npm",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def azurite() -> Iterator[str]:
    """Azurite's blob service in memory on a free loopback port; its account's base URL."""
    require_azurite()
    port = free_port()
    command = [
        str(AZURITE),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(port),
        "--inMemoryPersistence",
        "--skipApiVersionCheck",
        "--disableTelemetry",
        "--silent",
    ]
    with serving(command, port) as endpoint:
        yield f"{endpoint}/{ACCOUNT_NAME}"


@pytest.fixture(scope="module")
def service(azurite: str) -> BlobServiceClient:
    return BlobServiceClient(account_url=azurite, credential={"account_name": ACCOUNT_NAME, "account_key": ACCOUNT_KEY})


@pytest.fixture(scope="module")
def container(declared: Declaration, service: BlobServiceClient) -> ContainerClient:
    """The declared container and blob-service settings, applied the way the provider would."""
    blob_service = declared_inputs(declared, "BlobServiceProperties")
    soft_delete = blob_service["deleteRetentionPolicy"]
    service.set_service_properties(
        cors=cors_rules(declared),
        delete_retention_policy=RetentionPolicy(enabled=soft_delete["enabled"], days=soft_delete["days"]),
    )
    declared_container = declared_inputs(declared, "BlobContainer")
    assert declared_container["publicAccess"] == "None"
    return service.create_container(declared_container["containerName"], public_access=None)


def preflight(url: str, origin: str, method: str, headers: str | None = None) -> requests.Response:
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    return requests.options(url, headers=request_headers, timeout=10)


def blob_url(container: ContainerClient, name: str) -> str:
    return f"{container.url}/{FOLDER}/{name}"


def test_the_declared_settings_read_back(declared, service, container):
    properties = service.get_service_properties()
    (rule,) = properties["cors"]
    assert rule.allowed_origins == ",".join(ALLOWED)
    assert rule.allowed_methods == "GET,PUT,POST,DELETE,HEAD"
    assert rule.allowed_headers == "x-ms-blob-type,x-ms-blob-content-type,content-type,x-ms-*"
    assert rule.exposed_headers == "x-ms-*" and rule.max_age_in_seconds == 3600
    assert properties["delete_retention_policy"].enabled is True
    assert properties["delete_retention_policy"].days == 14
    assert container.get_container_properties().public_access is None


def test_every_allowed_origin_may_read_and_upload_from_a_browser(container):
    url = blob_url(container, "image.jpg")
    for origin in ALLOWED:
        read = preflight(url, origin, "GET")
        assert read.status_code == 200, (origin, read.text)
        assert read.headers["Access-Control-Allow-Origin"] == origin
        upload = preflight(url, origin, "PUT", UPLOAD_HEADERS)
        assert upload.status_code == 200, (origin, upload.text)
        assert upload.headers["Access-Control-Allow-Origin"] == origin
        allowed_headers = upload.headers["Access-Control-Allow-Headers"].lower()
        assert "x-ms-blob-type" in allowed_headers


def test_another_origin_is_refused(container):
    url = blob_url(container, "image.jpg")
    for method, headers in (("GET", None), ("PUT", UPLOAD_HEADERS)):
        refused = preflight(url, "https://evil.example.com", method, headers)
        assert refused.status_code == 403, method
        assert "Access-Control-Allow-Origin" not in refused.headers


def test_the_guides_single_allowed_header_would_refuse_every_upload(declared, service, container):
    """Why the declared rule allows more than the guide's `x-ms-blob-content-type`."""
    (declared_rule,) = cors_rules(declared)
    guide_rule = CorsRule(
        declared_rule.allowed_origins.split(","),
        declared_rule.allowed_methods.split(","),
        allowed_headers=["x-ms-blob-content-type"],
        exposed_headers=["x-ms-*"],
        max_age_in_seconds=3600,
    )
    service.set_service_properties(cors=[guide_rule])
    try:
        refused = preflight(blob_url(container, "image.jpg"), ALLOWED[0], "PUT", UPLOAD_HEADERS)
        assert refused.status_code == 403
    finally:
        service.set_service_properties(cors=cors_rules(declared))


def test_a_url_signed_with_the_account_key_lets_a_browser_upload(container):
    """Label Studio signs upload and download URLs with the account key; the browser uses them cross-origin."""
    name = f"{FOLDER}/upload.json"
    expiry = datetime.now(timezone.utc) + timedelta(hours=1)
    token = generate_blob_sas(
        ACCOUNT_NAME,
        container.container_name,
        name,
        account_key=ACCOUNT_KEY,
        permission=BlobSasPermissions(read=True, create=True, write=True),
        expiry=expiry,
    )
    url = f"{container.url}/{name}?{token}"
    uploaded = requests.put(
        url,
        data=b'{"label": "cat"}',
        headers={"Origin": ALLOWED[1], "x-ms-blob-type": "BlockBlob", "x-ms-blob-content-type": "application/json"},
        timeout=10,
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.headers["Access-Control-Allow-Origin"] == ALLOWED[1]
    downloaded = requests.get(url, headers={"Origin": ALLOWED[0]}, timeout=10)
    assert downloaded.status_code == 200 and downloaded.content == b'{"label": "cat"}'
    assert downloaded.headers["Access-Control-Allow-Origin"] == ALLOWED[0]
    assert requests.get(f"{container.url}/{name}", timeout=10).status_code in (403, 404), "no anonymous reads"
    container.delete_blob(name)


def test_the_account_key_can_put_get_list_and_delete_in_the_folder(container):
    name = f"{FOLDER}/tasks/1.json"
    container.upload_blob(name, b"{}", overwrite=True)
    assert container.download_blob(name).readall() == b"{}"
    assert [blob.name for blob in container.list_blobs(name_starts_with=f"{FOLDER}/tasks/")] == [name]
    container.delete_blob(name)
    assert list(container.list_blobs(name_starts_with=f"{FOLDER}/tasks/")) == []


def test_azurite_is_the_pinned_one():
    """The version the tests were written against; package.json pins it for scripts/setup-tests.sh."""
    require_azurite()
    installed = json.loads((PROJECT_DIR / "node_modules" / "azurite" / "package.json").read_text())["version"]
    pinned = json.loads((PROJECT_DIR / "package.json").read_text())["devDependencies"]["azurite"]
    assert installed == pinned
