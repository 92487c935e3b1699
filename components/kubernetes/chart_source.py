"""Where the Label Studio chart comes from: its Helm repository, a mirror of it, an OCI registry,
or a local copy. Clusters that cannot reach charts.heartex.com (air-gapped, or behind a proxy
that allows only an internal registry) get the same chart from what they can reach.

Plain functions with no Pulumi inside: the settings and the release check the same rules.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import yaml

from components.label_studio import CHART_NAME, CHART_REPOSITORY
from components.names import web_address

# A chart in an OCI registry is named by its URL: <registry>/<path>/label-studio.
OCI_SCHEME = "oci://"
CHART_FILE = "Chart.yaml"
# How to get a local copy where the repository is reachable (or from a machine that reaches it).
PULL_COMMAND = f"helm pull {CHART_NAME} --repo {CHART_REPOSITORY} --version <chartVersion>"


def chart_reference(version: str, repository: str | None = None, path: str | None = None) -> dict[str, Any]:
    """The helm.v3.Release arguments that name the chart. The default (Label Studio's repository)
    gives exactly the arguments stacks deployed before these settings hold."""
    if path:
        return {"chart": path, "version": version}
    repository = repository or CHART_REPOSITORY
    if repository.startswith(OCI_SCHEME):
        return {"chart": f"{repository.rstrip('/')}/{CHART_NAME}", "version": version}
    return {"chart": CHART_NAME, "version": version, "repository_opts": {"repo": repository}}


def chart_repository_problem(url: str) -> str | None:
    """Why `url` cannot serve the chart, or None. Never repeats the URL: it may hold a password."""
    if url.startswith("http://"):
        return (
            "is plain http, where the chart (and so what runs in the cluster) can be altered on the way; "
            "give the mirror's https:// address"
        )
    scheme, oci = ("https://", True) if url.startswith(OCI_SCHEME) else ("", False)
    address = web_address(scheme + url.removeprefix(OCI_SCHEME) if oci else url)
    if isinstance(address, str):
        hint = "oci://registry.example.com/charts" if oci else "https://charts.example.com/label-studio"
        return f"is not a Helm repository or OCI registry address ({address}); write e.g. {hint}"
    parts = address[0]
    if parts.query or parts.fragment:
        return "has a query or fragment (?… or #…); give the repository's address alone"
    return None


def local_chart_problem(path: str, version: str, version_setting: str = "chartVersion") -> str | None:
    """Why `path` (relative to the project's folder) is not Label Studio's chart at `version`, or None."""
    found = Path(path)
    try:
        if found.is_dir():
            text: str | bytes | None = (found / CHART_FILE).read_text() if (found / CHART_FILE).is_file() else None
        elif found.is_file() and tarfile.is_tarfile(found):
            text = _packed_chart_file(found)
        elif found.is_file():
            return f"is a file but not a packaged chart (.tgz); give the chart's folder or `{PULL_COMMAND}`'s .tgz"
        else:
            return (
                f"is not a folder or a .tgz here ({Path.cwd()}; a relative path is read from the project's folder, "
                f"where Pulumi.yaml is); get the chart with `{PULL_COMMAND}`"
            )
    except OSError as error:
        return f"cannot be read ({error.strerror or error})"
    if text is None:
        return f"holds no {CHART_FILE}: give the unpacked chart's own folder (label-studio/), or its .tgz"
    try:
        chart = yaml.safe_load(text)
    except yaml.YAMLError:
        chart = None
    if not isinstance(chart, dict):
        return f"has a {CHART_FILE} that is not a chart's metadata"
    if chart.get("name") != CHART_NAME:
        return f"holds chart {chart.get('name')!r}, not {CHART_NAME}"
    if str(chart.get("version")) != version:
        return (
            f"holds version {chart.get('version')} of the chart, but {version_setting} is {version}; "
            f"set {version_setting} to {chart.get('version')}, so the stack says which chart it installs"
        )
    return None


def _packed_chart_file(path: Path) -> bytes | None:
    """The Chart.yaml at the top of a packaged chart (`<name>/Chart.yaml`), or None."""
    with tarfile.open(path) as archive:
        for member in archive:
            if member.isfile() and member.name.count("/") == 1 and member.name.endswith("/" + CHART_FILE):
                extracted = archive.extractfile(member)
                return extracted.read(1_000_000) if extracted else None
    return None
