"""What every cloud's storage declares alike: the CORS rule Label Studio's browsers need, and the
tags (labels on Google Cloud) on every resource. Pure."""

from __future__ import annotations

# What every cloud's CORS rule allows: Label Studio's browser reads, uploads and deletes.
CORS_METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"]
CORS_MAX_AGE_SECONDS = 3600


def storage_tags(stack: str) -> dict[str, str]:
    """The tags (labels on Google Cloud) every storage resource carries."""
    return {"app": "label-studio", "pulumi-stack": stack, "managed-by": "pulumi"}
