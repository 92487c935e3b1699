"""The release's Helm values, as plain data and pure functions: the persistence block, service
accounts, mounts and environment Label Studio needs, merged with the user's own values, and the
rules those values must keep. The names they are written with (chart keys, Secret keys, service
accounts) are Label Studio's vocabulary, in components/label_studio.py.

Facts about chart 2.0.5 that shape these values:
- `global.persistence.config.<type>` rejects unknown keys, and `urlExpirationSecs` is a string;
- credentials are read from an existing Secret only when both `<key>ExistingSecret` and
  `<key>ExistingSecretKey` are set; half a pair makes the pods fail (or, on gcs, silently
  ignores the key), so the pair is always written whole.

Leaves may be any value, Pulumi Outputs included: nothing here looks inside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.label_studio import (
    AUTHORITY_DIR,
    AUTHORITY_PATH,
    AUTHORITY_VOLUME,
    CREDENTIAL_CHART_KEYS,
    LABEL_STUDIO_HOST,
    S3_SIGNATURE_VERSION,
    STORAGE_KEYS,
)


def chart_settings(storage_type: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Storage settings under their keys of global.persistence.config.<type>."""
    keys = STORAGE_KEYS[storage_type]
    return {keys[name].chart_key: value for name, value in settings.items()}


def chart_credentials(storage_type: str, credentials: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Credentials by chart key, each with its key in the credentials Secret."""
    keys = STORAGE_KEYS[storage_type]
    return {keys[name].chart_key: (str(keys[name].secret_key), value) for name, value in credentials.items()}


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
