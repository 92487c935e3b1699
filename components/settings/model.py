"""The stack's contract: every `labelstudio:*` setting, typed, checked once, all problems at once.

Pulumi hands a program its configuration as strings (objects and lists JSON-encoded). The
model turns that into typed settings, and `load_settings` reports every problem in one
message that names the key, the bad value and what would be valid, so a stack file can be
fixed in one pass and no resource is declared from a half-valid configuration.

The contract has three parts: the name rules every cloud shares (components/names.py), the
models (here: the settings every cloud shares; each cloud's object, provider key and rules in
`components/<cloud>/settings.py`, found through components/registry.py) and the problem
reports (components/settings/problems.py).
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, ValidationInfo, create_model, field_validator

from components import registry
from components.arguments import FOUND_STORAGE_MODES, STORAGE_MODES, StorageMode, force_destroy_problem
from components.kubernetes.chart import chart_check_warnings, user_values_problems
from components.kubernetes.chart_source import chart_repository_problem, local_chart_problem
from components.label_studio import (
    CHART_REPOSITORY,
    DEFAULT_CHART_VERSION,
    SERVICE_ACCOUNT_SUFFIXES,
    release_name_problem,
)
from components.names import (
    ORIGIN_EXAMPLE,
    dns_label_problem,
    folder_problem,
    origin_problem,
    url_may_hold_password,
    web_address,
)
from components.settings.cloud import CloudSettings, Model, ProviderKey
from components.settings.problems import (
    NAMESPACE,
    SettingsError,
    checked,
    decode_strings,
    describe,
    json_value_problem,
    problem,
    setting_name,
)

# NAMESPACE and SettingsError are re-exported: the program and its tests meet them here.
__all__ = [
    "NAMESPACE",
    "Settings",
    "SettingsError",
    "cloud_settings",
    "decode_config",
    "load_settings",
    "provider_keys",
    "settings_model",
]

Target = Literal["kubernetes", "compose"]
CredentialStyle = Literal["secret", "inline"]

_CHART_VERSION = re.compile(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", re.ASCII)


def cloud_settings(cloud: str) -> CloudSettings:
    """The registered cloud's part of the contract (its `settings.CLOUD`)."""
    return registry.cloud_settings(cloud)


def object_field(cloud: str) -> str:
    """The stack model's field for `labelstudio:<cloud>` (a cloud's name may hold '-')."""
    return cloud.replace("-", "_")


def object_key(cloud: str) -> str:
    """How the stack file names the cloud's object: its field's alias, else the cloud's name."""
    return cloud_settings(cloud).field.alias or cloud


def provider_keys() -> tuple[str, ...]:
    """The provider settings the registered clouds read, e.g. `aws:region`."""
    keys = (cloud_settings(cloud).provider_key for cloud in registry.BACKENDS)
    return tuple(key.key for key in keys if key)


# Settings of the Helm release; a compose stack that sets one is refused, not silently ignored.
KUBERNETES_ONLY = (
    "namespace",
    "create_namespace",
    "release",
    "chart_version",
    "chart_repository",
    "chart_path",
    "enterprise",
    "helm_values",
)


def _access_modes_text() -> tuple[str, str]:
    """How the settings reference (docs, Pulumi.yaml) words the access modes and their default."""
    rules = [cloud_settings(cloud) for cloud in registry.BACKENDS]
    modes = "; ".join(f"{cloud.title}: " + ", ".join(f"`{mode}`" for mode in cloud.access_modes) for cloud in rules)
    default = (
        " / ".join(f"`{cloud.access_modes[0]}`" for cloud in rules)
        + " on kubernetes; compose always uses the mode with keys"
    )
    return modes, default


_ACCESS_MODES_TEXT, _DEFAULT_ACCESS_TEXT = _access_modes_text()


class Settings(Model):
    """The stack contract's settings every cloud shares. Field order matters: later checks read
    earlier fields. `settings_model()` adds each registered cloud's provider key and object."""

    cloud: str = Field(
        description="`aws`, `gcp`, `azure`, or `s3-compatible` (MinIO, Ceph, ...): what holds the storage",
        json_schema_extra={"prompt": "What holds the storage: aws, gcp, azure or s3-compatible"},
    )
    target: Target = Field(
        "kubernetes",
        description="`kubernetes` (Helm release) or `compose` (env.list output)",
        json_schema_extra={"prompt": "Where Label Studio runs: kubernetes (a Helm release) or compose (an env.list)"},
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
    storage: StorageMode = Field(
        None,  # type: ignore[arg-type]  # the cloud's default, set by _storage
        validate_default=True,
        description="`create` the storage; use an `existing` bucket (or account and container) as it is, "
        "declaring only access and the Label Studio wiring; or `adopt` it: import it into the stack, "
        "protected, and harden it like a created one",
        json_schema_extra={"default_doc": "`create`; `existing` with cloud `s3-compatible` (its only mode)"},
    )
    bucket: str = Field(
        description="the S3 or Cloud Storage bucket, or the Azure blob container (created, existing or adopted, "
        "as `storage` says)",
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
    manage_cors: bool | None = Field(
        None,
        validate_default=True,
        description="declare the storage's CORS rules; on existing or adopted storage `true` replaces its "
        "CORS rules wholesale (the clouds' APIs have no merge)",
        json_schema_extra={"default_doc": "`true` with storage `create`, `false` with `existing` and `adopt`"},
    )
    namespace: str = Field("label-studio", description="Kubernetes namespace")
    create_namespace: bool = Field(True, description="create the namespace (`false` when it already exists)")
    release: str = Field(
        "label-studio",
        description="Helm release name; the chart's service accounts are "
        + " and ".join(f"`<release>{suffix}`" for suffix in SERVICE_ACCOUNT_SUFFIXES.values()),
    )
    chart_version: str = Field(DEFAULT_CHART_VERSION, description="Label Studio chart version")
    chart_repository: str | None = Field(
        None,
        description="where the chart comes from, for clusters that cannot reach Label Studio's repository: "
        "a mirror (`https://…`, a Helm repository) or an OCI registry (`oci://registry/path`, the chart "
        "being `<path>/label-studio`)",
        json_schema_extra={"default_doc": f"`{CHART_REPOSITORY}`"},
    )
    chart_path: str | None = Field(
        None,
        description="a local copy of the chart instead of a repository: its unpacked folder (holding "
        "`Chart.yaml`) or its `.tgz`, relative to the project's folder; it must hold `chartVersion`",
    )
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

    _stack_references: dict[str, Any] = PrivateAttr(default_factory=dict)

    # -- access and credentials ----------------------------------------------------------------

    @field_validator("access")
    @classmethod
    def _access(cls, value: str | None, info: ValidationInfo) -> str | None:
        cloud, target = info.data.get("cloud"), info.data.get("target")
        if cloud is None or "target" not in info.data:
            return value  # cloud or target is invalid and reported; the mode depends on both
        rules = cloud_settings(cloud)
        modes, keyed = rules.access_modes, rules.keyed_access
        if value is None:
            return keyed if target == "compose" else modes[0]
        if value not in modes:
            why = f" ({rules.access_why})" if rules.access_why else ""
            raise problem(f"is not an access mode for cloud {cloud}; use {' or '.join(modes)}{why}")
        if target == "compose" and value != keyed:
            raise problem(
                f"cannot be used with target compose: Docker Compose runs outside any cluster, so it "
                f"needs {keyed}; remove labelstudio:access or set it to {keyed}"
            )
        return value

    @field_validator("credentials")
    @classmethod
    def _credentials(cls, value: str | None, info: ValidationInfo) -> str | None:
        cloud, access, target = info.data.get("cloud"), info.data.get("access"), info.data.get("target")
        if cloud is None or access is None:
            return value
        keyed = cloud_settings(cloud).keyed_access
        if access != keyed:
            if value is not None:
                raise problem(
                    f"has no effect with access {access}, which hands out no keys; remove it "
                    f"(it applies to access {keyed} only)"
                )
            return None
        if target == "compose":
            return None  # env.list always carries the keys; see warnings()
        return value or "secret"

    # -- storage names ---------------------------------------------------------------------------

    @field_validator("storage", mode="before")
    @classmethod
    def _storage(cls, value: Any, info: ValidationInfo) -> Any:
        cloud = info.data.get("cloud")
        if cloud is None:
            return "create" if value is None else value
        rules = cloud_settings(cloud)
        if value is None:
            return rules.storage_modes[0]
        if isinstance(value, str) and value in STORAGE_MODES and value not in rules.storage_modes:
            modes = " or ".join(rules.storage_modes)
            why = f": {rules.storage_why}" if rules.storage_why else ""
            raise problem(f"is not a storage mode of cloud {cloud}; use {modes}{why}")
        return value

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, value: str, info: ValidationInfo) -> str:
        cloud = info.data.get("cloud")
        return checked(cloud_settings(cloud).bucket_problem(value) if cloud else None, value)

    @field_validator("force_destroy")
    @classmethod
    def _force_destroy(cls, value: bool, info: ValidationInfo) -> bool:
        cloud = info.data.get("cloud")
        checked(cloud_settings(cloud).force_destroy_problem if cloud else None, value)
        return checked(force_destroy_problem(str(info.data.get("storage")), value, "labelstudio:storage"), value)

    @field_validator("folder")
    @classmethod
    def _folder(cls, value: str) -> str:
        return checked(folder_problem(value), value)

    @field_validator("host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value is None:
            return value
        address = web_address(value)
        if isinstance(address, str):
            raise problem(
                f"{address} (it is Label Studio's public URL, {ORIGIN_EXAMPLE})",
                show_value=not url_may_hold_password(value),
            )
        parts, _ = address
        if not value.isascii():
            raise problem("has non-ASCII characters in its path; write them percent-encoded, as browsers send them")
        if parts.query or parts.fragment:
            raise problem(f"is not Label Studio's public URL: it has no query or fragment; {ORIGIN_EXAMPLE}")
        # The rule corsOrigins follows: spelled as browsers send it (lowercase host, no default port),
        # and no trailing '/': Label Studio builds its links from LABEL_STUDIO_HOST as written.
        fixed = address[1] + parts.path.rstrip("/")
        if value != fixed:
            raise problem(
                "is not written the way browsers send it (no default port, lowercase host, no trailing '/'); "
                f"Label Studio builds its links from it as written, so write {fixed}"
            )
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if not value:
            if "host" not in info.data:
                return value  # host itself is invalid and reported; do not pile on
            host = info.data["host"]
            if host is None:
                raise problem(
                    "is empty and labelstudio:host is not set; browsers upload straight to storage, so "
                    "set labelstudio:host to Label Studio's URL or list the origins in labelstudio:corsOrigins"
                )
            address = web_address(host)
            return [] if isinstance(address, str) else [address[1]]
        for index, origin in enumerate(value):
            checked(origin_problem(origin), origin, str(index), not url_may_hold_password(origin))
        return list(dict.fromkeys(value))

    @field_validator("manage_cors")
    @classmethod
    def _manage_cors(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        cloud = info.data.get("cloud")
        refused = cloud_settings(cloud).manage_cors_problem if cloud else None
        if value and refused:
            raise problem(f"cannot be true with cloud {cloud}: {refused}")
        if value is not None:
            return value
        storage = info.data.get("storage")
        return None if storage is None else storage == "create" and not refused

    # -- Kubernetes ------------------------------------------------------------------------------

    @field_validator(*KUBERNETES_ONLY, mode="before")
    @classmethod
    def _kubernetes_only(cls, value: Any, info: ValidationInfo) -> Any:
        # Runs only for a value the stack sets (these fields do not validate their defaults).
        if info.data.get("target") == "compose":
            raise problem(
                "applies to target kubernetes only; Docker Compose has no namespace, release or chart, "
                "so remove it (or set labelstudio:target to kubernetes)",
                show_value=False,
            )
        return value

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        return checked(dns_label_problem(value), value)

    @field_validator("release")
    @classmethod
    def _release(cls, value: str) -> str:
        return checked(release_name_problem(value), value)

    @field_validator("helm_values")
    @classmethod
    def _helm_values(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        secret = "helmValues" in ((info.context or {}).get("secret_keys") or ())
        problems = user_values_problems(value, bool(info.data.get("enterprise")), info.data.get("host"), secret)
        if problems:
            raise problem("; and it ".join(problems), show_value=False)
        return value

    @field_validator("chart_version")
    @classmethod
    def _chart_version(cls, value: str) -> str:
        if not _CHART_VERSION.fullmatch(value):
            raise problem(f"is not a chart version; use a semantic version such as {DEFAULT_CHART_VERSION}")
        return value

    @field_validator("chart_repository")
    @classmethod
    def _chart_repository(cls, value: str | None) -> str | None:
        found = chart_repository_problem(value) if value is not None else None
        return checked(found, value, show_value=not url_may_hold_password(value or ""))

    @field_validator("chart_path")
    @classmethod
    def _chart_path(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("chart_repository"):
            raise problem(
                "and labelstudio:chartRepository are both set; the chart comes from one place: keep the one you mean"
            )
        version = info.data.get("chart_version")
        found = local_chart_problem(value, version, "labelstudio:chartVersion") if value and version else None
        if value is not None and not value.strip():
            found = "is empty; give the chart's folder or .tgz, or remove the setting"
        return checked(found, value)

    # -- derived facts ---------------------------------------------------------------------------

    def stack_reference(self, stack: str) -> Any:
        """The one `pulumi.StackReference` to `stack` in this run of the program, which settings
        given as `{fromStack: stack, output: ...}` read their values from."""
        if stack not in self._stack_references:
            import pulumi

            self._stack_references[stack] = pulumi.StackReference(stack)
        return self._stack_references[stack]

    @property
    def cloud_object(self) -> Any:
        """The chosen cloud's object (`labelstudio:<cloud>`), e.g. components.aws.settings.AwsSettings."""
        return getattr(self, object_field(self.cloud))

    @property
    def provider_setting(self) -> str | None:
        """The chosen cloud's provider setting, e.g. the value of `aws:region`."""
        key = cloud_settings(self.cloud).provider_key
        return getattr(self, key.field_name) if key else None


def _provider_key_check(cloud: str, key: ProviderKey) -> Any:
    """The validator of `cloud`'s provider setting: required by that cloud only."""

    def check(cls: type[Settings], value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("cloud") != cloud:
            return value
        if value is None:
            raise problem(f"is required for cloud {cloud}; {key.how_to_set}")
        return checked(key.problem(value), value)

    return field_validator(key.field_name)(check)


def _object_check(cloud: str, rules: CloudSettings) -> Any:
    """The validator of `labelstudio:<cloud>`: only for that cloud, complete for the access mode,
    and consistent with the provider setting."""

    def check(cls: type[Settings], value: Any, info: ValidationInfo) -> Any:
        chosen = info.data.get("cloud")
        if chosen is None:
            return value
        if chosen != cloud:
            if value is not None:
                raise problem(
                    f"applies to cloud {cloud} only, and this stack's cloud is {chosen}; remove labelstudio:{cloud}"
                )
            return None
        value = value if value is not None else rules.model()
        access = info.data.get("access")
        required = rules.required_for_access.get(access) if access else None
        if required and getattr(value, required.name) is None:
            alias = rules.model.model_fields[required.name].alias
            raise problem(
                f"is required with access {access}{_defaulted_access(info)}; "
                f"set it to {required.what}{_other_modes(rules, str(access))}",
                alias,
            )
        storage = info.data.get("storage")
        for required in rules.required_for_existing if storage in FOUND_STORAGE_MODES else ():
            if getattr(value, required.name) is None:
                alias = rules.model.model_fields[required.name].alias
                raise problem(f"is required with labelstudio:storage {storage}; set it to {required.what}", alias)
        provider_value = info.data.get(rules.provider_key.field_name) if rules.provider_key else None
        found = rules.object_problem(value, provider_value) if rules.object_problem else None
        if not found and rules.settings_problem:
            secret = object_key(cloud) in ((info.context or {}).get("secret_keys") or ())
            found = rules.settings_problem(value, info.data, secret)
        if found:
            raise problem(found[1], found[0])  # about a key of the object, whose value is not shown
        return value

    return field_validator(object_field(cloud))(check)


def _defaulted_access(info: ValidationInfo) -> str:
    """`(the default...)` when the stack file does not set labelstudio:access, else nothing."""
    given = (info.context or {}).get("given")
    if given is None or "access" in given:
        return ""
    return " (the default access mode on target kubernetes: labelstudio:access is not set)"


def _other_modes(rules: CloudSettings, access: str) -> str:
    """The fix that avoids the setting: another access mode, each with what it needs."""
    others = []
    for mode in rules.access_modes:
        if mode == access:
            continue
        needs = rules.required_for_access.get(mode)
        alias = rules.model.model_fields[needs.name].alias if needs else None
        others.append(
            f"{mode} (needs {alias})" if alias else f"{mode} (hands out keys)" if mode == rules.keyed_access else mode
        )
    return f", or set labelstudio:access to another mode: {', '.join(others)}" if others else ""


_MODELS: dict[tuple[tuple[str, str], ...], type[Settings]] = {}


def settings_model() -> type[Settings]:
    """The whole stack contract for the registered clouds: Settings, with `cloud` one of them,
    each cloud's provider setting (`aws:region`) and each cloud's object (`labelstudio:aws`)."""
    registered = tuple(registry.BACKENDS.items())
    if registered not in _MODELS:
        clouds = {cloud: cloud_settings(cloud) for cloud in registry.BACKENDS}
        choice = Literal.__getitem__(tuple(clouds))  # type: ignore[attr-defined]
        fields: dict[str, Any] = {"cloud": (choice, copy.copy(Settings.model_fields["cloud"]))}
        validators = {}
        for cloud, rules in clouds.items():
            if rules.provider_key:
                key = rules.provider_key
                fields[key.field_name] = (str | None, copy.copy(key.field))
                validators[f"_{cloud}_provider_key"] = _provider_key_check(cloud, key)
        for cloud, rules in clouds.items():
            fields[object_field(cloud)] = (rules.model | None, copy.copy(rules.field))
            validators[f"_{object_field(cloud)}_object"] = _object_check(cloud, rules)
        _MODELS[registered] = create_model(
            "Settings", __base__=Settings, __module__=__name__, __validators__=validators, **fields
        )
    return _MODELS[registered]


def decode_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Pulumi's string-encoded configuration as the values written in the stack file."""
    return decode_strings(raw, {"corsOrigins", "helmValues", *map(object_key, registry.BACKENDS)})


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
    model = settings_model()
    try:
        settings = model.model_validate(data, context={"secret_keys": secret_keys, "given": frozenset(data)})
    except ValidationError as error:
        raise SettingsError(describe(error, data, secret_keys, model)) from None
    warnings = []
    if settings.target == "compose" and data.get("credentials") is not None:
        warnings.append("labelstudio:credentials has no effect with target compose: env.list always carries the keys")
    rules = cloud_settings(settings.cloud)
    if rules.settings_warnings and settings.cloud_object is not None:
        warnings += rules.settings_warnings(settings.cloud_object, settings.target)
    if settings.target == "kubernetes":
        warnings += chart_check_warnings(settings.helm_values, settings.enterprise)
    return settings, warnings + provider_key_warnings(settings) + storage_warnings(settings)


def provider_key_warnings(settings: Settings) -> list[str]:
    """A warning when the chosen cloud's provider setting (aws:region) is not one its installed SDK
    lists: a typo, or a region newer than the SDK. Google Cloud's and Azure's SDKs ship no such list."""
    key = cloud_settings(settings.cloud).provider_key
    value = settings.provider_setting
    known = key.known() if key and key.known else None
    if not key or not value or known is None or value in known:
        return []
    close = difflib.get_close_matches(value, sorted(known), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return [
        f"{key.key} {value!r} is not a region the installed provider SDK knows; {hint}"
        "if it is a region opened since, ignore this warning"
    ]


_STORAGE_WORDS = {"create": "created", "existing": "existing", "adopt": "adopted"}


def storage_warnings(settings: Settings) -> list[str]:
    """What the plan must say about storage that was there before the stack: a bucket shared with
    other data when `folder` is empty, and whether its CORS rules are left alone or replaced."""
    if settings.storage == "create":
        return []
    found = []
    storage = f"{_STORAGE_WORDS[settings.storage]} storage {settings.bucket!r}"
    if not settings.folder:
        found.append(
            f"labelstudio:folder is empty with labelstudio:storage {settings.storage}: Label Studio and its "
            f"access cover the whole of {settings.bucket!r}, with any other data in it; set labelstudio:folder "
            "to Label Studio's prefix, e.g. media/label-studio"
        )
    if settings.manage_cors:
        found.append(
            f"labelstudio:manageCors is true: the CORS rules of {storage} "
            "will be REPLACED wholesale by this stack's (origins: " + ", ".join(settings.cors_origins) + ")"
        )
    else:
        fix = (
            "set them on the server, see docs/s3-compatible.md"
            if cloud_settings(settings.cloud).manage_cors_problem
            else "set labelstudio:manageCors to true to replace them with this stack's"
        )
        found.append(
            f"labelstudio:manageCors is false: the CORS rules of {storage} "
            "are left as they are; browsers upload straight to storage only if they allow "
            + ", ".join(settings.cors_origins)
            + f" ({fix})"
        )
    return found
