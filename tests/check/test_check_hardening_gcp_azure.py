"""`check`'s warnings for existing storage on Google Cloud and Azure, read from the emulators: a bucket
or account left at the cloud's defaults is reported, one hardened as this project does is not."""

from __future__ import annotations

import uuid

from azure.storage.blob import BlobServiceClient, CorsRule, RetentionPolicy

from components.azure.check import AzureBlobCheck
from components.gcp.check import GcsCheck
from tests.emulators.test_azurite import ACCOUNT_KEY, ACCOUNT_NAME, azurite  # noqa: F401 - azurite is a fixture
from tests.emulators.test_gcs_emulator import client, emulator  # noqa: F401 - pytest fixtures
from tools.check import hardening_warnings

ORIGIN = "https://label.example.com"
METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"]


def test_a_gcs_bucket_at_its_defaults_gets_every_warning_and_a_hardened_one_none(client, emulator):  # noqa: F811
    name = f"existing-{uuid.uuid4().hex[:8]}"
    bucket = client.create_bucket(name)
    check = GcsCheck(name, "test-project", None, endpoint_url=emulator)
    warnings = check.hardening_warnings([ORIGIN])
    assert any("public access prevention" in w for w in warnings)
    assert any("versioning is off" in w for w in warnings)
    assert any(f"CORS does not let {ORIGIN}" in w for w in warnings)

    bucket.versioning_enabled = True
    bucket.cors = [{"origin": [ORIGIN], "method": METHODS}]
    bucket.iam_configuration.uniform_bucket_level_access_enabled = True
    bucket.iam_configuration.public_access_prevention = "enforced"
    bucket.patch()
    assert check.hardening_warnings([ORIGIN]) == []


def test_an_azure_container_without_soft_delete_or_cors_gets_warnings(azurite):  # noqa: F811
    service = BlobServiceClient(azurite, credential={"account_name": ACCOUNT_NAME, "account_key": ACCOUNT_KEY})
    name = f"existing-{uuid.uuid4().hex[:8]}"
    container = service.create_container(name, public_access="blob")
    try:
        service.set_service_properties(cors=[], delete_retention_policy=RetentionPolicy(enabled=False))
        check = AzureBlobCheck(ACCOUNT_NAME, ACCOUNT_KEY, name, azurite)
        warnings = check.hardening_warnings([ORIGIN])
        assert warnings[0] == f"container {name} allows anonymous public read access"
        assert any("soft delete is off" in w for w in warnings)
        assert any(f"CORS does not let {ORIGIN}" in w for w in warnings)

        container.set_container_access_policy(signed_identifiers={}, public_access=None)
        service.set_service_properties(
            cors=[CorsRule([ORIGIN], METHODS)], delete_retention_policy=RetentionPolicy(enabled=True, days=7)
        )
        warnings = check.hardening_warnings([ORIGIN])
        assert [w for w in warnings if "plain HTTP" not in w] == []  # Azurite serves HTTP
    finally:
        service.set_service_properties(cors=[])
        container.delete_container()


def test_check_prints_them_only_for_storage_it_did_not_create(azurite):  # noqa: F811
    service = BlobServiceClient(azurite, credential={"account_name": ACCOUNT_NAME, "account_key": ACCOUNT_KEY})
    name = f"existing-{uuid.uuid4().hex[:8]}"
    container = service.create_container(name, public_access="container")
    try:
        check = AzureBlobCheck(ACCOUNT_NAME, ACCOUNT_KEY, name, azurite)
        assert f"container {name} allows anonymous public read access" in hardening_warnings(
            check, {"storage": "existing"}
        )
        assert hardening_warnings(check, {"storage": "create"}) == []
    finally:
        container.delete_container()


OLD = "https://old-host.example.com"
LOCAL = "http://localhost:8080"


def cors_lines(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "CORS" in w]


def test_check_compares_the_buckets_cors_with_the_stacks_own_origins_on_gcs(client, emulator):  # noqa: F811
    name = f"existing-{uuid.uuid4().hex[:8]}"
    bucket = client.create_bucket(name)
    bucket.cors = [{"origin": [ORIGIN, OLD], "method": METHODS}]
    bucket.patch()
    check = GcsCheck(name, "test-project", None, endpoint_url=emulator)
    outputs = {"storage": "adopt", "corsOrigins": [ORIGIN, LOCAL]}
    warned = cors_lines(hardening_warnings(check, outputs))
    assert len(warned) == 2, warned
    assert warned[0].startswith(f"CORS lets {OLD} use the storage") and ORIGIN not in warned[0]
    assert warned[1].startswith(f"CORS does not let {LOCAL} use")

    bucket.cors = [{"origin": [ORIGIN, LOCAL], "method": METHODS}]
    bucket.patch()
    assert cors_lines(hardening_warnings(check, outputs)) == []


def test_check_compares_the_accounts_cors_with_the_stacks_own_origins_on_azure(azurite):  # noqa: F811
    service = BlobServiceClient(azurite, credential={"account_name": ACCOUNT_NAME, "account_key": ACCOUNT_KEY})
    name = f"existing-{uuid.uuid4().hex[:8]}"
    container = service.create_container(name)
    try:
        check = AzureBlobCheck(ACCOUNT_NAME, ACCOUNT_KEY, name, azurite)
        outputs = {"storage": "existing", "corsOrigins": [ORIGIN, LOCAL]}
        service.set_service_properties(cors=[CorsRule([ORIGIN, OLD], METHODS)])
        warned = cors_lines(hardening_warnings(check, outputs))
        assert len(warned) == 2, warned
        assert warned[0].startswith(f"CORS lets {OLD} use the storage") and ORIGIN not in warned[0]
        assert warned[1].startswith(f"CORS does not let {LOCAL} use")

        service.set_service_properties(cors=[CorsRule(["*"], METHODS)])
        [any_origin] = cors_lines(hardening_warnings(check, outputs))
        assert any_origin.startswith("CORS lets any origin ('*') use the storage from browsers")

        service.set_service_properties(cors=[CorsRule([ORIGIN, LOCAL], METHODS)])
        assert cors_lines(hardening_warnings(check, outputs)) == []
    finally:
        service.set_service_properties(cors=[])
        container.delete_container()
