"""Existing Cloud Storage buckets, as the program uses or adopts one: the id Pulumi imports it by.
Pure; loads no cloud SDK.
"""

from __future__ import annotations


def bucket_import_id(project: str, bucket: str) -> str:
    """The id gcp.storage.Bucket is imported by: `{project}/{bucket}`, one of the provider's documented forms.

    The project part keeps the import in the stack's project whatever the provider's default is.
    """
    return f"{project}/{bucket}"
