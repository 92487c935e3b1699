"""Cloud Storage for Label Studio: the GcpStorage component and its stack mapping.

Importing the package loads no provider SDK; `component` does (pulumi_gcp).
"""

from components import lazy_exports

__all__ = ["GcpStorage", "GcpStorageArgs"]
__getattr__ = lazy_exports(__name__, "component", __all__)
