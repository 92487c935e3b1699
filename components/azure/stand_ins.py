"""The plan's stand-ins for what Azure assigns: resource ids, endpoints, the account key.

Nothing is contacted; every value is made up from the resource's name (components/stand_ins.py).
Names come from the `<noun>Name` input, as ARM returns them.
"""

from __future__ import annotations

from typing import Any

from components.stand_ins import Answer, auto_name

PROVIDER = "azure-native"
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"
ACCOUNT_KEY = "stand-in-account-key=="


class StandIns:
    def __init__(self, config: dict[str, str]):
        self.location = config.get("azure-native:location", "westeurope")

    def new_resource(self, kind: str, name: str, inputs: dict[str, Any]) -> Answer | None:
        auto = auto_name(name)
        group = inputs.get("resourceGroupName") or "stand-in-group"
        account = inputs.get("accountName") or auto.replace("-", "")[:24]
        account_id = f"{SUBSCRIPTION}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/{account}"
        if kind == "azure-native:resources:ResourceGroup":
            group_name = inputs.get("resourceGroupName") or auto
            return f"{SUBSCRIPTION}/resourceGroups/{group_name}", {
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
        return f"{SUBSCRIPTION}/stand-in/{auto}", {"name": auto}

    def call(self, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
        if token == "azure-native:storage:listStorageAccountKeys":
            return {"keys": [{"keyName": "key1", "value": ACCOUNT_KEY, "permissions": "FULL"}]}
        if token == "azure-native:storage:getStorageAccount":
            # An existing account read as is: a general-purpose v2 account as the portal creates it.
            account, group = args.get("accountName"), args.get("resourceGroupName")
            return {
                "id": f"{SUBSCRIPTION}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/{account}",
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
