"""Label Studio on Kubernetes: the chart knowledge (`chart`, pure) and the release component (`release`).

Importing the package loads no provider SDK; `release` does (pulumi_kubernetes).
"""
