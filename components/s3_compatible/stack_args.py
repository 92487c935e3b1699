"""The stack's settings as S3CompatibleStorage's arguments (its part of components/settings/component_args.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.facts import CredentialsSecretRef, TrustedAuthorityRef, TrustedWorkloads
from components.s3_compatible.settings import S3CompatibleSettings
from components.settings.model import Settings

if TYPE_CHECKING:
    from components.s3_compatible.component import S3CompatibleStorageArgs


def storage_args(settings: Settings, workloads: TrustedWorkloads) -> S3CompatibleStorageArgs:
    """The server owns the bucket and its users: nothing of `workloads` is trusted by any cloud IAM."""
    server: S3CompatibleSettings = settings.cloud_object
    assert server is not None and server.endpoint_url is not None
    args: S3CompatibleStorageArgs = {
        "endpoint_url": server.endpoint_url,
        "bucket": settings.bucket,
        "cors_origins": list(settings.cors_origins),
        "region": server.region,
        "folder": settings.folder,
    }
    authority = server.ca_certificate.source if server.ca_certificate else None
    if server.ca_certificate and authority:
        kind, name = authority
        args["trusted_authority"] = TrustedAuthorityRef(kind=kind, name=name, key=server.ca_certificate.key)
    if server.credentials_secret:
        secret = server.credentials_secret
        args["credentials_secret"] = CredentialsSecretRef(
            name=secret.name,
            keys={"access_key_id": secret.access_key_id_key, "secret_access_key": secret.secret_access_key_key},
        )
    else:
        assert server.access_key_id is not None and server.secret_access_key is not None
        args["access_key_id"] = server.access_key_id
        args["secret_access_key"] = server.secret_access_key
    return args
