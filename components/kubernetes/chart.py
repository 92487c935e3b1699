"""Everything this project knows about the Label Studio chart, as plain data and pure functions.

The chart's name and repository, its value keys, the service accounts it creates and the
environment variables Label Studio reads beside its persistence settings live here and nowhere
else; the storage components only learn which workloads to trust.

Facts about chart 2.0.5 that shape these values:
- `global.persistence.config.<type>` rejects unknown keys, and `urlExpirationSecs` is a string;
- credentials are read from an existing Secret only when both `<key>ExistingSecret` and
  `<key>ExistingSecretKey` are set; half a pair makes the pods fail (or, on gcs, silently
  ignores the key), so the pair is always written whole;
- service accounts default to `<release>-ls-app` and `<release>-ls-rqworker`, and rqworker exists
  only when `enterprise.enabled`; we set the names explicitly so trust policies always match.

Leaves may be any value, Pulumi Outputs included: nothing here looks inside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

CHART_NAME = "label-studio"
CHART_REPOSITORY = "https://charts.heartex.com/"

# Label Studio's own URL: links it builds (and the chart's notes) need it when no ingress is declared.
LABEL_STUDIO_HOST = "LABEL_STUDIO_HOST"
# How Label Studio's S3 backend signs the links it hands out (botocore's default may be SigV2).
S3_SIGNATURE_VERSION = "STORAGE_AWS_S3_SIGNATURE_VERSION"
# The chart's components that reach the storage, and the suffix of the service account each runs as.
SERVICE_ACCOUNT_SUFFIXES = {"app": "-ls-app", "rqworker": "-ls-rqworker"}

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


def chart_settings(storage_type: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Storage settings under their keys of global.persistence.config.<type>."""
    keys = STORAGE_KEYS[storage_type]
    return {keys[name].chart_key: value for name, value in settings.items()}


def chart_credentials(storage_type: str, credentials: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Credentials by chart key, each with its key in the credentials Secret."""
    keys = STORAGE_KEYS[storage_type]
    return {keys[name].chart_key: (str(keys[name].secret_key), value) for name, value in credentials.items()}


def storage_environment(storage_type: str) -> dict[str, str]:
    """Variables Label Studio needs for this storage type that the chart has no persistence key for.

    botocore presigns with SigV2 in regions that still accept it unless told otherwise; S3
    refuses SigV2 for buckets created after June 2020 and for SSE-KMS objects, so every link
    Label Studio hands out would fail. Its S3 backend reads this variable.
    """
    return {S3_SIGNATURE_VERSION: "s3v4"} if storage_type == "s3" else {}


def env_list_lines(
    storage_type: str,
    settings: Mapping[str, Any],
    credentials: Mapping[str, Any],
    host: str | None,
    authority: Mapping[str, Any] | None = None,
) -> list[tuple[str, Any]]:
    """The env.list lines for Docker Compose: the storage type, its settings and credentials, and
    the variables every Label Studio container needs (AWS_CA_BUNDLE where the compose guide mounts
    a private authority's certificate)."""
    values = {**settings, **credentials}
    lines: list[tuple[str, Any]] = [("STORAGE_TYPE", storage_type)]
    for name, key in STORAGE_KEYS[storage_type].items():
        if name in values:
            lines.append((key.env_name, ENV_LIST_VALUES.get((storage_type, name), values[name])))
    environment = {**storage_environment(storage_type), **authority_environment(authority)}
    return lines + list(label_studio_environment(environment, host).items())


def authority_environment(authority: Mapping[str, Any] | None) -> dict[str, str]:
    """AWS_CA_BUNDLE at the mounted certificate, when the storage's server has a private authority."""
    return {AUTHORITY_VARIABLE: AUTHORITY_PATH} if authority else {}


def authority_values(authority: Mapping[str, Any] | None, enterprise: bool) -> dict[str, Any]:
    """The certificate's ConfigMap or Secret mounted read-only at AUTHORITY_DIR, in the app and (Enterprise)
    the rqworker pods: `<component>.extraVolumes` and `.extraVolumeMounts`."""
    if not authority:
        return {}
    items = [{"key": authority["key"], "path": AUTHORITY_PATH.rsplit("/", 1)[1]}]
    if authority["kind"] == "secret":
        volume = {"name": AUTHORITY_VOLUME, "secret": {"secretName": authority["name"], "items": items}}
    else:
        volume = {"name": AUTHORITY_VOLUME, "configMap": {"name": authority["name"], "items": items}}
    mount = {"name": AUTHORITY_VOLUME, "mountPath": AUTHORITY_DIR, "readOnly": True}
    components = ("app", "rqworker") if enterprise else ("app",)
    return {component: {"extraVolumes": [volume], "extraVolumeMounts": [mount]} for component in components}


def service_account_names(release: str, enterprise: bool) -> dict[str, str]:
    """The chart's service accounts that reach the storage, by chart component; rqworker runs only in Enterprise."""
    components = ("app", "rqworker") if enterprise else ("app",)
    return {component: f"{release}{SERVICE_ACCOUNT_SUFFIXES[component]}" for component in components}


def label_studio_environment(storage_environment: Mapping[str, Any], host: str | None) -> dict[str, Any]:
    """Variables every Label Studio container needs beside the persistence settings.

    The chart gets them as `global.extraEnvironmentVars` (app, rqworker and migration job alike),
    Docker Compose as env.list lines.
    """
    environment = dict(storage_environment)
    if host:
        environment[LABEL_STUDIO_HOST] = host
    return environment


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` merged into a copy of `base`; nested mappings merge, anything else replaces."""
    merged: dict[str, Any] = {key: _copy(value) for key, value in base.items()}
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = _copy(value)
    return merged


def _copy(value: Any) -> Any:
    """A copy of the containers, sharing the leaves (which may be Outputs, which cannot be copied)."""
    if isinstance(value, Mapping):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def persistence_values(
    persistence_type: str,
    config: Mapping[str, Any],
    credentials: Mapping[str, Any],
    credentials_style: str | None,
    secret_name: str | None = None,
    secret_keys: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The `global.persistence` block.

    `credentials` maps chart keys (accessKey, ...) to values; with style "secret" they are
    replaced by references to `secret_name`, under the keys in `secret_keys`.
    """
    block: dict[str, Any] = dict(config)
    if credentials_style == "inline":
        block.update(credentials)
    elif credentials_style == "secret":
        if not secret_name or not secret_keys or set(secret_keys) != set(credentials):
            raise ValueError("a secret reference needs the secret's name and a key for every credential")
        for chart_key in credentials:
            block[f"{chart_key}ExistingSecret"] = secret_name
            block[f"{chart_key}ExistingSecretKey"] = secret_keys[chart_key]
    elif credentials:
        raise ValueError(f"credentials given without a style: {sorted(credentials)}")
    return {"enabled": True, "type": persistence_type, "config": {persistence_type: block}}


def service_account_values(names: Mapping[str, str], annotations: Mapping[str, Any]) -> dict[str, Any]:
    """`<component>.serviceAccount` for each chart component (app, rqworker), created by the chart."""
    return {
        component: {"serviceAccount": {"create": True, "name": name, "annotations": dict(annotations)}}
        for component, name in names.items()
    }


def label_studio_values(
    *,
    persistence: Mapping[str, Any],
    service_accounts: Mapping[str, str],
    annotations: Mapping[str, Any],
    enterprise: bool,
    user_values: Mapping[str, Any],
    environment: Mapping[str, Any] | None = None,
    volumes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The release's values: the user's, with ours winning on persistence, service accounts and
    the environment we set (`global.extraEnvironmentVars` reaches every Label Studio container).
    `volumes`: `<component>.extraVolumes`/`.extraVolumeMounts` of ours, added after the user's."""
    ours: dict[str, Any] = {"global": {"persistence": dict(persistence)}}
    if environment:
        ours["global"]["extraEnvironmentVars"] = dict(environment)
    ours.update(service_account_values(service_accounts, annotations))
    for component, lists in (volumes or {}).items():
        theirs = user_values.get(component)
        for key, items in lists.items():
            given = theirs.get(key) if isinstance(theirs, Mapping) else None
            ours.setdefault(component, {})[key] = [*(given if isinstance(given, list) else []), *items]
    if enterprise:
        ours["enterprise"] = {"enabled": True}
    return deep_merge(user_values, ours)


# Settings of the program that the chart's persistence keys are written from: a helmValues key for one
# would be overwritten (ours win), so it is refused naming the setting to use.
OWNED_PERSISTENCE_KEYS = {
    "enabled": "labelstudio:cloud",
    "type": "labelstudio:cloud",
    "bucket": "labelstudio:bucket",
    "containerName": "labelstudio:bucket",
    "folder": "labelstudio:folder",
    "region": "aws:region (labelstudio:s3-compatible.region on an S3-compatible server)",
    "projectID": "gcp:project",
    "endpointUrl": "labelstudio:s3-compatible.endpointUrl",
}
# Environment variable names that hold a credential; in plain helmValues they would sit in the stack
# file, the state and the plan in clear text.
_CREDENTIAL_NAME = ("SECRET", "PASSWORD", "TOKEN", "ACCESS_KEY", "ACCOUNT_KEY", "PRIVATE_KEY")


# global.pgConfig's keys chart 2.0.5 requires once its bundled PostgreSQL is off.
_DATABASE_KEYS = ("host", "dbName", "userName", "password.secretName", "password.secretKey")


def chart_check_warnings(user_values: Mapping[str, Any], enterprise: bool) -> list[str]:
    """What chart 2.0.5's own configuration check (templates/_checkConfig.tpl) refuses: `helm install`
    fails on it after the storage is made, so the plan says so before anything is declared. Warnings,
    not refusals: a chart from chartPath or a mirror may check otherwise. The chart's own switches are
    honoured: `ci` (its bundled databases allowed) and `checkConfig.skipEnvValues` (no database or
    Redis required)."""
    warnings = []
    ci = _dig(user_values, "ci") is True
    skip_env = _dig(user_values, "checkConfig", "skipEnvValues") is True
    bundled_postgres = _dig(user_values, "postgresql", "enabled") is not False  # the chart's default: on
    bundled_redis = _dig(user_values, "redis", "enabled") is True  # the chart's default: off
    redis_host = _dig(user_values, "global", "redisConfig", "host")
    if enterprise and not ci and (bundled_postgres or bundled_redis):
        bundled = [name for name, on in (("postgresql", bundled_postgres), ("redis", bundled_redis)) if on]
        warnings.append(
            f"leaves the chart's bundled {' and '.join(bundled)} on, which chart 2.0.5 refuses for Label Studio "
            'Enterprise ("provided Helm chart dependencies should be used only for CI purposes"); set '
            + " and ".join(f"{name}.enabled: false" for name in bundled)
            + (" with global.pgConfig naming your database" if bundled_postgres else "")
            + (" and global.redisConfig.host naming your Redis" if bundled_redis else "")
        )
    if enterprise and not skip_env and not bundled_redis and not redis_host:
        warnings.append(
            "names no Redis, which chart 2.0.5 requires for Label Studio Enterprise (its queues): set "
            "global.redisConfig.host (e.g. redis://redis.example.internal:6379/1)"
        )
    if not skip_env and not bundled_postgres:
        missing = [key for key in _DATABASE_KEYS if not _dig(user_values, "global", "pgConfig", *key.split("."))]
        if missing:
            warnings.append(
                "turns the chart's bundled PostgreSQL off without naming the database chart 2.0.5 then "
                f"requires: set {', '.join(f'global.pgConfig.{key}' for key in missing)}"
            )
    tls_secret = _dig(user_values, "global", "redisConfig", "ssl", "redisSslSecretName")
    if enterprise and tls_secret and not str(redis_host or "").startswith("rediss://"):
        warnings.append(
            "sets global.redisConfig.ssl.redisSslSecretName but global.redisConfig.host does not start with "
            "rediss://, which chart 2.0.5 requires for Redis over TLS"
        )
    return [f"labelstudio:helmValues {w}" for w in warnings]


def user_values_problems(
    user_values: Mapping[str, Any], enterprise: bool, host: str | None = None, secret: bool = False
) -> list[str]:
    """What in the user's extra chart values would break storage access or leak a credential
    (`secret`: the stack file holds helmValues as a secure value)."""
    problems = []
    environment = _dig(user_values, "global", "extraEnvironmentVars")
    environment = environment if isinstance(environment, Mapping) else {}
    credentials = sorted(
        name for name in environment if isinstance(name, str) and any(word in name.upper() for word in _CREDENTIAL_NAME)
    )
    if credentials and not secret:
        problems.append(
            f"puts credentials ({', '.join(credentials)}) in plain text under global.extraEnvironmentVars; "
            "make helmValues a secret value (`pulumi config set --secret --path 'labelstudio:helmValues...'`) "
            "or use global.extraEnvironmentSecrets with a Secret of your own"
        )
    persistence = _dig(user_values, "global", "persistence")
    owned = []
    if isinstance(persistence, Mapping):
        owned += [f"global.persistence.{key}" for key in ("enabled", "type") if key in persistence]
        config = persistence.get("config")
        for storage_type, block in config.items() if isinstance(config, Mapping) else ():
            owned += [
                f"global.persistence.config.{storage_type}.{key}"
                for key in (block if isinstance(block, Mapping) else ())
                if key in OWNED_PERSISTENCE_KEYS
            ]
    for key in owned:
        setting = OWNED_PERSISTENCE_KEYS[key.rsplit(".", 1)[-1]]
        problems.append(f"sets {key}, which this program writes from {setting}; remove it and set {setting}")
    user_host = environment.get(LABEL_STUDIO_HOST)
    if host and user_host is not None and user_host != host:
        problems.append(
            f"sets global.extraEnvironmentVars.{LABEL_STUDIO_HOST} while labelstudio:host is set; "
            "remove it from helmValues: this program passes labelstudio:host on"
        )
    signature = environment.get(S3_SIGNATURE_VERSION)
    if signature is not None and signature != "s3v4":
        problems.append(
            f"sets global.extraEnvironmentVars.{S3_SIGNATURE_VERSION} to something other than s3v4; S3 refuses links "
            "that are not signed with s3v4 for new buckets and SSE-KMS objects, so remove it"
        )
    chart_enterprise = _dig(user_values, "enterprise", "enabled")
    if chart_enterprise is not None and chart_enterprise is not enterprise:
        problems.append(
            f"sets enterprise.enabled to something other than labelstudio:enterprise "
            f"({str(enterprise).lower()}); set labelstudio:enterprise instead, so that the rqworker "
            "service account gets storage access too"
        )
    config = _dig(user_values, "global", "persistence", "config")
    blocks = config.values() if isinstance(config, Mapping) else ()
    leaked = sorted({key for block in blocks if isinstance(block, Mapping) for key in block} & CREDENTIAL_CHART_KEYS)
    if leaked:
        problems.append(
            f"puts storage credentials ({', '.join(leaked)}) in plain stack configuration under "
            "global.persistence.config; remove them: this program creates the credentials and passes them on"
        )
    return problems


def _dig(values: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(values, Mapping):
            return None
        values = values.get(key)
    return values
