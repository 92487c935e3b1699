"""The `labelstudio:s3-compatible` settings: a bucket on an S3-compatible server (MinIO, Ceph RGW, ...)
that the server's own administrators run. The stack declares no storage and no cloud IAM: the
server owns its buckets and users, so the stack only wires Label Studio to them. Pure; loads no
cloud SDK.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from components.names import DNS_LABEL, url_may_hold_password, web_address
from components.settings.cloud import CloudSettings, Model
from components.settings.problems import problem

CLOUD_NAME = "s3-compatible"
_REGION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}", re.ASCII)
_SECRET_KEY_NAME = re.compile(r"[-._a-zA-Z0-9]{1,253}", re.ASCII)
# Access keys go into env.list lines and Secret data unquoted: printable ASCII without spaces.
_ACCESS_KEY = re.compile(r"[!-~]{1,512}", re.ASCII)
BUCKET_RULES = "3-63 letters, digits, dots, hyphens and underscores, starting and ending with a letter or digit"
ENDPOINT_EXAMPLE = "e.g. https://minio.example.com or http://minio.minio.svc.cluster.local:9000"
# How a key given in plain text is set as a secret instead.
_SET_SECRET = "pulumi config set --secret --path 'labelstudio:s3-compatible.<key>' <value>"
_ACCESS = "IRSA, Pod Identity and the node role are AWS IAM, which an S3-compatible server does not know"


def bucket_problem(name: str) -> str | None:
    """Why `name` is not a bucket an S3-compatible server could hold, addressed path-style, or None.

    Looser than S3's rule: Ceph and older MinIO releases keep buckets with capitals and underscores.
    """
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]", name, re.ASCII) and ".." not in name:
        return None
    return f"is not a bucket name an S3-compatible server accepts; use {BUCKET_RULES}"


def endpoint_problem(url: str) -> str | None:
    """Why `url` is not the address of an S3-compatible server, or None. Never repeats the URL."""
    scheme, _, rest = url.partition("://")
    if scheme not in ("http", "https") or not rest:
        return f"is not an http(s) URL; write http(s)://host[:port], {ENDPOINT_EXAMPLE}"
    if "@" in rest.split("/")[0]:
        return (
            "carries credentials (user:password@ before the host); remove them: the keys are accessKeyId and "
            "secretAccessKey, or credentialsSecret"
        )
    address = web_address(url)
    if isinstance(address, str):
        return f"{address} ({ENDPOINT_EXAMPLE})"
    parts, _ = address
    if parts.path not in ("", "/") or parts.query or parts.fragment or url.endswith(("?", "#")):
        return (
            "must be the server's address only, scheme://host[:port], with no path, query or fragment "
            f"(the bucket is labelstudio:bucket; {ENDPOINT_EXAMPLE})"
        )
    return None


# nginx in Label Studio's image fetches every stored file itself, resolving the storage host at
# request time through its `resolver` line: plain DNS, without the pod's search list
# (../shared/labelstudio-image/README.md). On Kubernetes a name only the search list completes
# lets uploads work (Label Studio's S3 client resolves through libc) while every file fails to load.
_FULL_NAME = "http(s)://<service>.<namespace>.svc.cluster.local[:port], or a name public DNS resolves"
_WHY_NGINX = (
    "nginx in Label Studio's image fetches every stored file from this host itself and resolves it through "
    "DNS without the pod's search list, so uploads would work and every file would fail to load (502)"
)


def _endpoint_host(url: str) -> str | None:
    parts = urlsplit(url)
    return parts.hostname.rstrip(".").lower() if parts.hostname else None


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def cluster_name_problem(url: str, target: str | None) -> str | None:
    """Why the endpoint's host cannot be resolved by nginx in the pod, for sure, or None.

    Refused on Kubernetes only, and only where no other reading exists: a single label (`minio`:
    the search list completes it; `localhost` is the pod itself, which nginx would ask DNS for) or
    a name ending in `.svc` or `.svc.cluster` (a service, written without the cluster domain). On
    Docker Compose nginx asks Docker's embedded DNS (127.0.0.11, which 10-configure-nginx.sh takes
    from /etc/resolv.conf), which answers service names as written. IP addresses need no DNS.
    """
    host = _endpoint_host(url)
    if target != "kubernetes" or host is None or _is_address(host):
        return None
    if host == "localhost":
        return (
            f"names 'localhost', which nginx in Label Studio's image asks DNS for (no /etc/hosts), and which in a "
            f"pod is the pod itself, so every file would fail to load (502); write 127.0.0.1 for a server in the pod, "
            f"or the server's full name, {_FULL_NAME}"
        )
    labels = host.split(".")
    if len(labels) == 1 or labels[-1] == "svc" or labels[-2:] == ["svc", "cluster"]:
        return (
            f"names the host {host!r}, which only the pod's search list completes; {_WHY_NGINX}; write the "
            f"full name, {_FULL_NAME} (see docs/troubleshooting.md)"
        )
    return None


def cluster_name_warnings(value: S3CompatibleSettings, target: str) -> list[str]:
    """A two-label host (`minio.minio`) is `<service>.<namespace>` to the search list, or a name
    in a private zone the cluster's DNS forwards (`minio.corp`): nginx resolves only the second."""
    host = _endpoint_host(value.endpoint_url or "")
    if target != "kubernetes" or host is None or _is_address(host) or len(host.split(".")) != 2:
        return []
    return [
        f"labelstudio:s3-compatible.endpointUrl names the host {host!r}: if that is <service>.<namespace>, "
        f"{_WHY_NGINX}; write {_FULL_NAME}. If {host!r} is a name your DNS resolves as written, ignore this "
        "warning"
    ]


class CredentialsSecret(Model):
    """An existing Kubernetes Secret in the release's namespace that holds the server's access keys."""

    name: str = Field(description="the Secret's name")
    access_key_id_key: str = Field("accesskey", description="the key that holds the access key id")
    secret_access_key_key: str = Field("secretkey", description="the key that holds the secret access key")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        labels = value.split(".")
        if len(value) > 253 or not all(DNS_LABEL.fullmatch(label) for label in labels):
            raise problem("is not a Kubernetes Secret name (lowercase letters, digits, '-' and '.', up to 253)")
        return value

    @field_validator("access_key_id_key", "secret_access_key_key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _SECRET_KEY_NAME.fullmatch(value):
            raise problem("is not a key of a Kubernetes Secret (letters, digits, '-', '_' and '.')")
        return value


class CaCertificate(Model):
    """The certificate of the private authority that signed the server's certificate: where Label
    Studio's S3 client (botocore, which reads AWS_CA_BUNDLE and nothing of the image's
    `global.customCaCerts`) and `check` find it."""

    config_map: str | None = Field(
        None, description="an existing ConfigMap in the release's namespace holding it (Kubernetes)"
    )
    secret: str | None = Field(
        None, description="an existing Secret in the release's namespace holding it (Kubernetes)"
    )
    key: str = Field("ca.crt", description="the ConfigMap's or Secret's key holding the PEM certificate")
    file: str | None = Field(
        None, description="the PEM file on the Docker host, which the compose file mounts (Docker Compose)"
    )

    @field_validator("config_map", "secret")
    @classmethod
    def _object_name(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 253 or not all(DNS_LABEL.fullmatch(p) for p in value.split("."))):
            raise problem("is not a Kubernetes object name (lowercase letters, digits, '-' and '.', up to 253)")
        return value

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _SECRET_KEY_NAME.fullmatch(value):
            raise problem("is not a key of a ConfigMap or Secret (letters, digits, '-', '_' and '.')")
        return value

    @field_validator("file")
    @classmethod
    def _file(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or any(c.isspace() or c in ":," for c in value)):
            raise problem("must be a file path without spaces, ':' or ',' (a compose volume line holds it)")
        return value

    @property
    def source(self) -> tuple[str, str] | None:
        """(kind, name) of the one place given, or None when none or several are."""
        given = [(kind, name) for kind, name in (("configMap", self.config_map), ("secret", self.secret),
                                                 ("file", self.file)) if name]  # fmt: skip
        return given[0] if len(given) == 1 else None


class S3CompatibleSettings(Model):
    """The `labelstudio:s3-compatible` object."""

    endpoint_url: str | None = Field(
        None,
        description=f"the server's S3 API address, `scheme://host[:port]`, {ENDPOINT_EXAMPLE}; Label Studio "
        "addresses buckets on it path-style",
        json_schema_extra={"default_doc": "required"},
    )
    region: str = Field(
        "us-east-1",
        description="the region the server signs for (MinIO's `MINIO_SITE_REGION`, Ceph's zone group)",
    )
    credentials_secret: CredentialsSecret | None = Field(
        None,
        description="an existing Kubernetes Secret holding the keys: `{name, accessKeyIdKey, secretAccessKeyKey}` "
        "(keys default to `accesskey` and `secretkey`); the chart reads it, and the stack never sees the keys",
        json_schema_extra={"default_doc": "none: give `accessKeyId` and `secretAccessKey`"},
    )
    access_key_id: str | None = Field(
        None,
        description="the access key id of the server's user for Label Studio; a secret setting "
        "(`pulumi config set --secret --path 'labelstudio:s3-compatible.accessKeyId'`)",
        json_schema_extra={"default_doc": "none: use `credentialsSecret`", "secret": True},
    )
    secret_access_key: str | None = Field(
        None,
        description="that user's secret key; a secret setting, like `accessKeyId`",
        json_schema_extra={"default_doc": "none: use `credentialsSecret`", "secret": True},
    )

    ca_certificate: CaCertificate | None = Field(
        None,
        description="the certificate of a private authority that signed the server's certificate: "
        "`{configMap: <name>}` or `{secret: <name>}` with `key` (default `ca.crt`) on Kubernetes, `{file: <path>}` "
        "on Docker Compose; Label Studio's S3 client (and rqworker) and `check` trust it through AWS_CA_BUNDLE",
        json_schema_extra={"default_doc": "none: the server's certificate is from a public authority, or http"},
    )

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        found = endpoint_problem(value) if value is not None else None
        if found:
            raise problem(found, show_value=not url_may_hold_password(value or ""))
        return value.rstrip("/") if value else value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION.fullmatch(value):
            raise problem("is not a region name (letters, digits, '.', '_' and '-'); MinIO's default is us-east-1")
        return value

    @field_validator("access_key_id", "secret_access_key")
    @classmethod
    def _access_key(cls, value: str | None) -> str | None:
        if value is not None and not _ACCESS_KEY.fullmatch(value):
            raise problem("must be 1-512 printable ASCII characters without spaces", show_value=False)
        return value

    @property
    def keys_given(self) -> bool:
        return self.access_key_id is not None or self.secret_access_key is not None


def ca_certificate_problem(
    ca: CaCertificate, endpoint_url: str, target: str | None, settings: Mapping[str, Any]
) -> tuple[str, str] | None:
    """What in `caCertificate` cannot work for this stack: (key under it, message), or None."""
    where = "configMap or secret (with key)" if target == "kubernetes" else "file"
    if ca.source is None:
        return "", f"needs exactly one place for the certificate: {where}"
    kind = ca.source[0]
    if target == "kubernetes" and kind == "file":
        return "file", (
            "is a file on a Docker host, which pods cannot read; put the certificate in a ConfigMap "
            "(`kubectl create configmap <name> --from-file=ca.crt=<file>`) and name it in configMap"
        )
    if target == "compose" and kind != "file":
        return kind, "is a Kubernetes object, which Docker Compose cannot read; name the PEM file in file instead"
    if not endpoint_url.lower().startswith("https://"):
        return "", "is given while endpointUrl is http: an authority's certificate only matters over https"
    if kind != "file" and settings.get("create_namespace"):
        return kind, (
            "must exist in the release's namespace before Label Studio starts, but this stack creates the namespace "
            "(labelstudio:createNamespace defaults to true); create the namespace and it first and set "
            "labelstudio:createNamespace to false"
        )
    return None


def settings_problem(value: S3CompatibleSettings, settings: Mapping[str, Any], secret: bool) -> tuple[str, str] | None:
    """What in the object contradicts the rest of the stack: (key in the object, message), or None.

    Credentials come from exactly one place; Docker Compose can only take them as settings, and
    settings holding keys must be secret, or the keys would sit in the stack file in plain text.
    """
    target, credentials = settings.get("target"), settings.get("credentials")
    if value.endpoint_url is None:
        return "endpointUrl", f"is required: the server's S3 API address, {ENDPOINT_EXAMPLE}"
    unresolvable = cluster_name_problem(value.endpoint_url, target)
    if unresolvable:
        return "endpointUrl", unresolvable
    if value.ca_certificate is not None:
        found = ca_certificate_problem(value.ca_certificate, value.endpoint_url, target, settings)
        if found:
            return "caCertificate", f"{found[0]}: {found[1]}" if found[0] else found[1]
    if value.credentials_secret and value.keys_given:
        return "credentialsSecret", (
            "is given beside accessKeyId and secretAccessKey; keep one place for the keys: the Secret the chart "
            "reads, or the keys as secret settings"
        )
    if value.credentials_secret and target == "compose":
        return "credentialsSecret", (
            "is a Kubernetes Secret, which Docker Compose cannot read; give accessKeyId and secretAccessKey "
            "as secret settings instead (env.list carries them)"
        )
    if value.credentials_secret and settings.get("create_namespace"):
        return "credentialsSecret", (
            "must exist in the release's namespace before Label Studio starts, but this stack creates the namespace "
            "(labelstudio:createNamespace defaults to true); create the namespace and the Secret first and set "
            "labelstudio:createNamespace to false"
        )
    if value.credentials_secret and credentials == "inline":
        return "credentialsSecret", (
            "keeps the keys in a Secret, which contradicts labelstudio:credentials inline; remove "
            "labelstudio:credentials"
        )
    if not value.credentials_secret:
        for key, given in (("accessKeyId", value.access_key_id), ("secretAccessKey", value.secret_access_key)):
            if given is None:
                where = "" if target == "compose" else ", or name an existing Secret in credentialsSecret"
                return key, f"is required: Label Studio signs with the server's keys; set it as a secret setting{where}"
    if value.keys_given and not secret:
        return "secretAccessKey", (
            f"is in plain text in the stack file; set both keys as secrets: `{_SET_SECRET}` for accessKeyId "
            "and secretAccessKey"
        )
    return None


CLOUD = CloudSettings(
    model=S3CompatibleSettings,
    field=Field(
        None,
        alias=CLOUD_NAME,
        validate_default=True,
        description="the S3-compatible server (cloud `s3-compatible`): see [s3-compatible.md](s3-compatible.md)",
        json_schema_extra={"default_doc": "required with cloud `s3-compatible`"},
    ),
    title="S3-compatible",
    access_modes=("access-keys",),
    keyed_access="access-keys",
    access_why=f"{_ACCESS}: the server owns its users, and Label Studio signs with one user's keys",
    bucket_problem=bucket_problem,
    storage_modes=("existing",),
    storage_why="the server owns its buckets, so the stack uses one as it is; create it with `mc mb` "
    "(docs/s3-compatible.md)",
    manage_cors_problem="S3-compatible servers set CORS their own way (MinIO: server-wide, `mc admin config set "
    "<alias> api cors_allow_origin=<origins>`); remove it and set CORS on the server (docs/s3-compatible.md)",
    force_destroy_problem="never empties a bucket on an S3-compatible server, which the stack does not own; remove it",
    settings_problem=settings_problem,
    settings_warnings=cluster_name_warnings,
)
