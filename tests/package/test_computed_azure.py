"""`labelstudio:azure:Storage` given names a program computes from other resources (issue 21).

An Azure program most often creates the resource group, the subnet or the ingress beside the
storage and hands over their outputs: the engine then sends those inputs with the URNs they came
from, and the package sees outputs. Constructed so, the storage must register what it registers
given the same values plain, each child waiting for what its inputs came from; the checks that
need a value run once it is known and fail with today's message; what must be known before the
deployment starts (the names storage adopt imports by) is refused as an output.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.azure.component import GROUP_COMPUTED_EMPTY
from tests.harness.provider_host import Plugin, running_plugin
from tools.mockrun import Registration

TOKEN = "labelstudio:azure:Storage"
SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"
GROUP_URN = "urn:pulumi:dev::labelstudio::azure-native:resources:ResourceGroup::ml"
SUFFIX_URN = "urn:pulumi:dev::labelstudio::random:index/randomString:RandomString::suffix"
SUBNET_URN = "urn:pulumi:dev::labelstudio::azure-native:network:Subnet::aks"
INGRESS_URN = "urn:pulumi:dev::labelstudio::azure-native:network:PublicIPAddress::ingress"
SUBNET_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/ml/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aks"
)
PLAIN = {
    "container": "label-media",
    "location": "westeurope",
    "corsOrigins": ["https://label.example.com"],
    "resourceGroup": "ml",
    "storageAccount": "acmels0a1b",
    "allowedIpRanges": ["81.2.69.7"],
    "allowedSubnetIds": [SUBNET_ID],
}
# Where each input a program computes comes from.
COMPUTED = {
    "resourceGroup": [GROUP_URN],
    "location": [GROUP_URN],
    "storageAccount": [SUFFIX_URN],
    "container": [SUFFIX_URN],
    "corsOrigins": [INGRESS_URN],
    "allowedIpRanges": [INGRESS_URN],
    "allowedSubnetIds": [SUBNET_URN],
}


@pytest.fixture(scope="module")
def plugin():
    with running_plugin() as running:
        yield running


def children(registrations: list[Registration], parent: str) -> dict[str, Any]:
    """What each child of `parent` is, by URN: everything the engine is told but its dependencies."""
    return {
        r.urn: (
            r.type,
            r.name,
            r.inputs,
            r.protect,
            r.retain_on_delete,
            sorted(r.additional_secret_outputs),
            sorted(r.ignore_changes),
            r.import_id,
        )
        for r in registrations
        if r.parent == parent
    }


def registered(registrations: list[Registration], type_: str) -> Registration:
    (found,) = [r for r in registrations if r.type == type_]
    return found


def outputs(response: Any) -> dict[str, Any]:
    fields = response.state.fields
    names = ("containerName", "storageAccountName", "resourceGroupName", "blobEndpoint")
    return {name: fields[name].string_value for name in names}


def refusal(plugin: Plugin, inputs: dict[str, Any], computed: dict[str, list[str]] | None = None) -> str:
    return plugin.refusal(TOKEN, "AzureStorage", inputs, input_dependencies=computed)


def test_names_computed_from_other_resources_declare_what_plain_ones_do(plugin):
    """Group, location, account, container, origins and firewall rules that depend on other resources:
    the same children with the same inputs, each waiting for the resources its inputs came from."""
    plain, plain_monitor = plugin.construct(TOKEN, "labelstudio", PLAIN)
    plain_children = children(plain_monitor.registrations, plain.urn)
    plain_outputs = outputs(plain)
    computed, monitor = plugin.construct(TOKEN, "labelstudio", PLAIN, input_dependencies=COMPUTED)
    assert computed.urn == plain.urn
    assert children(monitor.registrations, computed.urn) == plain_children
    account = registered(monitor.registrations, "azure-native:storage:StorageAccount")
    assert account.inputs["resourceGroupName"] == "ml" and account.inputs["accountName"] == "acmels0a1b"
    assert account.inputs["networkRuleSet"]["virtualNetworkRules"][0]["virtualNetworkResourceId"] == SUBNET_ID
    assert {GROUP_URN, SUFFIX_URN, SUBNET_URN, INGRESS_URN} <= set(account.dependencies)
    container = registered(monitor.registrations, "azure-native:storage:BlobContainer")
    assert container.inputs["containerName"] == "label-media" and SUFFIX_URN in container.dependencies
    policy = registered(monitor.registrations, "azure-native:storage:ManagementPolicy")
    (rule,) = policy.inputs["policy"]["rules"]
    assert rule["definition"]["filters"]["prefixMatch"] == ["label-media/"]
    assert SUFFIX_URN in policy.dependencies, "the lifecycle rule's prefix comes from the container's name"
    service = registered(monitor.registrations, "azure-native:storage:BlobServiceProperties")
    assert service.inputs["cors"]["corsRules"][0]["allowedOrigins"] == ["https://label.example.com"]
    assert INGRESS_URN in service.dependencies
    assert outputs(computed) == plain_outputs
    assert plain_outputs == {
        "containerName": "label-media",
        "storageAccountName": "acmels0a1b",
        "resourceGroupName": "ml",
        "blobEndpoint": "https://acmels0a1b.blob.core.windows.net/",
    }


def test_a_created_group_takes_a_computed_location_and_stays_created_when_another_input_is_computed(plugin):
    """No group given (or an empty one, as today): the group is created, whatever else is computed."""
    inputs = {**PLAIN, "resourceGroup": "", "storageAccount": ""}
    plain, plain_monitor = plugin.construct(TOKEN, "labelstudio", inputs)
    computed_inputs = {"location": [GROUP_URN], "container": [SUFFIX_URN], "storageAccount": [SUFFIX_URN]}
    computed, monitor = plugin.construct(TOKEN, "labelstudio", inputs, input_dependencies=computed_inputs)
    assert children(monitor.registrations, computed.urn) == children(plain_monitor.registrations, plain.urn)
    group = registered(monitor.registrations, "azure-native:resources:ResourceGroup")
    assert group.inputs["location"] == "westeurope" and GROUP_URN in group.dependencies
    account = registered(monitor.registrations, "azure-native:storage:StorageAccount")
    assert account.inputs["accountName"] == registered(plain_monitor.registrations, account.type).inputs["accountName"]
    assert account.inputs["accountName"].startswith("labelstudiodev"), "an empty account name is derived, as today"
    assert outputs(computed) == outputs(plain)


def test_existing_storage_is_read_by_computed_names(plugin):
    """storage existing reads the account (getStorageAccount, listStorageAccountKeys) once its names are known."""
    inputs = {**PLAIN, "storage": "existing"}
    plain, plain_monitor = plugin.construct(TOKEN, "labelstudio", inputs)
    computed_inputs = {"resourceGroup": [GROUP_URN], "storageAccount": [SUFFIX_URN], "container": [SUFFIX_URN]}
    computed, monitor = plugin.construct(TOKEN, "labelstudio", inputs, input_dependencies=computed_inputs)
    assert children(monitor.registrations, computed.urn) == children(plain_monitor.registrations, plain.urn)
    found = outputs(computed)
    assert found["blobEndpoint"] == "https://acmels0a1b.blob.core.windows.net/", "read with the resolved account name"
    assert found == outputs(plain)
    assert computed.state.fields["accountKey"] == plain.state.fields["accountKey"]


def test_storage_adopt_imports_by_the_same_ids_when_other_inputs_are_computed(plugin):
    inputs = {**PLAIN, "storage": "adopt", "subscriptionId": SUBSCRIPTION}
    plain, plain_monitor = plugin.construct(TOKEN, "labelstudio", inputs)
    computed_inputs = {"location": [GROUP_URN], "corsOrigins": [INGRESS_URN], "allowedSubnetIds": [SUBNET_URN]}
    computed, monitor = plugin.construct(TOKEN, "labelstudio", inputs, input_dependencies=computed_inputs)
    assert children(monitor.registrations, computed.urn) == children(plain_monitor.registrations, plain.urn)
    container = registered(monitor.registrations, "azure-native:storage:BlobContainer")
    assert container.import_id == (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/ml/providers/Microsoft.Storage/storageAccounts/acmels0a1b"
        "/blobServices/default/containers/label-media"
    )


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("container", "Bad_Container", "container 'Bad_Container' is not a valid Azure blob container name"),
        ("corsOrigins", ["https://x.example/"], "corsOrigins 'https://x.example/' is not written the way browsers"),
        ("storageAccount", "", "storageAccount: storage existing needs the existing account's name"),
        ("resourceGroup", "", "resourceGroup: storage existing needs the existing account's resource group"),
    ],
)
def test_a_computed_input_is_checked_once_known_and_fails_with_todays_message(plugin, argument, value, message):
    inputs = {**PLAIN, argument: value, "storage": "existing"}
    today = refusal(plugin, inputs)
    assert message in today
    assert refusal(plugin, inputs, {argument: [SUFFIX_URN]}) == today


def test_a_computed_group_that_resolves_empty_is_refused_rather_than_created_late(plugin):
    details = refusal(plugin, {**PLAIN, "resourceGroup": ""}, {"resourceGroup": [GROUP_URN]})
    assert f"resourceGroup: {GROUP_COMPUTED_EMPTY}" in details
    assert "came from another resource as an empty name" in details
    assert not [r for r in plugin.monitors[0].registrations if r.type.startswith("azure-native:")]


def test_a_computed_input_does_not_hide_the_problems_of_plain_ones(plugin):
    """What can be checked up front still is, before anything is registered."""
    details = refusal(
        plugin,
        {**PLAIN, "container": "Bad_Container", "storage": "adopt", "subscriptionId": "not-a-guid"},
        {"container": [SUFFIX_URN]} | {key: COMPUTED[key] for key in ("location", "corsOrigins")},
    )
    assert "subscriptionId 'not-a-guid' is not an Azure subscription id" in details
    assert "Bad_Container" not in details, "the container is not known yet, so not judged"
    assert plugin.monitors[0].registrations == []


@pytest.mark.parametrize("argument", ["container", "resourceGroup", "storageAccount"])
def test_storage_adopt_needs_the_names_it_imports_by_before_the_deployment(plugin, argument):
    inputs = {**PLAIN, "storage": "adopt", "subscriptionId": SUBSCRIPTION}
    details = refusal(plugin, inputs, {argument: [SUFFIX_URN], "location": [GROUP_URN]})
    assert f"{argument}: storage adopt imports the account, its blob service and the container by ARM ids" in details
    assert "must be known before the deployment starts; give it as a plain string" in details
    others = {"container", "resourceGroup", "storageAccount"} - {argument}
    assert not any(f"{other}: storage adopt" in details for other in others), "only the computed one is named"
    assert not [r for r in plugin.monitors[0].registrations if r.type.startswith("azure-native:")]


def test_the_schema_says_which_inputs_take_outputs_and_which_stay_plain(plugin):
    inputs = plugin.schema()["resources"][TOKEN]["inputProperties"]
    for name in COMPUTED:
        assert not inputs[name].get("plain"), f"{name} takes another resource's output"
        assert "another resource" in " ".join(inputs[name]["description"].split()), name
    for name in ("storage", "protect", "manageCors", "subscriptionId", "trustedWorkloads"):
        assert inputs[name].get("plain") is True, name
        assert "Plain:" in inputs[name]["description"], f"{name}: the schema says why it stays plain"
