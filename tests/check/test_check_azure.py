"""The `check` command against Azurite: a working container, one whose CORS is wrong, a bad key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient, CorsRule

from tests.conftest import azure_stack, run
from tests.emulators.test_azurite import ACCOUNT_KEY, ACCOUNT_NAME, azurite, cors_rules  # noqa: F401 - azurite is a fixture
from tests.harness.check_runner import rows, run_check
from tools.mockrun import Declaration, reveal

ORIGINS = ["https://label.example.com", "http://localhost:8080"]


@pytest.fixture(scope="module")
def declared() -> Declaration:
    return run(azure_stack(target="compose", folder="media", corsOrigins=ORIGINS))


def outputs_for_azurite(declaration: Declaration, endpoint: str, key: str = ACCOUNT_KEY) -> dict[str, Any]:
    """The stack's outputs as `pulumi stack output --json --show-secrets` gives them, for Azurite's account."""
    outputs = reveal(declaration.outputs)
    env = dict(line.split("=", 1) for line in outputs["envList"].splitlines())
    env["STORAGE_AZURE_ACCOUNT_NAME"], env["STORAGE_AZURE_ACCOUNT_KEY"] = ACCOUNT_NAME, key
    outputs["envList"] = "".join(f"{name}={value}\n" for name, value in env.items())
    outputs["storageAccountName"], outputs["blobEndpoint"] = ACCOUNT_NAME, endpoint
    return outputs


@pytest.fixture
def service(azurite: str, declared: Declaration) -> Iterator[BlobServiceClient]:  # noqa: F811 - pytest fixture
    client = BlobServiceClient(azurite, credential={"account_name": ACCOUNT_NAME, "account_key": ACCOUNT_KEY})
    client.set_service_properties(cors=cors_rules(declared))
    container = client.create_container(reveal(declared.outputs)["containerName"])
    yield client
    container.delete_container()


def test_a_correct_container_passes_every_check_and_is_left_clean(tmp_path, declared, azurite, service):  # noqa: F811
    result = run_check(tmp_path, outputs_for_azurite(declared, azurite))
    assert result.returncode == 0, result.stdout + result.stderr
    table = rows(result)
    assert set(table.values()) == {"PASS"} and len(table) == 11
    container = service.get_container_client(reveal(declared.outputs)["containerName"])
    assert list(container.list_blobs()) == []
    assert ACCOUNT_KEY not in result.stdout + result.stderr


def test_wrong_cors_fails_the_browser_checks(tmp_path, declared, azurite, service):  # noqa: F811
    service.set_service_properties(cors=[CorsRule(["https://old-host.example.com"], ["GET", "PUT"])])
    result = run_check(tmp_path, outputs_for_azurite(declared, azurite))
    assert result.returncode == 1
    table = rows(result)
    for origin in ORIGINS:
        assert table[f"CORS upload preflight from {origin}"] == "FAIL"
    assert table["delete the test object"] == "PASS"
    assert "storage is NOT ready" in result.stdout


def test_a_wrong_account_key_is_refused_and_reported(tmp_path, declared, azurite, service):  # noqa: F811
    wrong = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ=="
    result = run_check(tmp_path, outputs_for_azurite(declared, azurite, key=wrong))
    assert result.returncode == 1
    table = rows(result)
    assert table[next(name for name in table if name.startswith("put "))] == "FAIL"
    assert "failed to authenticate" in result.stdout
    assert table["signed GET URL"] == "FAIL"
