"""How an existing Cloud Storage bucket differs from the hardening GcpStorage gives a bucket it creates:
the `check` command's report on storage the stack uses or adopts. Pure; loads no cloud SDK, and
`pulumi up` does not import it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.cors import cors_differences


def hardening_differences(bucket: Mapping[str, Any], cors_origins: Sequence[str]) -> list[str]:
    """How a bucket (its Cloud Storage JSON API resource) differs from what GcpStorage declares, one line each.

    Absent fields are Cloud Storage's defaults (no versioning, no CORS, public access prevention
    inherited), so an empty mapping reports each difference.
    """
    iam = bucket.get("iamConfiguration") or {}
    differences = []
    if iam.get("publicAccessPrevention") != "enforced":
        differences.append("public access prevention is not enforced: objects could be made public")
    if not (iam.get("uniformBucketLevelAccess") or {}).get("enabled"):
        differences.append("uniform bucket-level access is off: object ACLs can grant access beside IAM")
    if not (bucket.get("versioning") or {}).get("enabled"):
        differences.append("object versioning is off: an overwritten or deleted object cannot be recovered")
    rules = bucket.get("cors") or []
    differences += cors_differences(
        ((rule.get("origin") or [], rule.get("method") or []) for rule in rules), cors_origins
    )
    return differences
