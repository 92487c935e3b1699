"""Fixtures for the engine suite: the real `pulumi` CLI, language host, Kubernetes provider and a
kube-apiserver, built by scripts/setup-engine.sh from pinned Go modules.

Every test under tests/engine/ is marked `engine`, and skips (with the reason) when the binaries are
not built; .ci/run builds them, so in CI they always run. Fixtures:

- `engine`: an `Engine` (bin folder, environment with that folder first on PATH, `run()`), one per session.
- `pulumi_backend`: a fresh local file backend for one test, as a `file://` URL.
- `kube_cluster`: a running etcd + kube-apiserver on 127.0.0.1 with a kubeconfig, one per session.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.engine.cluster import Cluster, running_cluster
from tests.engine.kube import Kube

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "scripts" / "setup-engine.sh"
# The binaries the engine suite needs; setup-engine.sh builds exactly these.
BINARIES = ("pulumi", "pulumi-language-python", "pulumi-language-python-exec", "pulumi-resource-kubernetes")
CLUSTER_BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
PASSPHRASE = "engine-suite-passphrase"

ENGINE_MODULES = ROOT / "tools" / "engine"


def pinned(module: str, requirement: str) -> str:
    """The version tools/engine/<module>/go.mod pins `requirement` to (what setup-engine.sh builds)."""
    for line in (ENGINE_MODULES / module / "go.mod").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == requirement:
            return parts[1]
    raise AssertionError(f"{requirement} is not required in tools/engine/{module}/go.mod")


def engine_bin_dir() -> Path | None:
    """The folder holding the built binaries: $LABEL_STUDIO_ENGINE_BIN, else the one
    setup-engine.sh would build into for the pinned versions; None when nothing is built there."""
    given = os.environ.get("LABEL_STUDIO_ENGINE_BIN")
    if given:
        folder = Path(given)
    else:
        found = subprocess.run(["bash", str(SETUP), "--print-bin"], capture_output=True, text=True, check=False)
        if found.returncode != 0 or not found.stdout.strip():
            return None
        folder = Path(found.stdout.strip().splitlines()[-1])
    return folder if all((folder / name).is_file() for name in BINARIES) else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.engine)


@dataclass
class Engine:
    """The built engine: `bin` first on PATH in `env`, with the CLI kept offline and quiet."""

    bin: Path
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(
        self,
        args: Sequence[str],
        cwd: Path,
        env: dict[str, str] | None = None,
        check: bool = True,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        """Run `pulumi ARGS` in `cwd`; with `check`, a failure raises with the CLI's output."""
        done = subprocess.run(
            [str(self.bin / "pulumi"), *args],
            cwd=cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    folder = engine_bin_dir()
    if folder is None:
        if os.environ.get("LABEL_STUDIO_ENGINE_BIN"):
            # Named on purpose (as .ci/run does): a missing binary is a failure, not a reason to skip.
            pytest.fail(f"LABEL_STUDIO_ENGINE_BIN lacks one of {', '.join(BINARIES)}: run scripts/setup-engine.sh")
        pytest.skip("the engine binaries are not built: run scripts/setup-engine.sh (or set LABEL_STUDIO_ENGINE_BIN)")
    home = tmp_path_factory.mktemp("pulumi-home")
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(folder), str(ROOT / ".venv" / "bin"), os.environ.get("PATH", "")]),
        # A private PULUMI_HOME: no plugin a developer installed by hand can stand in for the built ones.
        "PULUMI_HOME": str(home),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_CONFIRMATIONS": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        "NO_COLOR": "1",
    }
    env.pop("PULUMI_ACCESS_TOKEN", None)
    env.pop("PULUMI_BACKEND_URL", None)
    return Engine(bin=folder, home=home, env=env)


@pytest.fixture
def pulumi_backend(tmp_path: Path) -> str:
    """A fresh local file backend for one test (pass it as PULUMI_BACKEND_URL or to `pulumi login`)."""
    state = tmp_path / "state"
    state.mkdir()
    return f"file://{state}"


@pytest.fixture(scope="session")
def kube_cluster(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    missing = [name for name in CLUSTER_BINARIES if not (engine.bin / name).is_file()]
    if missing:
        pytest.skip(f"not built: {', '.join(missing)}: run scripts/setup-engine.sh")
    with running_cluster(engine.bin, tmp_path_factory.mktemp("cluster")) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def kube(kube_cluster: Cluster) -> Kube:
    return Kube(kube_cluster.kubeconfig)
