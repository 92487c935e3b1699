"""The plan's stand-ins for what Azure assigns: resource ids, endpoints, the account key.

Nothing is contacted; every value is made up from the resource's name (components/stand_ins.py).
Names come from the `<noun>Name` input, as ARM returns them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from components.stand_ins import Answer, auto_name

PROVIDER = "azure-native"
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"
ACCOUNT_KEY = "stand-in-account-key=="


def stack_subscription(config: dict[str, str]) -> tuple[str, str] | None:
    """(subscription id, the setting naming it) when the stack names its subscription, else None."""
    if re.fullmatch(r"[0-9a-fA-F-]{36}", config.get("azure-native:subscriptionId") or ""):
        return config["azure-native:subscriptionId"], "azure-native:subscriptionId"
    try:
        subnets = json.loads(config.get("labelstudio:azure") or "{}").get("allowedSubnetIds") or []
    except (ValueError, AttributeError):
        return None
    for subnet in subnets if isinstance(subnets, list) else ():
        found = re.match(r"/subscriptions/([0-9a-fA-F-]{36})/", subnet) if isinstance(subnet, str) else None
        if found:
            return found.group(1), "labelstudio:azure.allowedSubnetIds"
    return None


class StandIns:
    def __init__(self, config: dict[str, str]):
        self.location = config.get("azure-native:location", "westeurope")
        found = stack_subscription(config)
        self.subscription = f"/subscriptions/{found[0]}" if found else SUBSCRIPTION
        self.note = (
            f"Azure ids are in subscription {found[0]}, from {found[1]}"
            if found
            else f"Azure subscription {SUBSCRIPTION.rsplit('/', 1)[-1]} in ids is a stand-in: the stack names "
            "none (azure-native:subscriptionId)"
        )

    def new_resource(self, kind: str, name: str, inputs: dict[str, Any]) -> Answer | None:
        auto = auto_name(name)
        group = inputs.get("resourceGroupName") or "stand-in-group"
        account = inputs.get("accountName") or auto.replace("-", "")[:24]
        account_id = f"{self.subscription}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/{account}"
        if kind == "azure-native:resources:ResourceGroup":
            group_name = inputs.get("resourceGroupName") or auto
            return f"{self.subscription}/resourceGroups/{group_name}", {
                "name": group_name,
                "location": inputs.get("location") or self.location,
            }
        if kind == "azure-native:storage:StorageAccount":
            endpoints = {
                service: f"https://{account}.{service}.core.windows.net/"
                for service in ("blob", "dfs", "file", "queue", "table", "web")
            }
            return account_id, {
                "name": account,
                "location": inputs.get("location") or self.location,
                "primaryEndpoints": endpoints,
                "provisioningState": "Succeeded",
            }
        if kind == "azure-native:storage:BlobContainer":
            container = inputs.get("containerName") or auto
            return f"{account_id}/blobServices/default/containers/{container}", {"name": container}
        if kind == "azure-native:storage:BlobServiceProperties":
            return f"{account_id}/blobServices/default", {"name": "default"}
        if kind == "azure-native:storage:ManagementPolicy":
            return f"{account_id}/managementPolicies/default", {"name": "default"}
        return f"{self.subscription}/stand-in/{auto}", {"name": auto}

    def call(self, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
        if token == "azure-native:storage:listStorageAccountKeys":
            return {"keys": [{"keyName": "key1", "value": ACCOUNT_KEY, "permissions": "FULL"}]}
        if token == "azure-native:storage:getStorageAccount":
            # An existing account read as is: a general-purpose v2 account as the portal creates it.
            account, group = args.get("accountName"), args.get("resourceGroupName")
            account_id = (
                f"{self.subscription}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/{account}"
            )
            return {
                "id": account_id,
                "name": account,
                "location": self.location,
                "kind": "StorageV2",
                "sku": {"name": "Standard_LRS", "tier": "Standard"},
                "primaryEndpoints": {"blob": f"https://{account}.blob.core.windows.net/"},
                "allowBlobPublicAccess": False,
                "enableHttpsTrafficOnly": True,
                "minimumTlsVersion": "TLS1_2",
            }
        return None

    def stack_output(self, setting: str) -> Any | None:
        return None
