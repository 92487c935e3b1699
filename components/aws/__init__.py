"""S3 storage for Label Studio: the AwsStorage component, its policy documents and its stack mapping.

Importing the package loads no provider SDK; `component` does (pulumi_aws).
"""

from components import lazy_exports

__all__ = ["AwsStorage", "AwsStorageArgs"]
__getattr__ = lazy_exports(__name__, "component", __all__)
