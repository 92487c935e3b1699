"""The pod as the platform sees it: the identity every keyless stand-in decides on.

It comes from the chart rendered offline with the declared values (tests/harness/pod.py): the app
Deployment's service account, its namespace, and the annotations on that ServiceAccount, with the
app container's environment beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.harness.pod import app_pod
from tools.mockrun import Declaration


@dataclass(frozen=True)
class Pod:
    """Who a pod is to the platform: its namespace and Kubernetes service account, with its annotations."""

    namespace: str
    service_account: str
    annotations: dict[str, str]


@dataclass(frozen=True)
class RenderedPod:
    """The app pod of the rendered chart: who it is, and the environment its container starts with."""

    pod: Pod
    environment: dict[str, str]


def rendered_pod(declaration: Declaration, root: Path) -> RenderedPod:
    """The Label Studio app pod of the declared Helm release, as the chart renders it."""
    rendered = app_pod(declaration, root)
    pod = Pod(rendered.namespace, rendered.service_account, rendered.service_account_annotations)
    return RenderedPod(pod, rendered.environment)
