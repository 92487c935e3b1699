"""Azure Blob Storage for Label Studio: the AzureStorage component and its stack mapping.

Importing the package loads no provider SDK; `component` does (pulumi_azure_native).
"""

from components import lazy_exports

__all__ = ["AzureStorage", "AzureStorageArgs"]
__getattr__ = lazy_exports(__name__, "component", __all__)
