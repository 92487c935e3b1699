"""Where the chart comes from: Label Studio's repository, a mirror, an OCI registry or a local copy.

The rules as tables, then the stack settings and the release that use them under the SDK's mocks.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from components.kubernetes.chart_source import chart_reference, chart_repository_problem, local_chart_problem
from components.settings.model import SettingsError, load_settings
from tests.conftest import aws_stack, problems_of, run

RELEASE = "kubernetes:helm.sh/v3:Release"
CHART = "apiVersion: v2\nname: {name}\nversion: {version}\n"


def chart_folder(root: Path, name: str = "label-studio", version: str = "2.0.5") -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "Chart.yaml").write_text(CHART.format(name=name, version=version))
    (folder / "values.yaml").write_text("{}\n")
    return folder


def packed_chart(root: Path, version: str = "2.0.5") -> Path:
    """A chart packaged as `helm package` does: `label-studio/Chart.yaml` at the archive's top."""
    path = root / f"label-studio-{version}.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for member, text in (("label-studio/Chart.yaml", CHART.format(name="label-studio", version=version)),):
            info = tarfile.TarInfo(member)
            info.size = len(text.encode())
            archive.addfile(info, io.BytesIO(text.encode()))
    return path


@pytest.mark.parametrize(
    ("repository", "path", "expected"),
    [
        (
            None,
            None,
            {"chart": "label-studio", "version": "2.0.5", "repository_opts": {"repo": "https://charts.heartex.com/"}},
        ),
        (
            "https://nexus.example.com/repository/helm/",
            None,
            {
                "chart": "label-studio",
                "version": "2.0.5",
                "repository_opts": {"repo": "https://nexus.example.com/repository/helm/"},
            },
        ),
        (
            "oci://registry.example.com/charts/",
            None,
            {"chart": "oci://registry.example.com/charts/label-studio", "version": "2.0.5"},
        ),
        (None, "charts/label-studio", {"chart": "charts/label-studio", "version": "2.0.5"}),
    ],
)
def test_the_release_names_the_chart_where_it_comes_from(repository: Any, path: Any, expected: dict[str, Any]):
    assert chart_reference("2.0.5", repository, path) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://charts.example.com/label-studio", None),
        ("oci://registry.example.com/charts", None),
        ("oci://registry.example.com:5000/team/charts", None),
        ("http://charts.example.com/", "plain http"),
        ("https://user:hunter2@charts.example.com/", "credentials"),
        ("oci://user:hunter2@registry.example.com/charts", "credentials"),
        ("ftp://charts.example.com/", "not a Helm repository or OCI registry address"),
        ("charts.example.com", "not a Helm repository or OCI registry address"),
        ("https://charts.example.com/?token=x", "query or fragment"),
    ],
)
def test_a_repository_address_is_https_or_oci_and_holds_no_password(url: str, expected: str | None):
    found = chart_repository_problem(url)
    if expected is None:
        assert found is None
    else:
        assert found is not None and expected in found
        assert "hunter2" not in found


def test_a_local_chart_is_a_folder_or_a_packaged_chart_of_the_stacks_version(tmp_path: Path):
    assert local_chart_problem(str(chart_folder(tmp_path)), "2.0.5") is None
    assert local_chart_problem(str(packed_chart(tmp_path)), "2.0.5") is None
    (tmp_path / "new").mkdir()
    newer = packed_chart(tmp_path / "new", "2.0.6")
    assert "version 2.0.6 of the chart, but chartVersion is 2.0.5" in (local_chart_problem(str(newer), "2.0.5") or "")
    assert "not label-studio" in (local_chart_problem(str(chart_folder(tmp_path, "redis")), "2.0.5") or "")
    assert "holds no Chart.yaml" in (local_chart_problem(str(tmp_path), "2.0.5") or "")
    assert "is not a folder or a .tgz" in (local_chart_problem(str(tmp_path / "missing"), "2.0.5") or "")
    (tmp_path / "notes.txt").write_text("not a chart")
    assert "not a packaged chart" in (local_chart_problem(str(tmp_path / "notes.txt"), "2.0.5") or "")


def test_the_shared_chart_copy_is_a_local_chart():
    shared = next(
        (
            p / "shared/charts/label-studio-2.0.5"
            for p in Path(__file__).resolve().parents
            if (p / "shared/charts").is_dir()
        ),
        None,
    )
    if shared is None:
        pytest.skip("no shared/charts above the clone")
    assert local_chart_problem(str(shared), "2.0.5") is None


def settings_problems(**overrides: Any) -> list[str]:
    raw: dict[str, Any] = {
        "cloud": "aws",
        "aws:region": "eu-west-1",
        "bucket": "acme-labels",
        "host": "https://label.example.com",
    }
    raw["aws"] = {"oidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/AB"}
    with pytest.raises(SettingsError) as caught:
        load_settings({**raw, **overrides})
    return caught.value.problems


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [
        ({"chartRepository": "http://charts.internal/"}, "labelstudio:chartRepository", "plain http"),
        ({"chartPath": "no/such/chart"}, "labelstudio:chartPath", "is not a folder or a .tgz"),
        ({"chartPath": " "}, "labelstudio:chartPath", "is empty"),
        (
            {"chartRepository": "https://charts.example.com/", "chartPath": "no/such/chart"},
            "labelstudio:chartPath",
            "both set",
        ),
        (
            {"target": "compose", "access": "access-keys", "chartRepository": "https://x.example.com/"},
            "labelstudio:chartRepository",
            "target kubernetes only",
        ),
    ],
)
def test_a_chart_source_that_cannot_serve_is_refused_by_name(overrides: dict[str, Any], key: str, words: str):
    found = [p for p in settings_problems(**overrides) if p.startswith(key)]
    assert found and words in found[0], settings_problems(**overrides)


def test_a_local_chart_of_another_version_names_the_version_to_set(tmp_path: Path):
    found = settings_problems(chartPath=str(chart_folder(tmp_path, version="2.0.6")))
    assert any("labelstudio:chartVersion" in p and "to 2.0.6" in p for p in found), found


def test_the_default_release_inputs_are_those_deployed_stacks_hold():
    release = run(aws_stack()).one(RELEASE).inputs
    assert (release["chart"], release["version"], release["repositoryOpts"]) == (
        "label-studio",
        "2.0.5",
        {"repo": "https://charts.heartex.com/"},
    )


def test_a_mirror_an_oci_registry_or_a_local_chart_reaches_the_release(tmp_path: Path):
    mirror = run(aws_stack(chartRepository="https://nexus.example.com/helm/")).one(RELEASE).inputs
    assert mirror["repositoryOpts"] == {"repo": "https://nexus.example.com/helm/"} and mirror["chart"] == "label-studio"
    oci = run(aws_stack(chartRepository="oci://registry.example.com/charts")).one(RELEASE).inputs
    assert oci["chart"] == "oci://registry.example.com/charts/label-studio" and "repositoryOpts" not in oci
    local = str(packed_chart(tmp_path, "2.0.6"))
    packed = run(aws_stack(chartPath=local, chartVersion="2.0.6")).one(RELEASE).inputs
    assert packed["chart"] == local and packed["version"] == "2.0.6" and "repositoryOpts" not in packed


def test_the_program_refuses_a_missing_local_chart_before_declaring_anything(tmp_path: Path):
    assert "labelstudio:chartPath" in problems_of(aws_stack(chartPath=str(tmp_path / "label-studio")))
