"""Label Studio on Kubernetes: the chart knowledge (`chart`, pure) and the release component (`release`).

Importing the package loads no provider SDK; `release` does (pulumi_kubernetes).
"""

from components import lazy_exports

__all__ = ["LabelStudioRelease", "LabelStudioReleaseArgs"]
__getattr__ = lazy_exports(__name__, "release", __all__)
