"""Cloud Storage for Label Studio: the GcpStorage component and its stack mapping.

Importing the package loads no provider SDK; `component` does (pulumi_gcp).
"""
