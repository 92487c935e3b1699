"""The pod as the platform sees it: the identity every keyless stand-in decides on."""

from __future__ import annotations

from dataclasses import dataclass

from tools.mockrun import Declaration, reveal


@dataclass(frozen=True)
class Pod:
    """Who a pod is to the platform: its namespace and Kubernetes service account, with its annotations."""

    namespace: str
    service_account: str
    annotations: dict[str, str]


def declared_pod(declaration: Declaration) -> Pod:
    """The Label Studio app pod of the declared Helm release (the chart creates its service account
    with the name and annotations in `app.serviceAccount`)."""
    release = reveal(declaration.one("kubernetes:helm.sh/v3:Release").inputs)
    account = release["values"]["app"]["serviceAccount"]
    return Pod(release["namespace"], account["name"], dict(account.get("annotations") or {}))
