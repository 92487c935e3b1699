"""no-plain-credentials-in-helm-values: credentials reach Label Studio through Secrets, never in plain
Helm values."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from .model import Resource
from .reading import _as_list, _get, _is_list, _of
from .resource_types import HELM_RELEASE, KUBERNETES_SECRET

CREDENTIAL_CHART_KEYS = (
    "accessKey",
    "secretKey",
    "applicationCredentialsJSON",
    "storageAccountName",
    "storageAccountKey",
)
# Environment variable names that hold credentials, and the known names that look like one
# but only name a key (a KMS key id) or a file that holds it.
CREDENTIAL_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|CREDENTIAL|PRIVATE|KEY|CONNECTION_?STRING")
NON_CREDENTIAL_NAME = re.compile(r"(KMS_KEY_(ID|ARN|NAME)|_KEY_(FILE|PATH)|CREDENTIALS?_(FILE|PATH))$")
# Values that are credentials whatever their name.
CREDENTIAL_VALUE = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----|\"private_key\"|AccountKey=|SharedAccessSignature=|[?&]sig="
    r"|\b(AKIA|ASIA)[0-9A-Z]{16}\b|^[a-z][a-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@",
    re.IGNORECASE,
)


def no_plain_credentials_in_helm_values(resources: Sequence[Resource]) -> Iterable[tuple[str, str]]:
    for release in _of(resources, HELM_RELEASE):
        values = release.props.get("values")
        found = sorted(_storage_credentials(values))
        if found and "values" not in release.secret_outputs:
            yield release.name, f"passes {', '.join(found)} in Helm values that are not kept secret"
        for path, name in sorted(_environment_credentials(values)):
            yield (
                release.name,
                f"sets the credential {name} in plain text under {path}; the chart writes it into the pod spec: "
                f"put it in a Kubernetes Secret and reference it from {path.replace('Vars', 'Secrets')}",
            )
    for secret in _of(resources, KUBERNETES_SECRET):
        exposed = sorted(k for k in ("data", "stringData") if k in secret.props and k not in secret.secret_outputs)
        if exposed:
            yield secret.name, f"keeps {', '.join(exposed)} out of Pulumi's secrets (additionalSecretOutputs)"


def _storage_credentials(values: Any) -> set[str]:
    """Credential keys set under global.persistence.config.<type>, where the chart reads them."""
    config = _get(values, "global", "persistence", "config")
    blocks = config.values() if isinstance(config, Mapping) else ()
    return {
        key
        for block in blocks
        if isinstance(block, Mapping)
        for key, value in block.items()
        if key in CREDENTIAL_CHART_KEYS and value not in (None, "")
    }


def is_credential(name: str, value: Any) -> bool:
    """Whether an environment variable holds a credential, by its name or by what its value is."""
    if not isinstance(value, str) or value == "":
        return False
    upper = name.upper()
    named = bool(CREDENTIAL_NAME.search(upper)) and not NON_CREDENTIAL_NAME.search(upper)
    if upper == "GOOGLE_APPLICATION_CREDENTIALS":
        named = not value.startswith("/")  # a path to the key file is fine, the key itself is not
    return named or bool(CREDENTIAL_VALUE.search(value))


def _environment(variables: Any) -> list[tuple[str, Any]]:
    """(name, value) of environment variables given as a mapping or as a list of name/value."""
    if isinstance(variables, Mapping):
        return [(str(name), value) for name, value in variables.items()]
    return [(str(_get(v, "name")), _get(v, "value")) for v in _as_list(variables) if isinstance(v, Mapping)]


def _environment_credentials(values: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, name) of every credential under any `extraEnvironmentVars` of the chart's values."""
    if isinstance(values, Mapping):
        for key, value in values.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "extraEnvironmentVars":
                yield from ((where, name) for name, item in _environment(value) if is_credential(name, item))
            else:
                yield from _environment_credentials(value, where)
    elif _is_list(values):
        for index, item in enumerate(values):
            yield from _environment_credentials(item, f"{path}[{index}]")
