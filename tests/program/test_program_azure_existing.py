"""Existing Azure storage accounts under the SDK's mocks: used as is (nothing of storage declared, the key
read as a secret) and adopted (account, blob service and container imported by their ARM ids, protected,
never replaced)."""

from __future__ import annotations

from components.azure.stand_ins import ACCOUNT_KEY
from tests.conftest import assert_no_plain_text, azure_stack, run
from tests.program.test_program_azure import ACCOUNT, BLOB_SERVICE, CONTAINER, LIFECYCLE, RESOURCE_GROUP
from tools.mockrun import declare

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
EXISTING = {"storageAccount": "acmemedia", "resourceGroup": "media-rg"}
ACCOUNT_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/media-rg/providers/Microsoft.Storage/storageAccounts/acmemedia"
)
STORAGE_TYPES = (ACCOUNT, BLOB_SERVICE, CONTAINER, LIFECYCLE, RESOURCE_GROUP)


def adopt_stack(**settings):
    options = {"storage": "adopt", "folder": "media", "azure": EXISTING, "azure-native:subscriptionId": SUBSCRIPTION}
    return azure_stack(**{**options, **settings})


def test_existing_declares_nothing_of_storage_and_reads_the_key_as_a_secret():
    declaration = run(azure_stack(storage="existing", folder="media", azure=EXISTING, target="compose"))
    assert [r.type for r in declaration.resources if r.type in STORAGE_TYPES] == []
    assert declaration.imports == []
    assert declaration.outputs["storage"] == "existing"
    assert declaration.outputs["storageAccountName"] == "acmemedia"
    assert declaration.outputs["blobEndpoint"] == "https://acmemedia.blob.core.windows.net/"
    assert_no_plain_text(declaration, [ACCOUNT_KEY])


def test_adopt_imports_account_blob_service_and_container_by_their_arm_ids_under_the_created_urns():
    created = run(azure_stack(folder="media", azure=EXISTING))
    adopted = run(adopt_stack(protect=False))
    ids = {r.type: r.import_id for r in adopted.imports}
    assert ids == {
        ACCOUNT: ACCOUNT_ID,
        BLOB_SERVICE: f"{ACCOUNT_ID}/blobServices/default",
        CONTAINER: f"{ACCOUNT_ID}/blobServices/default/containers/label-media",
    }
    for kind in (ACCOUNT, BLOB_SERVICE, CONTAINER):
        assert adopted.one(kind).urn == created.one(kind).urn
    assert adopted.one(ACCOUNT).protect and adopted.one(CONTAINER).protect
    assert adopted.of_type(LIFECYCLE) == [] and adopted.of_type(RESOURCE_GROUP) == []


def test_adopt_keeps_what_only_a_replacement_could_change_and_hardens_the_rest():
    account = run(adopt_stack()).one(ACCOUNT).inputs
    # The stand-in's existing account: Standard_LRS StorageV2 in westeurope.
    assert account["sku"] == {"name": "Standard_LRS"} and account["kind"] == "StorageV2"
    for create_only in ("encryption", "isHnsEnabled", "enableNfsV3", "tags", "publicNetworkAccess", "networkRuleSet"):
        assert create_only not in account
    assert account["enableHttpsTrafficOnly"] is True
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["allowBlobPublicAccess"] is False


def test_adopt_says_the_account_keeps_its_sku():
    assert any("Standard_LRS StorageV2, kept as it is" in w for w in run(adopt_stack()).warnings)


def test_adopt_leaves_cors_alone_unless_told():
    service = run(adopt_stack()).one(BLOB_SERVICE)
    assert "cors" not in service.inputs and service.ignore_changes == ["cors"]
    assert service.inputs["isVersioningEnabled"] is True
    managed = run(adopt_stack(manageCors=True)).one(BLOB_SERVICE)
    assert managed.inputs["cors"]["corsRules"][0]["allowedOrigins"] == ["https://label.example.com"]
    assert managed.ignore_changes == []


def test_adopt_without_a_subscription_id_gets_one_message_naming_the_setting():
    error = declare(adopt_stack(**{"azure-native:subscriptionId": None})).error
    assert error is not None and "azure-native:subscriptionId" in error and "Traceback" not in error


def test_existing_without_the_account_names_the_missing_setting():
    error = declare(azure_stack(storage="existing", azure={"resourceGroup": "media-rg"})).error
    assert error is not None and "storageAccount" in error and "labelstudio:storage existing" in error


def test_the_account_may_be_named_account_name_as_in_the_shared_design():
    declaration = run(
        azure_stack(storage="existing", folder="media", azure={"accountName": "acmemedia", "resourceGroup": "media-rg"})
    )
    assert declaration.outputs["storageAccountName"] == "acmemedia"
