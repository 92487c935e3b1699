"""`__main__.py` itself, under the SDK's mocks, for Azure: both credential styles and both targets."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.azure.component import default_resource_group_name, default_storage_account_name
from tests.conftest import assert_no_plain_text, azure_stack, problems_of, run
from tools.mockrun import Declaration, Registration, Secret, reveal

ACCOUNT = "azure-native:storage:StorageAccount"
CONTAINER = "azure-native:storage:BlobContainer"
BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
LIFECYCLE = "azure-native:storage:ManagementPolicy"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_SECRET = "kubernetes:core/v1:Secret"
STAND_IN_KEY = "stand-in-account-key=="
SUBNET = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/aks-network/providers/"
    "Microsoft.Network/virtualNetworks/aks-vnet/subnets/nodes"
)
# The stack is "test" (tests.conftest.run) in project "labelstudio" (Pulumi.yaml).
DEFAULT_ACCOUNT = default_storage_account_name("labelstudio", "test")
VALID_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
VALID_GROUP = re.compile(r"^[-\w.()]{0,89}[-\w()]$")


def azure_config(declaration: Declaration) -> dict[str, Any]:
    return declaration.one(RELEASE).inputs["values"]["global"]["persistence"]["config"]["azure"]


# -- the account and what protects its data -------------------------------------------------------


def test_the_account_is_premium_block_blob_storage_with_every_hardening_but_shared_keys_off():
    declaration = run(azure_stack())
    storage = declaration.one("labelstudio:azure:Storage")
    account = declaration.one(ACCOUNT)
    inputs = account.inputs
    assert account.parent == storage.urn and storage.parent == ""
    assert inputs["accountName"] == DEFAULT_ACCOUNT and inputs["location"] == "westeurope"
    assert inputs["sku"] == {"name": "Premium_LRS"} and inputs["kind"] == "BlockBlobStorage"
    assert inputs["allowSharedKeyAccess"] is True, "Label Studio authenticates with the shared key only"
    assert inputs["enableHttpsTrafficOnly"] is True and inputs["minimumTlsVersion"] == "TLS1_2"
    assert inputs["allowBlobPublicAccess"] is False
    assert inputs["encryption"] == {
        "keySource": "Microsoft.Storage",
        "requireInfrastructureEncryption": True,
        "services": {"blob": {"enabled": True, "keyType": "Account"}},
    }
    assert inputs["allowCrossTenantReplication"] is False and inputs["allowedCopyScope"] == "AAD"
    assert inputs["isLocalUserEnabled"] is False and inputs["isSftpEnabled"] is False
    assert inputs["publicNetworkAccess"] == "Enabled"
    assert inputs["sasPolicy"] == {"sasExpirationPeriod": "1.00:00:00", "expirationAction": "Log"}
    assert inputs["keyPolicy"] == {"keyExpirationPeriodInDays": 90}
    assert inputs["tags"]["pulumi-stack"] == "test"


def test_the_container_is_private_and_declared_through_the_management_plane():
    declaration = run(azure_stack(bucket="acme-labels"))
    container = declaration.one(CONTAINER)
    assert container.inputs["containerName"] == "acme-labels"
    assert container.inputs["publicAccess"] == "None"
    assert container.inputs["accountName"] == DEFAULT_ACCOUNT
    assert declaration.one(ACCOUNT).urn in container.dependencies


def test_blob_service_sets_cors_for_browser_uploads_versioning_and_both_soft_deletes():
    origins = ["https://label.example.com", "http://localhost:8080"]
    declaration = run(azure_stack(corsOrigins=origins, retentionDays=14))
    service = declaration.one(BLOB_SERVICE).inputs
    assert service["blobServicesName"] == "default" and service["accountName"] == DEFAULT_ACCOUNT
    assert service["cors"] == {
        "corsRules": [
            {
                "allowedOrigins": origins,
                "allowedMethods": ["GET", "PUT", "POST", "DELETE", "HEAD"],
                "allowedHeaders": ["x-ms-blob-type", "x-ms-blob-content-type", "content-type", "x-ms-*"],
                "exposedHeaders": ["x-ms-*"],
                "maxAgeInSeconds": 3600,
            }
        ]
    }
    assert service["deleteRetentionPolicy"] == {"enabled": True, "days": 14, "allowPermanentDelete": False}
    assert service["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 14}
    assert service["isVersioningEnabled"] is True


def test_previous_versions_expire_after_retention_days_only_in_the_container():
    declaration = run(azure_stack(bucket="acme-labels", retentionDays=21))
    lifecycle = declaration.one(LIFECYCLE)
    assert lifecycle.inputs["managementPolicyName"] == "default"
    (rule,) = lifecycle.inputs["policy"]["rules"]
    assert rule["enabled"] is True and rule["type"] == "Lifecycle"
    assert rule["definition"] == {
        "filters": {"blobTypes": ["blockBlob"], "prefixMatch": ["acme-labels/"]},
        "actions": {"version": {"delete": {"daysAfterCreationGreaterThan": 21}}},
    }
    assert "baseBlob" not in rule["definition"]["actions"], "current blobs are never expired"
    assert declaration.one(BLOB_SERVICE).urn in lifecycle.dependencies, "versioning is on before the rule"


def test_without_network_rules_every_network_may_reach_the_account():
    rules = run(azure_stack()).one(ACCOUNT).inputs["networkRuleSet"]
    assert rules == {"defaultAction": "Allow", "bypass": "AzureServices"}


def test_network_rules_deny_everything_but_the_given_ranges_and_subnets():
    declaration = run(
        azure_stack(azure={"allowedIpRanges": ["20.50.0.0/16", "52.1.2.3"], "allowedSubnetIds": [SUBNET]})
    )
    assert declaration.one(ACCOUNT).inputs["networkRuleSet"] == {
        "defaultAction": "Deny",
        "bypass": "AzureServices",
        "ipRules": [
            {"iPAddressOrRange": "20.50.0.0/16", "action": "Allow"},
            {"iPAddressOrRange": "52.1.2.3", "action": "Allow"},
        ],
        "virtualNetworkRules": [{"virtualNetworkResourceId": SUBNET, "action": "Allow"}],
    }


def test_a_subnet_alone_is_enough_to_close_the_account_to_other_networks():
    rules = run(azure_stack(azure={"allowedSubnetIds": [SUBNET]})).one(ACCOUNT).inputs["networkRuleSet"]
    assert rules["defaultAction"] == "Deny" and rules["ipRules"] == []


# -- resource group, names, protection --------------------------------------------------------------


def test_without_a_resource_group_one_named_after_the_stack_is_created_and_protected():
    declaration = run(azure_stack())
    group = declaration.one(RESOURCE_GROUP)
    assert group.inputs["resourceGroupName"] == "labelstudio-test"
    assert group.inputs["location"] == "westeurope"
    assert group.protect is True and group.parent == declaration.one("labelstudio:azure:Storage").urn
    for type_ in (ACCOUNT, CONTAINER, BLOB_SERVICE, LIFECYCLE):
        resource = declaration.one(type_)
        assert resource.inputs["resourceGroupName"] == "labelstudio-test"
        assert group.urn in resource.dependencies, type_
    assert declaration.outputs["resourceGroupName"] == "labelstudio-test"


def test_an_existing_resource_group_is_used_not_created():
    declaration = run(azure_stack(azure={"resourceGroup": "ml-storage"}))
    assert not declaration.of_type(RESOURCE_GROUP)
    assert {declaration.one(t).inputs["resourceGroupName"] for t in (ACCOUNT, CONTAINER, BLOB_SERVICE)} == {
        "ml-storage"
    }
    assert declaration.outputs["resourceGroupName"] == "ml-storage"


def test_a_given_account_name_is_used_as_is():
    declaration = run(azure_stack(azure={"storageAccount": "acmelabels01"}))
    assert declaration.one(ACCOUNT).inputs["accountName"] == "acmelabels01"
    assert declaration.outputs["storageAccountName"] == "acmelabels01"
    assert declaration.outputs["blobEndpoint"] == "https://acmelabels01.blob.core.windows.net/"


def protected_types(declaration: Declaration) -> set[str]:
    return {r.type for r in declaration.resources if r.protect}


def test_every_child_belongs_to_its_component_and_only_data_is_protected():
    declaration = run(azure_stack())
    components = {r.urn: r for r in declaration.resources if not r.custom}
    assert {r.type for r in components.values()} == {"labelstudio:azure:Storage", "labelstudio:kubernetes:LabelStudio"}
    for resource in declaration.resources:
        if resource.custom:
            assert resource.parent in components, resource.name
        else:
            assert resource.parent == "" and resource.protect is False
    assert protected_types(declaration) == {ACCOUNT, CONTAINER, RESOURCE_GROUP}
    assert protected_types(run(azure_stack(azure={"resourceGroup": "ml-storage"}))) == {ACCOUNT, CONTAINER}
    assert protected_types(run(azure_stack(protect=False))) == set()


# -- credentials into Kubernetes and Docker Compose -----------------------------------------------


def test_the_account_key_reaches_the_chart_through_a_secret_in_whole_pairs():
    declaration = run(azure_stack(release="ls", folder="media"))
    secret = declaration.one(K8S_SECRET)
    assert secret.inputs["metadata"]["name"] == "ls-storage-credentials"
    data = secret.inputs["stringData"]
    assert isinstance(data, Secret)
    assert reveal(data) == {"storageaccountname": DEFAULT_ACCOUNT, "storageaccountkey": STAND_IN_KEY}
    assert azure_config(declaration) == {
        "containerName": "label-media",
        "folder": "media",
        "storageAccountNameExistingSecret": "ls-storage-credentials",
        "storageAccountNameExistingSecretKey": "storageaccountname",
        "storageAccountKeyExistingSecret": "ls-storage-credentials",
        "storageAccountKeyExistingSecretKey": "storageaccountkey",
    }
    values = reveal(declaration.one(RELEASE).inputs["values"])
    assert values["global"]["persistence"]["type"] == "azure" and values["global"]["persistence"]["enabled"] is True
    assert values["app"]["serviceAccount"]["annotations"] == {}
    release = declaration.one(RELEASE)
    for waited in (secret, declaration.one(CONTAINER), declaration.one(BLOB_SERVICE)):
        assert waited.urn in release.dependencies, waited.type
    assert release.additional_secret_outputs == []
    assert_no_plain_text(declaration, [STAND_IN_KEY])


def test_inline_credentials_are_secret_values_and_the_release_keeps_its_values_secret():
    declaration = run(azure_stack(credentials="inline"))
    assert not declaration.of_type(K8S_SECRET)
    config = azure_config(declaration)
    # The key is a secret; the account's name is not (it is plain in the outputs too), so it is shown alike.
    assert isinstance(config["storageAccountKey"], Secret)
    assert config["storageAccountName"] == declaration.outputs["storageAccountName"]
    assert reveal(config) == {
        "containerName": "label-media",
        "folder": "",
        "storageAccountName": DEFAULT_ACCOUNT,
        "storageAccountKey": STAND_IN_KEY,
    }
    assert declaration.one(RELEASE).additional_secret_outputs == ["values"]
    assert_no_plain_text(declaration, [STAND_IN_KEY])


def test_compose_declares_no_cluster_and_hands_out_a_secret_env_list():
    declaration = run(azure_stack(target="compose", folder="ls/media"))
    assert not [r for r in declaration.resources if "kubernetes" in r.type]
    assert {"releaseName", "namespace", "serviceAccounts"}.isdisjoint(declaration.outputs)
    env_list = declaration.outputs["envList"]
    assert isinstance(env_list, Secret)
    assert env_list.value.splitlines() == [
        "STORAGE_TYPE=azure",
        f"STORAGE_AZURE_ACCOUNT_NAME={DEFAULT_ACCOUNT}",
        f"STORAGE_AZURE_ACCOUNT_KEY={STAND_IN_KEY}",
        "STORAGE_AZURE_CONTAINER_NAME=label-media",
        "STORAGE_AZURE_FOLDER=ls/media",
        "LABEL_STUDIO_HOST=https://label.example.com",
    ]
    assert declaration.outputs["access"] == "key"
    assert_no_plain_text(declaration, [STAND_IN_KEY])


@pytest.mark.parametrize(
    "settings",
    [{}, {"credentials": "inline"}, {"target": "compose"}, {"enterprise": True, "credentials": "inline"}],
    ids=["secret", "inline", "compose", "enterprise-inline"],
)
def test_the_account_key_is_never_outside_a_secret(settings):
    assert_no_plain_text(run(azure_stack(**settings)), [STAND_IN_KEY])


@pytest.mark.parametrize("target", ["kubernetes", "compose"])
def test_outputs_name_the_container_account_group_and_endpoint(target):
    declaration = run(azure_stack(target=target, folder="media", corsOrigins=["https://a.example.com"]))
    outputs = declaration.outputs
    assert outputs["cloud"] == "azure" and outputs["target"] == target and outputs["access"] == "key"
    assert outputs["bucketName"] == outputs["containerName"] == "label-media"
    assert outputs["storageAccountName"] == DEFAULT_ACCOUNT
    assert outputs["resourceGroupName"] == "labelstudio-test" and outputs["location"] == "westeurope"
    assert outputs["blobEndpoint"] == f"https://{DEFAULT_ACCOUNT}.blob.core.windows.net/"
    assert outputs["folder"] == "media" and outputs["corsOrigins"] == ["https://a.example.com"]


# -- the derived names --------------------------------------------------------------------------------

HOSTILE_STACKS = [
    "dev",
    "Dev",
    "d-ev",
    "my_stack.prod-2",
    "UPPER-Case_Mixed.Stack",
    "---",
    "___...",
    "a" * 100,
    "org-team-label-studio-production-eu-west-1",
]


@pytest.mark.parametrize("stack", HOSTILE_STACKS)
def test_the_default_account_name_is_valid_for_any_stack_name(stack):
    name = default_storage_account_name("labelstudio", stack)
    assert VALID_ACCOUNT.match(name), name
    assert name == default_storage_account_name("labelstudio", stack), "the name must never change under a stack"


def test_the_default_account_name_reads_like_the_stack_and_keeps_similar_stacks_apart():
    assert default_storage_account_name("labelstudio", "dev").startswith("labelstudiodev")
    assert default_storage_account_name("labelstudio", "My_Stack.1").startswith("labelstudiomys")
    names = {default_storage_account_name("labelstudio", stack) for stack in ("dev", "Dev", "d-ev", "d_ev", "de.v")}
    assert len(names) == 5, "stacks that differ only in case or punctuation must not share an account"
    assert default_storage_account_name("labelstudio", "dev") != default_storage_account_name("other", "dev")
    long_stacks = {default_storage_account_name("labelstudio", "x" * 40 + suffix) for suffix in ("a", "b")}
    assert len(long_stacks) == 2, "truncation must not make long stack names collide"


@given(project=st.text(min_size=1, max_size=120), stack=st.text(min_size=1, max_size=120))
def test_the_default_account_name_is_valid_for_any_project_and_stack(project, stack):
    assert VALID_ACCOUNT.match(default_storage_account_name(project, stack))


@pytest.mark.parametrize("stack", [*HOSTILE_STACKS, "ends-with-dots..", "x" * 95])
def test_the_default_resource_group_name_is_valid_for_any_stack_name(stack):
    name = default_resource_group_name("labelstudio", stack)
    assert VALID_GROUP.match(name) and len(name) <= 90, name
    assert name.startswith("labelstudio-")


def test_a_hostile_stack_name_still_declares_valid_names():
    declaration = run(azure_stack(), stack="Team_A.Label-Studio.PRODUCTION.westeurope.2026")
    assert VALID_ACCOUNT.match(declaration.one(ACCOUNT).inputs["accountName"])
    assert VALID_GROUP.match(declaration.one(RESOURCE_GROUP).inputs["resourceGroupName"])


# -- settings that are refused before anything is declared -------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"azure": {"storageAccount": "Label-Studio"}},
            "labelstudio:azure.storageAccount 'Label-Studio' is not a storage account name; "
            "use 3-24 lowercase letters and digits",
        ),
        ({"azure": {"storageAccount": "a" * 25}}, "is not a storage account name"),
        ({"bucket": "Label_Media"}, "labelstudio:bucket 'Label_Media' is not a valid Azure blob container name"),
        ({"bucket": "label--media"}, "single hyphens"),
        ({"bucket": "ab"}, "3-63 characters"),
        (
            {"azure-native:location": None},
            "azure-native:location is required for cloud azure; run `pulumi config set azure-native:location",
        ),
        ({"azure-native:location": "West Europe"}, "is not an Azure location name"),
        (
            {"access": "workload-identity"},
            "labelstudio:access 'workload-identity' is not an access mode for cloud azure; use key "
            "(Label Studio reads Azure Blob Storage only with the storage account's shared key",
        ),
        (
            {"azure": {"resourceGroupName": "ml"}},
            "labelstudio:azure.resourceGroupName: is not a setting; did you mean resourceGroup?",
        ),
        ({"aws": {"encryption": "kms"}}, 'labelstudio:aws {"encryption": "kms"} applies to cloud aws only'),
        ({"gcp": {"location": "EU"}}, 'labelstudio:gcp {"location": "EU"} applies to cloud gcp only'),
        (
            {"azure": {"allowedIpRanges": ["20.50.0.0/16", "10.0.0.0/8"]}},
            "labelstudio:azure.allowedIpRanges[1]: '10.0.0.0/8' is in 10.0.0.0/8, a private range (RFC 1918)",
        ),
        ({"azure": {"allowedIpRanges": ["20.50.1.7/16"]}}, "has host bits set; the range is written 20.50.0.0/16"),
        ({"azure": {"allowedIpRanges": ["20.50.1.6/31"]}}, "is a /31 range, which Azure refuses"),
        ({"azure": {"allowedIpRanges": ["2001:db8::/32"]}}, "is IPv6"),
        ({"azure": {"allowedIpRanges": ["172.20.0.0/16"]}}, "is in 172.16.0.0/12, a private range (RFC 1918)"),
        ({"azure": {"allowedIpRanges": ["192.0.0.0/2"]}}, "is in 192.168.0.0/16, a private range (RFC 1918)"),
        ({"azure": {"allowedIpRanges": ["20.50.1.7/32"]}}, "write the address alone: 20.50.1.7"),
        ({"azure": {"allowedIpRanges": ["20.50.1.6/31"]}}, "its two addresses alone: 20.50.1.6 and 20.50.1.7"),
        (
            {"azure": {"allowedSubnetIds": ["aks-vnet/nodes"]}},
            "labelstudio:azure.allowedSubnetIds[0]: 'aks-vnet/nodes'",
        ),
        ({"forceDestroy": True}, "labelstudio:forceDestroy 'true' does not apply to cloud azure"),
    ],
)
def test_each_azure_mistake_has_one_clear_message_and_nothing_is_declared(settings, expected):
    message = problems_of(azure_stack(**settings))
    assert "1 problem;" in message, message
    assert expected in message, message


def test_every_azure_mistake_is_reported_at_once():
    message = problems_of(
        azure_stack(
            bucket="Bad_Name",
            access="managed-identity",
            aws={"encryption": "kms"},
            azure={"storageAccount": "UPPER"},
        )
    )
    assert "4 problems" in message
    for key in ("labelstudio:bucket", "labelstudio:access", "labelstudio:aws", "labelstudio:azure.storageAccount"):
        assert key in message


def registrations_named(declaration: Declaration, fragment: str) -> list[Registration]:
    return [r for r in declaration.resources if fragment in r.name]


def test_credentials_setting_is_ignored_for_compose_with_a_warning():
    declaration = run(azure_stack(target="compose", credentials="inline"))
    assert any("has no effect with target compose" in warning for warning in declaration.warnings)
    assert not registrations_named(declaration, "storage-credentials")
