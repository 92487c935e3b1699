"""Label Studio's storage vocabulary: what its image and chart call each storage fact.

The chart's name, repository and version, the service accounts it names after the release, the
environment variables Label Studio reads (env.list's included), and, for each storage type, the
chart key, env.list name and Secret key of every setting and credential. Every user of these
names imports them from here: the release's Helm values (components/kubernetes/chart.py), the
env.list for Docker Compose, the settings and the check clients. Plain data and pure functions;
importing it loads neither Pulumi nor pydantic.

Facts about chart 2.0.5 behind these names: service accounts default to `<release>-ls-app` and
`<release>-ls-rqworker`, and rqworker exists only when `enterprise.enabled`; the program sets the
names explicitly so trust policies always match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from components.names import dns_label_problem

CHART_NAME = "label-studio"
CHART_REPOSITORY = "https://charts.heartex.com/"
# The chart version a stack gets unless labelstudio:chartVersion says otherwise.
DEFAULT_CHART_VERSION = "2.0.5"

# Label Studio's own URL: links it builds (and the chart's notes) need it when no ingress is declared.
LABEL_STUDIO_HOST = "LABEL_STUDIO_HOST"
# How Label Studio's S3 backend signs the links it hands out (botocore's default may be SigV2).
S3_SIGNATURE_VERSION = "STORAGE_AWS_S3_SIGNATURE_VERSION"
# The chart's components that reach the storage, and the suffix of the service account each runs as.
SERVICE_ACCOUNT_SUFFIXES = {"app": "-ls-app", "rqworker": "-ls-rqworker"}
# The longest name the chart derives from the release, `<release>-ls-rqworker`, must stay a 63-character DNS label.
RELEASE_NAME_LIMIT = 63 - max(len(suffix) for suffix in SERVICE_ACCOUNT_SUFFIXES.values())

# Where the Docker Compose guide mounts a Google key file: `- ./key.json:/opt/heartex/secrets/key.json:ro`.
COMPOSE_KEY_PATH = "/opt/heartex/secrets/key.json"
# Where chart 2.0.5 mounts the Secret holding a Google key file, read-only, in the app (and rqworker)
# container; GOOGLE_APPLICATION_CREDENTIALS names the file under it by its key in that Secret.
CHART_GCS_KEY_DIR = "/opt/heartex/secrets/gcs"


# A private authority's certificate for the storage server: where it is mounted in the app (and
# rqworker) containers, or where the Docker Compose guide mounts it, and the variable botocore
# reads it from. The image's custom-certificate hook (`global.customCaCerts`) sets
# REQUESTS_CA_BUNDLE and SSL_CERT_FILE only, which botocore ignores.
AUTHORITY_DIR = "/opt/heartex/secrets/storage-ca"
AUTHORITY_PATH = f"{AUTHORITY_DIR}/ca.crt"
AUTHORITY_VARIABLE = "AWS_CA_BUNDLE"
AUTHORITY_VOLUME = "storage-ca"


class StorageKey(NamedTuple):
    """Where Label Studio reads one storage setting or credential."""

    chart_key: str  # key of global.persistence.config.<type>
    env_name: str  # env.list variable (Docker Compose)
    secret_key: str | None = None  # key in the credentials Secret; None for a setting the chart reads in its values
    # Whether the credential's value is a secret. An Azure account's name is handed over with its key
    # but is no secret (it is in every blob URL and the stack's outputs), so it is shown as it is.
    confidential: bool = True


# Label Studio's storage settings and credentials by storage type, under the names the storage
# components use (StorageFacts.settings and .credentials), in env.list order.
STORAGE_KEYS: dict[str, dict[str, StorageKey]] = {
    "s3": {
        "access_key_id": StorageKey("accessKey", "STORAGE_AWS_ACCESS_KEY_ID", "accesskey"),
        "secret_access_key": StorageKey("secretKey", "STORAGE_AWS_SECRET_ACCESS_KEY", "secretkey"),
        "bucket": StorageKey("bucket", "STORAGE_AWS_BUCKET_NAME"),
        "region": StorageKey("region", "STORAGE_AWS_REGION_NAME"),
        "folder": StorageKey("folder", "STORAGE_AWS_FOLDER"),
        # S3-compatible servers; with it botocore addresses the bucket path-style (<endpoint>/<bucket>/<key>).
        "endpoint_url": StorageKey("endpointUrl", "STORAGE_AWS_ENDPOINT_URL"),
    },
    "gcs": {
        "bucket": StorageKey("bucket", "STORAGE_GCS_BUCKET_NAME"),
        "project": StorageKey("projectID", "STORAGE_GCS_PROJECT_ID"),
        "folder": StorageKey("folder", "STORAGE_GCS_FOLDER"),
        # env.list names the key file's path (COMPOSE_KEY_PATH); the file itself is mounted.
        "credentials_json": StorageKey("applicationCredentialsJSON", "GOOGLE_APPLICATION_CREDENTIALS", "key_json"),
    },
    "azure": {
        "account_name": StorageKey(
            "storageAccountName", "STORAGE_AZURE_ACCOUNT_NAME", "storageaccountname", confidential=False
        ),
        "account_key": StorageKey("storageAccountKey", "STORAGE_AZURE_ACCOUNT_KEY", "storageaccountkey"),
        "container": StorageKey("containerName", "STORAGE_AZURE_CONTAINER_NAME"),
        "folder": StorageKey("folder", "STORAGE_AZURE_FOLDER"),
    },
}
# What env.list carries instead of a credential's value.
ENV_LIST_VALUES = {("gcs", "credentials_json"): COMPOSE_KEY_PATH}

# Chart keys that carry credentials, on every cloud; they never appear in plain values.
CREDENTIAL_CHART_KEYS = frozenset(
    key.chart_key for keys in STORAGE_KEYS.values() for key in keys.values() if key.secret_key
)


def service_account_names(release: str, enterprise: bool) -> dict[str, str]:
    """The chart's service accounts that reach the storage, by chart component; rqworker runs only in Enterprise."""
    components = ("app", "rqworker") if enterprise else ("app",)
    return {component: f"{release}{SERVICE_ACCOUNT_SUFFIXES[component]}" for component in components}


def release_name_problem(release: str) -> str | None:
    """Why `release` cannot name the Helm release, or None: the chart's service accounts are named after it."""
    found = dns_label_problem(release, RELEASE_NAME_LIMIT)
    return f"{found} (the chart's service accounts are named after it)" if found else None


def confidential(storage_type: str, credential: str) -> bool:
    """Whether a credential's value is a secret (an Azure account's name, handed over with its key, is not)."""
    key = STORAGE_KEYS.get(storage_type, {}).get(credential)
    return key.confidential if key else True


def storage_environment(storage_type: str) -> dict[str, str]:
    """Variables Label Studio needs for this storage type that the chart has no persistence key for.

    botocore presigns with SigV2 in regions that still accept it unless told otherwise; S3
    refuses SigV2 for buckets created after June 2020 and for SSE-KMS objects, so every link
    Label Studio hands out would fail. Its S3 backend reads this variable.
    """
    return {S3_SIGNATURE_VERSION: "s3v4"} if storage_type == "s3" else {}


def authority_environment(authority: Mapping[str, Any] | None) -> dict[str, str]:
    """AWS_CA_BUNDLE at the mounted certificate, when the storage's server has a private authority."""
    return {AUTHORITY_VARIABLE: AUTHORITY_PATH} if authority else {}


def label_studio_environment(storage_environment: Mapping[str, Any], host: str | None) -> dict[str, Any]:
    """Variables every Label Studio container needs beside the persistence settings.

    The chart gets them as `global.extraEnvironmentVars` (app, rqworker and migration job alike),
    Docker Compose as env.list lines.
    """
    environment = dict(storage_environment)
    if host:
        environment[LABEL_STUDIO_HOST] = host
    return environment
