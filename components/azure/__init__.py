"""Azure Blob Storage for Label Studio: the AzureStorage component and its stack mapping.

Importing the package loads no provider SDK; `component` does (pulumi_azure_native).
"""
