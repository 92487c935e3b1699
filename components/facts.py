"""The one seam between the clouds and the shared parts.

Every storage component, whatever cloud and access mode, ends in the same few facts Label
Studio needs. The Kubernetes release and the Docker Compose outputs consume only these, so
they never learn which cloud they serve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

# What every cloud's CORS rule allows: Label Studio's browser reads, uploads and deletes.
CORS_METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"]
CORS_MAX_AGE_SECONDS = 3600


def storage_tags(stack: str) -> dict[str, str]:
    """The tags (labels on Google Cloud) every storage resource carries."""
    return {"app": "label-studio", "pulumi-stack": stack, "managed-by": "pulumi"}


@dataclass(frozen=True)
class Credential:
    """A secret Label Studio needs, and where each consumer expects it."""

    chart_key: str  # key under global.persistence.config.<type>, e.g. "accessKey"
    secret_key: str  # key inside the Kubernetes Secret we create, e.g. "accesskey"
    value: pulumi.Output[str]  # always a Pulumi secret


@dataclass(frozen=True)
class StorageFacts:
    persistence_type: str  # "s3", "gcs" or "azure": global.persistence.type
    persistence_config: Mapping[str, Any]  # non-secret keys of global.persistence.config.<type>
    credentials: Sequence[Credential] = ()
    service_account_annotations: Mapping[str, Any] = field(default_factory=dict)
    # Variables Label Studio needs that the chart has no persistence key for (non-secret), given to
    # every container and written to env.list, e.g. the S3 signature version.
    environment: Mapping[str, Any] = field(default_factory=dict)
    env_list: Sequence[tuple[str, Any]] = ()  # Docker Compose env.list lines, in order
    compose_outputs: Mapping[str, Any] = field(default_factory=dict)  # extra secret outputs for compose
    exports: Mapping[str, Any] = field(default_factory=dict)  # cloud-specific stack outputs
    ready: Sequence[pulumi.Resource] = ()  # what must exist before Label Studio starts
