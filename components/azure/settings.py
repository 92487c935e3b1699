"""The `labelstudio:azure` settings: the object's model, the blob container and Azure name rules,
and Azure's part of the stack contract (`CLOUD`). Pure; loads no cloud SDK.
"""

from __future__ import annotations

import ipaddress
import re

from pydantic import AliasChoices, Field, field_validator

from components.settings.cloud import CloudSettings, Model, ProviderKey, RequiredSetting
from components.settings.problems import checked, problem

_AZURE_ACCOUNT = re.compile(r"[a-z0-9]{3,24}", re.ASCII)
_AZURE_CONTAINER = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}", re.ASCII)
_AZURE_RESOURCE_GROUP = re.compile(r"[-\w.()]{0,89}[-\w()]", re.ASCII)
_AZURE_LOCATION = re.compile(r"[a-z][a-z0-9]+", re.ASCII)
_AZURE_SUBNET_ID = re.compile(
    r"/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]+/providers/Microsoft\.Network/"
    r"virtualNetworks/[-\w.]+/subnets/[-\w.]+",
    re.IGNORECASE | re.ASCII,
)

AZURE_CONTAINER_RULES = (
    "3-63 characters of lowercase letters, digits and single hyphens, starting and ending with a letter or digit"
)


def azure_container_problem(name: str) -> str | None:
    """Why `name` is not a valid Azure blob container name, or None."""
    if _AZURE_CONTAINER.fullmatch(name):
        return None
    return f"is not a valid Azure blob container name; use {AZURE_CONTAINER_RULES}"


class AzureSettings(Model):
    """The `labelstudio:azure` object."""

    resource_group: str | None = Field(
        None,
        description="an existing resource group for the account; with `storage` `existing` or `adopt`, the "
        "existing account's group (required there)",
        json_schema_extra={"default_doc": "a new group named `<project>-<stack>`, protected"},
    )
    storage_account: str | None = Field(
        None,
        # `accountName` is the name the shared design gives the existing account's setting.
        validation_alias=AliasChoices("storageAccount", "accountName"),
        description="the storage account's name: 3-24 lowercase letters and digits, unique across all of Azure; "
        "with `storage` `existing` or `adopt`, the existing account's name (required there; also accepted as "
        "`accountName`)",
        json_schema_extra={"default_doc": "derived from project and stack, e.g. `labelstudioprod1f3a9c2e`"},
    )
    allowed_ip_ranges: list[str] = Field(
        default_factory=list,
        description="public IPv4 addresses or CIDR ranges allowed in",
        json_schema_extra={"default_doc": "`[]` (all networks)"},
    )
    allowed_subnet_ids: list[str] = Field(
        default_factory=list,
        description="virtual network subnet resource ids allowed in",
        json_schema_extra={"default_doc": "`[]` (all networks)"},
    )

    @field_validator("resource_group")
    @classmethod
    def _group(cls, value: str | None) -> str | None:
        if value is not None and not _AZURE_RESOURCE_GROUP.fullmatch(value):
            raise problem(
                "is not a resource group name (1-90 letters, digits, '-', '_', '.', '(' and ')', not ending with '.')"
            )
        return value

    @field_validator("storage_account")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is not None and not _AZURE_ACCOUNT.fullmatch(value):
            raise problem("is not a storage account name; use 3-24 lowercase letters and digits")
        return value

    @field_validator("allowed_ip_ranges")
    @classmethod
    def _ip_ranges(cls, values: list[str]) -> list[str]:
        for index, value in enumerate(values):
            checked(_azure_ip_rule_problem(value), value, str(index))
        return values

    @field_validator("allowed_subnet_ids")
    @classmethod
    def _subnets(cls, values: list[str]) -> list[str]:
        for index, value in enumerate(values):
            if not _AZURE_SUBNET_ID.fullmatch(value):
                raise problem(
                    "is not a subnet resource id; expected /subscriptions/<id>/resourceGroups/<group>/"
                    "providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>",
                    str(index),
                    value=value,
                )
        return values


# What Azure documents as refused in a storage account's IP rules ("Guidelines and limitations for
# the Azure Storage firewall", learn.microsoft.com): IPv6, the private ranges of RFC 1918, and the
# small /31 and /32 prefixes (listed as single addresses instead). Nothing else: documentation and
# other public ranges plan, as Azure takes them.
RFC1918 = tuple(ipaddress.IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def _azure_ip_rule_problem(value: str) -> str | None:
    """Why `value` cannot be a storage firewall IP rule, or None."""
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return "is not an IPv4 address or CIDR range, e.g. 198.51.100.7 or 198.51.100.0/24"
    if not isinstance(network, ipaddress.IPv4Network):
        return "is IPv6; storage firewall IP rules take IPv4 only"
    if "/" in value and str(network) != value:
        return f"has host bits set; the range is written {network}"
    private = next((block for block in RFC1918 if network.overlaps(block)), None)
    if private:
        return (
            f"is in {private}, a private range (RFC 1918), which storage IP rules refuse; list public "
            "addresses, and allow virtual networks with allowedSubnetIds"
        )
    if "/" in value and network.prefixlen == 32:
        return f"is a /32 range, which Azure refuses; write the address alone: {network.network_address}"
    if "/" in value and network.prefixlen == 31:
        first, second = network.network_address, network.broadcast_address
        return f"is a /31 range, which Azure refuses; list its two addresses alone: {first} and {second}"
    return None


def location_problem(location: str) -> str | None:
    """Why `location` is not an Azure location name, or None."""
    if _AZURE_LOCATION.fullmatch(location):
        return None
    return "is not an Azure location name; use the lowercase name without spaces, e.g. westeurope or eastus2"


CLOUD = CloudSettings(
    model=AzureSettings,
    field=Field(
        None,
        validate_default=True,
        description="the Azure object (cloud `azure`): see [azure.md](azure.md#the-azure-object)",
        json_schema_extra={"default_doc": "`{}`"},
    ),
    title="Azure",
    access_modes=("key",),
    keyed_access="key",
    bucket_problem=azure_container_problem,
    provider_key=ProviderKey(
        key="azure-native:location",
        field_name="azure_location",
        field=Field(
            None,
            alias="azure-native:location",
            validate_default=True,
            description="the Azure provider's location, where the storage account is created (cloud `azure`)",
            json_schema_extra={"prompt": "Azure location, e.g. westeurope (cloud azure only; else leave empty)"},
        ),
        how_to_set="run `pulumi config set azure-native:location <location>`, e.g. westeurope",
        problem=location_problem,
        environment=("ARM_LOCATION",),
    ),
    required_for_existing=(
        RequiredSetting("storage_account", "the existing storage account's name"),
        RequiredSetting("resource_group", "the existing storage account's resource group"),
    ),
    access_why="Label Studio reads Azure Blob Storage only with the storage account's shared key; "
    "it has no managed-identity or workload-identity path",
    force_destroy_problem="does not apply to cloud azure, where deleting a container always deletes its blobs "
    "(container soft delete keeps them recoverable for labelstudio:retentionDays); remove it: "
    "labelstudio:protect is what guards the account and container against deletion",
)
