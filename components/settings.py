"""The stack's contract: every `labelstudio:*` setting, typed, checked once, all problems at once.

Pulumi hands a program its configuration as strings (objects and lists JSON-encoded). The
models below turn that into typed settings, and `load_settings` reports every problem in one
message that names the key, the bad value and what would be valid, so a stack file can be
fixed in one pass and no resource is declared from a half-valid configuration.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from components.chart_values import user_values_problems

NAMESPACE = "labelstudio"
PROVIDER_KEYS = ("aws:region", "gcp:project", "azure-native:location")
DEFAULT_CHART_VERSION = "2.0.5"

Cloud = Literal["aws", "gcp", "azure"]
Target = Literal["kubernetes", "compose"]
CredentialStyle = Literal["secret", "inline"]

# Access modes per cloud, the first one being the default on Kubernetes; `compose` runs outside
# any cluster, so it can only use the mode that hands out keys.
ACCESS_MODES: dict[str, tuple[str, ...]] = {
    "aws": ("irsa", "pod-identity", "access-keys", "node-role"),
    "gcp": ("workload-identity", "key"),
    "azure": ("key",),
}
KEYED_ACCESS = {"aws": "access-keys", "gcp": "key", "azure": "key"}
ACCESS_WHY = {
    "azure": "Label Studio reads Azure Blob Storage only with the storage account's shared key; "
    "it has no managed-identity or workload-identity path",
}


class SettingsError(Exception):
    """Every problem found in a stack's settings, each a complete sentence naming its key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(
            f"The stack settings have {count}; nothing was declared:\n" + "\n".join(f"  - {p}" for p in problems)
        )


_UNSHOWN = object()


def _problem(
    message: str, key: str | None = None, show_value: bool = True, value: Any = _UNSHOWN
) -> PydanticCustomError:
    """A validation error whose text is ours.

    `key` names the nested key (or list position) the message is about, and `value` is the
    value shown for it; without `key` the field's own value is shown. `show_value` False keeps
    the offending value out of the message (it may hold a password). A value is never shown
    when the stack file holds the setting as a secret.
    """
    shown = value if key is not None else _UNSHOWN
    context = {"key": key, "show_value": show_value and (key is None or value is not _UNSHOWN), "shown": shown}
    return PydanticCustomError("labelstudio", message.replace("{", "{{").replace("}", "}}"), context)


def _url_may_hold_password(url: str) -> bool:
    """A URL with '@' may carry user:password; it is then never repeated in a message."""
    return "@" in url


# ---------------------------------------------------------------------------------------------
# Name and format rules, shared by the models below and usable on their own.

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}", re.ASCII)
_FOLDER_SEGMENT = re.compile(r"[A-Za-z0-9_.-]+", re.ASCII)
_CHART_VERSION = re.compile(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", re.ASCII)
# Every pattern is matched against the whole value (fullmatch) with ASCII classes: `^...$` with
# re.match accepts a trailing newline, and \w or \d accept letters and digits of any script.
_AWS_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}", re.ASCII)
_AWS_PARTITION = r"(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-[a-z])"
_OIDC_ARN = re.compile(
    r"arn:" + _AWS_PARTITION + r":iam::(\d{12}):oidc-provider/([a-z0-9.-]+(/[A-Za-z0-9._-]+)*)", re.ASCII
)
_KMS_KEY_ARN = re.compile(
    r"arn:" + _AWS_PARTITION + r":kms:([a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}):(\d{12}):"
    r"key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})",
    re.ASCII,
)
_EKS_CLUSTER = re.compile(r"[0-9A-Za-z][A-Za-z0-9_-]{0,99}", re.ASCII)
_IAM_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
_GCP_PROJECT = re.compile(r"([a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]", re.ASCII)
_GCP_LOCATION = re.compile(r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]", re.ASCII)
_GCP_KMS_KEY = re.compile(
    r"projects/[a-z][a-z0-9.:-]*[a-z0-9]/locations/[a-z0-9-]+/keyRings/[\w-]{1,63}/cryptoKeys/[\w-]{1,63}", re.ASCII
)
_GCP_SA_ID = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])", re.ASCII)
_AZURE_ACCOUNT = re.compile(r"[a-z0-9]{3,24}", re.ASCII)
_AZURE_CONTAINER = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}", re.ASCII)
_AZURE_RESOURCE_GROUP = re.compile(r"[-\w.()]{0,89}[-\w()]", re.ASCII)
_AZURE_LOCATION = re.compile(r"[a-z][a-z0-9]+", re.ASCII)
_AZURE_SUBNET_ID = re.compile(
    r"/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]+/providers/Microsoft\.Network/"
    r"virtualNetworks/[-\w.]+/subnets/[-\w.]+",
    re.IGNORECASE | re.ASCII,
)

S3_BUCKET_RULES = (
    "3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a "
    "letter or digit, not shaped like an IP address"
)
GCS_BUCKET_RULES = (
    "3-63 characters of lowercase letters, digits, '-', '_' and '.', starting and ending with a "
    "letter or digit, not starting with 'goog' and not containing 'google'"
)
AZURE_CONTAINER_RULES = (
    "3-63 characters of lowercase letters, digits and single hyphens, starting and ending with a letter or digit"
)


def aws_partition(region: str) -> str:
    """The ARN partition an AWS region belongs to (China and GovCloud are partitions of their own)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if "-gov-" in region:
        return "aws-us-gov"
    isolated = re.fullmatch(r"[a-z]{2}-iso([a-z]?)-.*", region)
    if isolated:
        return "aws-iso" + (f"-{isolated.group(1)}" if isolated.group(1) else "")
    return "aws"


def s3_bucket_problem(name: str) -> str | None:
    """Why `name` is not a valid S3 general-purpose bucket name, or None."""
    bad = (
        not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name, re.ASCII)
        or ".." in name
        or ".-" in name
        or "-." in name
        or _IPV4.fullmatch(name)
        or name.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        or name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))
    )
    return f"is not a valid S3 bucket name; use {S3_BUCKET_RULES}" if bad else None


def gcs_bucket_problem(name: str) -> str | None:
    """Why `name` is not a valid Cloud Storage bucket name, or None."""
    bad = (
        not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]", name, re.ASCII)
        or ".." in name
        or _IPV4.fullmatch(name)
        or name.startswith("goog")
        or "google" in name
        or "g00gle" in name
    )
    return f"is not a valid Cloud Storage bucket name; use {GCS_BUCKET_RULES}" if bad else None


def azure_container_problem(name: str) -> str | None:
    """Why `name` is not a valid Azure blob container name, or None."""
    if _AZURE_CONTAINER.fullmatch(name):
        return None
    return f"is not a valid Azure blob container name; use {AZURE_CONTAINER_RULES}"


BUCKET_RULES = {"aws": s3_bucket_problem, "gcp": gcs_bucket_problem, "azure": azure_container_problem}


_HOST_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(\.{_HOST_LABEL})*", re.ASCII)
DEFAULT_PORTS = {"http": 80, "https": 443}
_ORIGIN_EXAMPLE = "e.g. https://label.example.com"


def web_address(url: str) -> tuple[SplitResult, str] | str:
    """`url` split, with the origin a browser sends for it; or why no browser would load it.

    The origin is `scheme://host[:port]`, lowercase, with the host in punycode and without the
    scheme's default port. A reason never repeats the URL: it may carry a password.
    """
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in url):
        return "contains a space, line break or control character; remove it"
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"is not an origin or URL; write http(s)://host[:port], {_ORIGIN_EXAMPLE}"
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
        return f"is not an origin or URL; write http(s)://host[:port] with http or https, {_ORIGIN_EXAMPLE}"
    if "@" in parts.netloc:
        return (
            "carries credentials (user:password@ before the host), which browsers never send and which "
            "must not sit in stack settings; remove them"
        )
    host_text, colon, port_text = parts.netloc.rpartition(":") if not parts.netloc.endswith("]") else ("", "", "")
    if not colon or "]" in port_text:
        host_text, port_text = parts.netloc, ""
    host, problem = _browser_host(host_text)
    if problem:
        return problem
    port = int(port_text) if port_text.isascii() and port_text.isdigit() else None
    shown_port = "" if port in (None, DEFAULT_PORTS[parts.scheme]) else f":{port}"
    origin = f"{parts.scheme}://{host}{shown_port}"
    if not host_text.isascii():
        return f"has a non-ASCII host name, which browsers send in punycode; write {origin}"
    if colon and not port_text:
        return f"has a ':' after the host without a port number; write {origin} or add the port"
    if colon and port is None:
        return "has a port that is not a number; use a port from 1 to 65535"
    if port is not None and not 1 <= port <= 65535:
        return f"has port {port}, which no browser can reach; use a port from 1 to 65535"
    if port is not None and port_text != str(port):
        return f"writes the port with a leading zero, which browsers drop; write {origin}"
    return parts, origin


def _browser_host(text: str) -> tuple[str, str | None]:
    """The host as browsers send it (lowercase, punycode, IPv6 in brackets), and any problem."""
    if text.startswith("[") and text.endswith("]"):
        try:
            return f"[{ipaddress.IPv6Address(text[1:-1]).compressed}]", None
        except ValueError:
            return "", "has an invalid IPv6 address between the brackets"
    host = text.lower()
    if not host.isascii():
        try:
            punycode = host.encode("idna").decode("ascii")
        except UnicodeError:
            return "", "has a host name that is not a valid internationalised domain name"
        return punycode, None
    if len(host) > 253 or not _HOSTNAME.fullmatch(host):
        return "", "has an invalid host name; use letters, digits, '-' and '.' between labels"
    if all(label.isdigit() for label in host.split(".")):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return "", "has an invalid IPv4 address as its host"
    return host, None


def origin_problem(origin: str) -> str | None:
    """Why `origin` is not exactly what a browser sends in its Origin header, or None.

    Storage compares origins as strings, so anything else would never match: it is refused
    with the spelling to use rather than rewritten behind the user's back.
    """
    if "*" in origin:
        return f"wildcards are not allowed; list each origin that may upload, {_ORIGIN_EXAMPLE}"
    address = web_address(origin)
    if isinstance(address, str):
        return address
    parts, canonical = address
    if parts.query or parts.fragment or parts.path not in ("", "/"):
        return f"is not an origin: an origin has no path, query or fragment; did you mean {canonical}?"
    if origin != canonical:
        return f"is not written the way browsers send it, so it would never match; write {canonical}"
    return None


def folder_problem(folder: str) -> str | None:
    """Why `folder` is not a clean key prefix, or None."""
    if folder == "":
        return None
    if len(folder) > 512:
        return "is longer than 512 characters"
    inner = folder.strip("/")
    for segment in inner.split("/"):
        if segment in ("", ".", ".."):
            return "must be path segments joined by single '/', without '.' or '..' segments"
        if not _FOLDER_SEGMENT.fullmatch(segment):
            return "may only contain letters, digits, '-', '_' and '.', with '/' between segments"
    if inner != folder:
        return f"must not start or end with '/'; write {inner!r}"
    return None


def dns_label_problem(value: str, limit: int = 63) -> str | None:
    if len(value) > limit or not _DNS_LABEL.fullmatch(value):
        return (
            f"must be a Kubernetes name: at most {limit} lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return None


# ---------------------------------------------------------------------------------------------
# The models.


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


class AwsSettings(_Model):
    """The `labelstudio:aws` object."""

    oidc_provider_arn: str | None = Field(
        None,
        description="the cluster's IAM OIDC provider, "
        "`arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>`",
        json_schema_extra={"used_by": "`irsa` (required)"},
    )
    cluster_name: str | None = Field(
        None, description="the EKS cluster's name", json_schema_extra={"used_by": "`pod-identity` (required)"}
    )
    node_role_name: str | None = Field(
        None,
        description="the node group's IAM role *name* (not its ARN)",
        json_schema_extra={"used_by": "`node-role` (required)"},
    )
    kms_key_arn: str | None = Field(
        None,
        description="an existing KMS key in the bucket's region; implies `kms`. With `encryption: kms` and no key, "
        "a key with yearly rotation is created",
        json_schema_extra={"used_by": "all"},
    )
    encryption: Literal["aes256", "kms"] | None = Field(
        None,
        description="`aes256` (SSE-S3) or `kms` (SSE-KMS with a bucket key)",
        json_schema_extra={"used_by": "all", "default_doc": "`aes256`; `kms` when `kmsKeyArn` is set"},
    )

    @field_validator("oidc_provider_arn")
    @classmethod
    def _oidc_arn(cls, value: str | None) -> str | None:
        if value is not None and not _OIDC_ARN.fullmatch(value):
            raise _problem(
                "is not an IAM OIDC provider ARN; expected arn:aws:iam::<account>:oidc-provider/"
                "oidc.eks.<region>.amazonaws.com/id/<id> (aws eks describe-cluster shows the issuer)"
            )
        return value

    @field_validator("cluster_name")
    @classmethod
    def _cluster(cls, value: str | None) -> str | None:
        if value is not None and not _EKS_CLUSTER.fullmatch(value):
            raise _problem(
                "is not an EKS cluster name (1-100 letters, digits, '-' and '_', starting with a letter or digit)"
            )
        return value

    @field_validator("node_role_name")
    @classmethod
    def _node_role(cls, value: str | None) -> str | None:
        if value is not None and value.startswith("arn:"):
            raise _problem("takes the role's name, not its ARN; use the part after 'role/' (without any path)")
        if value is not None and not _IAM_ROLE_NAME.fullmatch(value):
            raise _problem("is not an IAM role name (1-64 letters, digits and +=,.@_-)")
        return value

    @field_validator("kms_key_arn")
    @classmethod
    def _kms_arn(cls, value: str | None) -> str | None:
        if value is not None and not _KMS_KEY_ARN.fullmatch(value):
            raise _problem(
                "is not a KMS key ARN; expected arn:aws:kms:<region>:<account>:key/<key-id> "
                "(an alias ARN cannot be used in the IAM policy that grants the key)"
            )
        return value

    @model_validator(mode="after")
    def _key_needs_kms(self) -> AwsSettings:
        if self.kms_key_arn and self.encryption == "aes256":
            raise _problem(
                "encryption aes256 contradicts kmsKeyArn; set encryption to kms or remove kmsKeyArn", "encryption"
            )
        return self

    @property
    def uses_kms(self) -> bool:
        return self.encryption == "kms" or bool(self.kms_key_arn)

    @property
    def kms_key_region(self) -> str | None:
        match = _KMS_KEY_ARN.fullmatch(self.kms_key_arn or "")
        return match.group(2) if match else None


class GcpSettings(_Model):
    """The `labelstudio:gcp` object."""

    location: str = Field(
        "US",
        description="the bucket's location: a multi-region (`US`, `EU`, `ASIA`), a dual-region (`NAM4`, `EUR4`) "
        "or a region (`europe-west4`)",
    )
    kms_key_name: str | None = Field(
        None,
        description="an existing Cloud KMS key for CMEK, "
        "`projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>`; it must be in the bucket's "
        "location (a `US` bucket needs a key in `us`)",
        json_schema_extra={"default_doc": "none: Google-managed encryption"},
    )
    service_account_id: str | None = Field(
        None,
        description="the Google service account's id, 6-30 lowercase letters, digits and `-`, starting with a letter",
        json_schema_extra={
            "default_doc": "`ls-<release>-<6 hex digits>`, e.g. `ls-label-studio-894890`: the release (cut to fit) "
            "and a hash of stack and release, so stacks sharing a project and a release name never share an account"
        },
    )

    @field_validator("location")
    @classmethod
    def _location(cls, value: str) -> str:
        if not _GCP_LOCATION.fullmatch(value):
            raise _problem("is not a Cloud Storage location; use e.g. US, EU, us-central1 or europe-west4")
        return value

    @field_validator("kms_key_name")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        if value is not None and not _GCP_KMS_KEY.fullmatch(value):
            raise _problem(
                "is not a Cloud KMS key name; expected "
                "projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>"
            )
        return value

    @field_validator("service_account_id")
    @classmethod
    def _sa_id(cls, value: str | None) -> str | None:
        if value is not None and not (6 <= len(value) <= 30 and _GCP_SA_ID.fullmatch(value)):
            raise _problem(
                "is not a service account id; use 6-30 lowercase letters, digits and '-', starting with a letter"
            )
        return value


class AzureSettings(_Model):
    """The `labelstudio:azure` object."""

    resource_group: str | None = Field(
        None,
        description="an existing resource group for the account",
        json_schema_extra={"default_doc": "a new group named `<project>-<stack>`, protected"},
    )
    storage_account: str | None = Field(
        None,
        description="the storage account's name: 3-24 lowercase letters and digits, unique across all of Azure",
        json_schema_extra={"default_doc": "derived from project and stack, e.g. `labelstudioprod1f3a9c2e`"},
    )
    allowed_ip_ranges: list[str] = Field(
        default_factory=list,
        description="public IPv4 addresses or CIDR ranges allowed in",
        json_schema_extra={"default_doc": "`[]` (all networks)"},
    )
    allowed_subnet_ids: list[str] = Field(
        default_factory=list,
        description="virtual network subnet resource ids allowed in",
        json_schema_extra={"default_doc": "`[]` (all networks)"},
    )

    @field_validator("resource_group")
    @classmethod
    def _group(cls, value: str | None) -> str | None:
        if value is not None and not _AZURE_RESOURCE_GROUP.fullmatch(value):
            raise _problem(
                "is not a resource group name (1-90 letters, digits, '-', '_', '.', '(' and ')', not ending with '.')"
            )
        return value

    @field_validator("storage_account")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is not None and not _AZURE_ACCOUNT.fullmatch(value):
            raise _problem("is not a storage account name; use 3-24 lowercase letters and digits")
        return value

    @field_validator("allowed_ip_ranges")
    @classmethod
    def _ip_ranges(cls, values: list[str]) -> list[str]:
        for index, value in enumerate(values):
            problem = _azure_ip_rule_problem(value)
            if problem:
                raise _problem(problem, str(index), value=value)
        return values

    @field_validator("allowed_subnet_ids")
    @classmethod
    def _subnets(cls, values: list[str]) -> list[str]:
        for index, value in enumerate(values):
            if not _AZURE_SUBNET_ID.fullmatch(value):
                raise _problem(
                    "is not a subnet resource id; expected /subscriptions/<id>/resourceGroups/<group>/"
                    "providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>",
                    str(index),
                    value=value,
                )
        return values


def _azure_ip_rule_problem(value: str) -> str | None:
    """Why `value` cannot be a storage firewall IP rule, or None."""
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return "is not an IPv4 address or CIDR range, e.g. 203.0.113.7 or 203.0.113.0/24"
    if network.version != 4:
        return "is IPv6; storage firewall IP rules take IPv4 only"
    if "/" in value and str(network) != value:
        return f"has host bits set; the range is written {network}"
    if network.is_private:
        return "is a private range; storage IP rules take public addresses, use allowedSubnetIds for virtual networks"
    ends = (network.network_address, network.broadcast_address)
    if network.is_multicast or not all(address.is_global for address in (network, *ends)):
        return (
            "is not a public internet address (it is reserved, or a range reaching into reserved space such "
            "as 0.0.0.0/0); list the public addresses your users come from"
        )
    if "/" in value and network.prefixlen > 30:
        return f"is a /{network.prefixlen} range, which Azure refuses; list its addresses one by one instead"
    return None


# Settings of the Helm release; a compose stack that sets one is refused, not silently ignored.
KUBERNETES_ONLY = ("namespace", "create_namespace", "release", "chart_version", "enterprise", "helm_values")


# How the settings reference (docs, Pulumi.yaml) words the access modes, from ACCESS_MODES.
_CLOUD_NAMES = {"aws": "AWS", "gcp": "Google Cloud", "azure": "Azure"}
_ACCESS_MODES_TEXT = "; ".join(
    f"{_CLOUD_NAMES[cloud]}: " + ", ".join(f"`{mode}`" for mode in modes) for cloud, modes in ACCESS_MODES.items()
)
_DEFAULT_ACCESS_TEXT = (
    " / ".join(f"`{modes[0]}`" for modes in ACCESS_MODES.values())
    + " on kubernetes; compose always uses the mode with keys"
)


class Settings(_Model):
    """The whole stack contract. Field order matters: later checks read earlier fields."""

    cloud: Cloud = Field(
        description="`aws`, `gcp` or `azure`: the cloud that holds the storage",
        json_schema_extra={"prompt": "Cloud that holds the storage: aws, gcp or azure"},
    )
    target: Target = Field(
        "kubernetes",
        description="`kubernetes` (Helm release) or `compose` (env.list output)",
        json_schema_extra={"prompt": "Where Label Studio runs: kubernetes (a Helm release) or compose (an env.list)"},
    )
    aws_region: str | None = Field(
        None,
        alias="aws:region",
        validate_default=True,
        description="the AWS provider's region, where the bucket is created (cloud `aws`)",
        json_schema_extra={"prompt": "AWS region for the bucket, e.g. eu-west-1 (cloud aws only; else leave empty)"},
    )
    gcp_project: str | None = Field(
        None,
        alias="gcp:project",
        validate_default=True,
        description="the Google Cloud provider's project, which holds the bucket (cloud `gcp`)",
        json_schema_extra={"prompt": "Google Cloud project id (cloud gcp only; else leave empty)"},
    )
    azure_location: str | None = Field(
        None,
        alias="azure-native:location",
        validate_default=True,
        description="the Azure provider's location, where the storage account is created (cloud `azure`)",
        json_schema_extra={"prompt": "Azure location, e.g. westeurope (cloud azure only; else leave empty)"},
    )
    access: str | None = Field(
        None,
        validate_default=True,
        description=_ACCESS_MODES_TEXT,
        json_schema_extra={"default_doc": _DEFAULT_ACCESS_TEXT},
    )
    credentials: CredentialStyle | None = Field(
        None,
        validate_default=True,
        description="`secret` (a Kubernetes Secret the chart reads) or `inline` (keys in the Helm values); "
        "only with a mode that hands out keys",
        json_schema_extra={"default_doc": "`secret`"},
    )
    bucket: str = Field(
        description="the S3 or Cloud Storage bucket, or the Azure blob container",
        json_schema_extra={"prompt": "Bucket to create (the blob container on Azure), e.g. acme-label-studio"},
    )
    folder: str = Field(
        "",
        description="key prefix inside the bucket, e.g. `media/label-studio` (no leading or trailing `/`, no `..`)",
    )
    host: str | None = Field(
        None,
        description="Label Studio's public URL, e.g. `https://label.example.com`; Label Studio gets it as "
        "`LABEL_STUDIO_HOST` (the chart's `global.extraEnvironmentVars`, and env.list)",
        json_schema_extra={"prompt": "Label Studio's public URL, e.g. https://label.example.com"},
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        validate_default=True,
        description="list of origins allowed to upload straight to storage, exactly as browsers send them "
        "(`https://host[:port]`, no path, no wildcard)",
        json_schema_extra={"default_doc": "the origin of `host`; an error if neither is set"},
    )
    namespace: str = Field("label-studio", description="Kubernetes namespace")
    create_namespace: bool = Field(True, description="create the namespace (`false` when it already exists)")
    release: str = Field(
        "label-studio",
        description="Helm release name; the chart's service accounts are `<release>-ls-app` and "
        "`<release>-ls-rqworker`",
    )
    chart_version: str = Field(DEFAULT_CHART_VERSION, description="Label Studio chart version")
    enterprise: bool = Field(
        False,
        description="`true` for Label Studio Enterprise: the chart's `enterprise.enabled`, and its rqworker "
        "service account gets the same access",
    )
    helm_values: dict[str, Any] = Field(
        default_factory=dict,
        description="further chart values (ingress, database, image), deep-merged; ours win on persistence and "
        "service-account keys; may be a `secure` value",
    )
    protect: bool = Field(
        True,
        description="protect the storage (bucket, KMS key, storage account, container, created resource group) "
        "from deletion and replacement",
    )
    force_destroy: bool = Field(
        False,
        description="S3 and GCS: let a deletion empty the bucket first; loses data, so it must be asked for by name",
    )
    retention_days: int = Field(
        30, ge=1, le=365, description="days an overwritten or deleted object stays recoverable (1-365)"
    )
    aws: AwsSettings | None = Field(
        None,
        validate_default=True,
        description="the AWS object (cloud `aws`): see [aws.md](aws.md)",
        json_schema_extra={"default_doc": "`{}`"},
    )
    gcp: GcpSettings | None = Field(
        None,
        validate_default=True,
        description="the Google Cloud object (cloud `gcp`): see [gcp.md](gcp.md#google-cloud-settings)",
        json_schema_extra={"default_doc": "`{}`"},
    )
    azure: AzureSettings | None = Field(
        None,
        validate_default=True,
        description="the Azure object (cloud `azure`): see [azure.md](azure.md#the-azure-object)",
        json_schema_extra={"default_doc": "`{}`"},
    )

    # -- provider settings: required only by the cloud that uses them --------------------------

    @field_validator("aws_region")
    @classmethod
    def _aws_region(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("cloud") != "aws":
            return value
        if value is None:
            raise _problem("is required for cloud aws; run `pulumi config set aws:region <region>`, e.g. us-east-1")
        if not _AWS_REGION.fullmatch(value):
            raise _problem("is not an AWS region name; use e.g. us-east-1 or eu-central-1")
        return value

    @field_validator("gcp_project")
    @classmethod
    def _gcp_project(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("cloud") != "gcp":
            return value
        if value is None:
            raise _problem("is required for cloud gcp; run `pulumi config set gcp:project <project-id>`")
        if not _GCP_PROJECT.fullmatch(value):
            raise _problem(
                "is not a Google Cloud project id (6-30 lowercase letters, digits and '-', starting with a letter)"
            )
        return value

    @field_validator("azure_location")
    @classmethod
    def _azure_location(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("cloud") != "azure":
            return value
        if value is None:
            raise _problem(
                "is required for cloud azure; run `pulumi config set azure-native:location <location>`, e.g. westeurope"
            )
        if not _AZURE_LOCATION.fullmatch(value):
            raise _problem(
                "is not an Azure location name; use the lowercase name without spaces, e.g. westeurope or eastus2"
            )
        return value

    # -- access and credentials ----------------------------------------------------------------

    @field_validator("access")
    @classmethod
    def _access(cls, value: str | None, info: ValidationInfo) -> str | None:
        cloud, target = info.data.get("cloud"), info.data.get("target")
        if cloud is None or "target" not in info.data:
            return value  # cloud or target is invalid and reported; the mode depends on both
        modes = ACCESS_MODES[cloud]
        if value is None:
            return KEYED_ACCESS[cloud] if target == "compose" else modes[0]
        if value not in modes:
            why = f" ({ACCESS_WHY[cloud]})" if cloud in ACCESS_WHY else ""
            raise _problem(f"is not an access mode for cloud {cloud}; use {' or '.join(modes)}{why}")
        if target == "compose" and value != KEYED_ACCESS[cloud]:
            raise _problem(
                f"cannot be used with target compose: Docker Compose runs outside any cluster, so it "
                f"needs {KEYED_ACCESS[cloud]}; remove labelstudio:access or set it to {KEYED_ACCESS[cloud]}"
            )
        return value

    @field_validator("credentials")
    @classmethod
    def _credentials(cls, value: str | None, info: ValidationInfo) -> str | None:
        cloud, access, target = info.data.get("cloud"), info.data.get("access"), info.data.get("target")
        if cloud is None or access is None:
            return value
        if access != KEYED_ACCESS[cloud]:
            if value is not None:
                raise _problem(
                    f"has no effect with access {access}, which hands out no keys; remove it "
                    f"(it applies to access {KEYED_ACCESS[cloud]} only)"
                )
            return None
        if target == "compose":
            return None  # env.list always carries the keys; see warnings()
        return value or "secret"

    # -- storage names ---------------------------------------------------------------------------

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, value: str, info: ValidationInfo) -> str:
        cloud = info.data.get("cloud")
        problem = BUCKET_RULES[cloud](value) if cloud else None
        if problem:
            raise _problem(problem)
        return value

    @field_validator("force_destroy")
    @classmethod
    def _force_destroy(cls, value: bool, info: ValidationInfo) -> bool:
        if info.data.get("cloud") == "azure":
            raise _problem(
                "does not apply to cloud azure, where deleting a container always deletes its blobs "
                "(container soft delete keeps them recoverable for labelstudio:retentionDays); remove it: "
                "labelstudio:protect is what guards the account and container against deletion"
            )
        return value

    @field_validator("folder")
    @classmethod
    def _folder(cls, value: str) -> str:
        problem = folder_problem(value)
        if problem:
            raise _problem(problem)
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value is None:
            return value
        address = web_address(value)
        if isinstance(address, str):
            raise _problem(
                f"{address} (it is Label Studio's public URL, {_ORIGIN_EXAMPLE})",
                show_value=not _url_may_hold_password(value),
            )
        parts, _ = address
        if not value.isascii():
            raise _problem("has non-ASCII characters in its path; write them percent-encoded, as browsers send them")
        if parts.query or parts.fragment:
            raise _problem(f"is not Label Studio's public URL: it has no query or fragment; {_ORIGIN_EXAMPLE}")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if not value:
            if "host" not in info.data:
                return value  # host itself is invalid and reported; do not pile on
            host = info.data["host"]
            if host is None:
                raise _problem(
                    "is empty and labelstudio:host is not set; browsers upload straight to storage, so "
                    "set labelstudio:host to Label Studio's URL or list the origins in labelstudio:corsOrigins"
                )
            address = web_address(host)
            return [] if isinstance(address, str) else [address[1]]
        for index, origin in enumerate(value):
            problem = origin_problem(origin)
            if problem:
                raise _problem(problem, str(index), not _url_may_hold_password(origin), origin)
        return list(dict.fromkeys(value))

    # -- Kubernetes ------------------------------------------------------------------------------

    @field_validator(*KUBERNETES_ONLY, mode="before")
    @classmethod
    def _kubernetes_only(cls, value: Any, info: ValidationInfo) -> Any:
        # Runs only for a value the stack sets (these fields do not validate their defaults).
        if info.data.get("target") == "compose":
            raise _problem(
                "applies to target kubernetes only; Docker Compose has no namespace, release or chart, "
                "so remove it (or set labelstudio:target to kubernetes)",
                show_value=False,
            )
        return value

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        problem = dns_label_problem(value)
        if problem:
            raise _problem(problem)
        return value

    @field_validator("release")
    @classmethod
    def _release(cls, value: str) -> str:
        # The longest name derived from it, '<release>-ls-rqworker', must stay a valid 63-character name.
        problem = dns_label_problem(value, limit=63 - len("-ls-rqworker"))
        if problem:
            raise _problem(f"{problem} (the chart's service accounts are named after it)")
        return value

    @field_validator("helm_values")
    @classmethod
    def _helm_values(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        problems = user_values_problems(value, bool(info.data.get("enterprise")), info.data.get("host"))
        if problems:
            raise _problem("; and it ".join(problems), show_value=False)
        return value

    @field_validator("chart_version")
    @classmethod
    def _chart_version(cls, value: str) -> str:
        if not _CHART_VERSION.fullmatch(value):
            raise _problem(f"is not a chart version; use a semantic version such as {DEFAULT_CHART_VERSION}")
        return value

    # -- cloud objects ---------------------------------------------------------------------------

    @field_validator("aws")
    @classmethod
    def _aws(cls, value: AwsSettings | None, info: ValidationInfo) -> AwsSettings | None:
        return _cloud_object("aws", value, info, AwsSettings)

    @field_validator("gcp")
    @classmethod
    def _gcp(cls, value: GcpSettings | None, info: ValidationInfo) -> GcpSettings | None:
        return _cloud_object("gcp", value, info, GcpSettings)

    @field_validator("azure")
    @classmethod
    def _azure(cls, value: AzureSettings | None, info: ValidationInfo) -> AzureSettings | None:
        return _cloud_object("azure", value, info, AzureSettings)

    # -- derived facts ---------------------------------------------------------------------------

    @property
    def service_account_names(self) -> dict[str, str]:
        """The chart's service accounts, by chart component; rqworker runs only in Enterprise."""
        names = {"app": f"{self.release}-ls-app"}
        if self.enterprise:
            names["rqworker"] = f"{self.release}-ls-rqworker"
        return names


_REQUIRED_FOR_ACCESS = {
    ("aws", "irsa"): ("oidc_provider_arn", "oidcProviderArn", "the ARN of the cluster's IAM OIDC provider"),
    ("aws", "pod-identity"): ("cluster_name", "clusterName", "the EKS cluster's name"),
    ("aws", "node-role"): ("node_role_name", "nodeRoleName", "the name of the node group's IAM role"),
}


def _cloud_object(cloud: str, value: Any, info: ValidationInfo, model: type[_Model]) -> Any:
    chosen = info.data.get("cloud")
    if chosen is None:
        return value
    if chosen != cloud:
        if value is not None:
            raise _problem(
                f"applies to cloud {cloud} only, and this stack's cloud is {chosen}; remove labelstudio:{cloud}"
            )
        return None
    value = value if value is not None else model()
    required = _REQUIRED_FOR_ACCESS.get((cloud, info.data.get("access", "")))
    if required and getattr(value, required[0]) is None:
        _, alias, what = required
        raise _problem(f"is required with access {info.data['access']}; set it to {what}", alias)
    region = info.data.get("aws_region")
    if isinstance(value, AwsSettings) and region:
        for alias, arn in (("oidcProviderArn", value.oidc_provider_arn), ("kmsKeyArn", value.kms_key_arn)):
            partition, expected = (arn or "").split(":")[1:2], aws_partition(region)
            if partition and partition[0] != expected:
                raise _problem(
                    f"is an ARN of partition {partition[0]}, but aws:region {region} is in partition {expected}; "
                    f"IAM and KMS never cross partitions, so use an ARN starting arn:{expected}:",
                    alias,
                )
    if isinstance(value, AwsSettings) and value.kms_key_region and region and value.kms_key_region != region:
        raise _problem(
            f"is in {value.kms_key_region} but the bucket is in {region}; "
            "S3 can only use a KMS key from the bucket's own region",
            "kmsKeyArn",
        )
    return value


# ---------------------------------------------------------------------------------------------
# Loading and reporting.

_STRUCTURED = {"corsOrigins", "helmValues", "aws", "gcp", "azure"}


MAX_NESTING = 32
"""Levels of objects and lists a setting may nest; chart values need fewer than ten."""
_MAX_NODES = 100_000


class TooDeep:
    """Stands for a JSON text nested too deeply to decode."""


def decode_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Turn Pulumi's string-encoded configuration back into the values written in the stack file.

    The CLI passes objects and lists as JSON text; a value that starts like JSON is decoded so
    that a list given for `bucket` is reported as a list, not as an odd bucket name.
    """
    decoded: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and (value.startswith(("[", "{")) or key in _STRUCTURED):
            try:
                value = json.loads(value)
            except ValueError:
                pass
            except RecursionError:
                value = TooDeep()
        decoded[key] = value
    return decoded


_NOT_JSON = {
    "date": ("a date", "quote it to pass it as text"),
    "datetime": ("a date and time", "quote it to pass it as text"),
    "bytes": ("binary data (!!binary)", "pass it as quoted text, e.g. base64"),
    "set": ("a set (!!set)", "write a list"),
    "frozenset": ("a set", "write a list"),
    "tuple": ("ordered pairs (!!omap or !!pairs)", "write an object"),
}


def json_value_problem(value: Any) -> tuple[tuple[str | int, ...], str] | None:
    """Where and why `value` is not plain JSON data that stack configuration can hold, or None.

    JSON is what Pulumi passes a program, so a setting may only hold objects with text keys,
    lists, text, numbers, true/false and null, at most MAX_NESTING levels deep and of bounded
    size. The walk is iterative and stops at a node budget, so a value that shares its parts
    (a YAML alias bomb) costs no more than a plain one.
    """
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    nodes = 0
    while pending:
        path, item = pending.pop()
        nodes += 1
        if nodes > _MAX_NODES:
            return (), f"is too large: more than {_MAX_NODES} values once expanded (YAML aliases count each time)"
        if isinstance(item, TooDeep) or len(path) > MAX_NESTING:
            return path[:MAX_NESTING], f"is nested deeper than {MAX_NESTING} levels"
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return path, f"has a key {_shown(key)} that is not text; quote it"
                pending.append(((*path, key), child))
        elif isinstance(item, list):
            pending.extend(((*path, index), child) for index, child in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            return path, "is not a finite number (.inf or .nan); JSON cannot hold it"
        elif item is not None and not isinstance(item, (str, int, float, bool)):
            kind, fix = _NOT_JSON.get(type(item).__name__, (f"a {type(item).__name__}", "write it as text"))
            return path, f"holds {kind}, which stack configuration (JSON) cannot hold; {fix}"
    return None


def setting_name(key: str, path: tuple[str | int, ...] = ()) -> str:
    """How messages name a setting or a place inside one: `labelstudio:helmValues.ingress.hosts[0]`."""
    return _key_name((key, *path))


def load_settings(raw: Mapping[str, Any], secret_keys: frozenset[str] = frozenset()) -> tuple[Settings, list[str]]:
    """Validate decoded settings (keys without the `labelstudio:` prefix, plus provider keys).

    Returns the settings and any warnings; raises SettingsError listing every problem.
    """
    data = dict(raw)
    shape_problems = []
    for key, value in data.items():
        found = json_value_problem(value)
        if found:
            shape_problems.append(f"{setting_name(str(key), found[0])}: {found[1]}")
    if shape_problems:
        raise SettingsError(shape_problems)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as error:
        raise SettingsError(_describe(error, data, secret_keys)) from None
    warnings = []
    if settings.target == "compose" and data.get("credentials") is not None:
        warnings.append("labelstudio:credentials has no effect with target compose: env.list always carries the keys")
    return settings, warnings


_TOP_LEVEL = [f.alias or name for name, f in Settings.model_fields.items()]
_NESTED = {
    "aws": [f.alias or n for n, f in AwsSettings.model_fields.items()],
    "gcp": [f.alias or n for n, f in GcpSettings.model_fields.items()],
    "azure": [f.alias or n for n, f in AzureSettings.model_fields.items()],
}


_ALIASES = {name: f.alias for name, f in Settings.model_fields.items() if f.alias}


def _key_name(loc: tuple[Any, ...]) -> str:
    """`labelstudio:aws.kmsKeyArn`, `labelstudio:corsOrigins[1]`, `labelstudio:aws["odd key"]`."""
    head, *rest = loc or ("(settings)",)
    head = _ALIASES.get(str(head), str(head))
    name = head if ":" in head else f"{NAMESPACE}:{head}"
    for part in rest:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit() and part == str(int(part))):
            name += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            name += f".{part}"
        else:
            name += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return name


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _describe(error: ValidationError, data: Mapping[str, Any], secret_keys: frozenset[str]) -> list[str]:
    """One sentence per problem: the key, the bad value (unless secret) and what would be valid."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        kind, ctx, value = item["type"], item.get("ctx") or {}, item.get("input")
        if ctx.get("key"):
            loc = (*loc, ctx["key"])
        key = _key_name(loc)
        secret = bool(loc) and str(loc[0]) in secret_keys
        shown = "" if secret or value is None else f" {_shown(value)}"
        if kind == "labelstudio" and ctx.get("shown", _UNSHOWN) is not _UNSHOWN:
            # An entry of a list: `key[1]: 'entry' what is wrong with it`.
            entry = "" if secret or not ctx.get("show_value") else f" {_shown(ctx['shown'])}"
            text = f"{key}:{entry} {item['msg']}"
        elif kind == "labelstudio":
            text = f"{key}{shown if ctx.get('show_value') and not secret else ':'} {item['msg']}"
        elif kind == "missing":
            text = f"{key}: is required"
        elif kind == "extra_forbidden" and len(loc) == 1 and str(loc[0]).startswith(f"{NAMESPACE}:"):
            meant = str(loc[0])[len(NAMESPACE) + 1 :]
            text = f"{key}: is not a setting: a key is <namespace>:<name> with one ':'; did you mean {meant}?"
        elif kind == "extra_forbidden":
            parent = str(loc[0]) if len(loc) > 1 else None
            known = _NESTED.get(parent, []) if parent else [k for k in _TOP_LEVEL if ":" not in k]
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            text = f"{key}: is not a setting; {hint}known keys are {', '.join(known)}"
        elif kind == "literal_error":
            text = f"{key}{shown} must be one of {ctx.get('expected')}"
        elif kind in _WANTED:
            text = f"{key}{shown} must be {_WANTED[kind]}, not {_type_name(value)}"
        elif kind in ("bool_parsing", "int_parsing", "int_from_float"):
            text = f"{key}{shown} must be {'true or false' if kind == 'bool_parsing' else 'a whole number'}"
        else:
            text = f"{key}{shown}: {item['msg'][:1].lower()}{item['msg'][1:]}"
        if kind == "labelstudio" and secret and _repeats_part_of(item["msg"], data.get(str(loc[0]))):
            # The fix would spell out (part of) the secret value, e.g. a corrected origin.
            text = (
                f"{key}: is not valid; the details would repeat part of its value, which is secret: "
                f"check it with `pulumi config get {_key_name(loc[:1])}`"
            )
        problems.append(text)
    return problems


def _repeats_part_of(message: str, value: Any) -> bool:
    """Whether `message` contains any four characters in a row of a text inside `value`."""
    lowered = message.lower()
    pending: list[Any] = [value]
    texts: list[str] = []
    while pending and len(texts) < 1000:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            texts.append(item.lower()[:2000])
    return any(text[i : i + 4] in lowered for text in texts for i in range(len(text) - 3))


_WANTED = {
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "bool_type": "true or false",
    "int_type": "a whole number",
}
