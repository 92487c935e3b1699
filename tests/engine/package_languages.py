"""What the engine suite needs to run the component package (provider/) from TypeScript and YAML:
the language hosts and SDK generator scripts/setup-engine-langs.sh builds, a copy of the package as
a user's clone holds it, the plugins the package's environment declares installed offline, and test
copies of the examples with the generated SDK where `pulumi package add` would put it.

Two gaps between the hosts the Go module proxy serves (sdk/v3 v3.68.0's Python and Node.js hosts)
and the CLI (v3.274.1) are bridged here, each by a test fixture, never by a language host of ours:

- the v3.68 Python host knows no ProgramInfo: installing the package it ignores PulumiPlugin.yaml's
  `virtualenv: venv` and makes the plugin's folder itself a virtualenv, then pip-installs
  requirements.txt into it. The package copy is made that virtualenv beforehand, seeing the
  project's .venv through a .pth file, so the install finds every requirement already there (only
  its first step, upgrading pip, setuptools and wheel in it, asks the package index);
- its RunPlugin runs `python <request.program>` in the engine's working directory, and the CLI no
  longer fills `program` (it sends ProgramInfo), so the host runs `python ''`: the working
  directory's __main__.py. For `pulumi package get-schema` that folder is the package's own; a test
  copy of a program gets a __main__.py that runs the package's (PLUGIN_SHIM).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from tests.engine.conftest import ROOT, Engine, pinned
from tests.engine.lifecycle import PROVIDERS_DIR

EXAMPLES = ROOT / "examples"
LANGS_SETUP = ROOT / "scripts" / "setup-engine-langs.sh"
LANGS_ENV = "LABEL_STUDIO_ENGINE_LANGS_BIN"
NODEJS_HOST, GO_HOST, YAML_HOST = "pulumi-language-nodejs", "pulumi-language-go", "pulumi-language-yaml"
SDKGEN = "pulumi-sdkgen"
# The plugins the package's environment declares (the Python host reports them from its SDKs):
# the stand-in clouds of tests/engine/providers, and the Kubernetes provider the engine build holds.
SDK_PLUGINS = {"aws": "pulumi-aws", "gcp": "pulumi-gcp", "azure-native": "pulumi-azure-native"}
KUBERNETES_SDK = "pulumi-kubernetes"
LAUNCHER = '#!/bin/sh\nexec "{target}" "$@"\n'
PLUGIN_SHIM = '''"""Test fixture (tests/engine/package_languages.py): the v3.68 Python host runs a `runtime: python`
plugin as `python ''` in the engine's working directory, this folder; run the package's plugin."""

import runpy

runpy.run_path({plugin!r}, run_name="__main__")
'''


def langs_bin_dir() -> Path | None:
    """The folder setup-engine-langs.sh builds into ($LABEL_STUDIO_ENGINE_LANGS_BIN first), or
    None when one of its binaries is missing."""
    given = os.environ.get(LANGS_ENV)
    folder = Path(given) if given else None
    if folder is None:
        found = subprocess.run(["bash", str(LANGS_SETUP), "--print-bin"], capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip():
            folder = Path(found.stdout.strip().splitlines()[-1])
    if folder is None or not all((folder / name).is_file() for name in (NODEJS_HOST, GO_HOST, YAML_HOST, SDKGEN)):
        return None
    return folder


def polyglot_engine(engine: Engine, langs: Path, home: Path) -> Engine:
    """The engine with the language hosts and the SDK generator first on PATH, and a PULUMI_HOME of
    its own (plugins get installed into it)."""
    env = {**engine.env, "PATH": os.pathsep.join([str(langs), engine.env["PATH"]]), "PULUMI_HOME": str(home)}
    return Engine(bin=engine.bin, home=home, env=env)


def install_plugins(polyglot: Engine, folder: Path) -> dict[str, str]:
    """`pulumi plugin install --file` of each plugin the package's environment declares, at the
    version its SDK declares: a launcher of the stand-in cloud, or of the built Kubernetes provider.
    Installed, the CLI needs no download when it installs the package (offline, it could not)."""
    plugins = {name: (PROVIDERS_DIR / name / f"pulumi-resource-{name}", sdk) for name, sdk in SDK_PLUGINS.items()}
    plugins["kubernetes"] = (polyglot.bin / "pulumi-resource-kubernetes", KUBERNETES_SDK)
    versions = {}
    for name, (target, sdk) in plugins.items():
        launcher = folder / name / f"pulumi-resource-{name}"
        launcher.parent.mkdir(parents=True, exist_ok=True)
        launcher.write_text(LAUNCHER.format(target=target))
        launcher.chmod(0o755)
        versions[name] = metadata.version(sdk)
        polyglot.run(["plugin", "install", "resource", name, versions[name], "--file", str(launcher.parent)], folder)
    return versions


def package_copy(target: Path) -> Path:
    """The package as a clone holds it (provider/, the components it serves, the pins its
    requirements.txt names), its folder already the virtualenv the v3.68 Python host makes of it
    (see the module's docstring). Returns the copy's provider/ folder."""
    plugin = target / "provider"
    plugin.mkdir(parents=True)
    for name in ("PulumiPlugin.yaml", "__main__.py", "requirements.txt"):
        shutil.copy(ROOT / "provider" / name, plugin / name)
    shutil.copytree(ROOT / "components", target / "components", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "requirements.txt", target / "requirements.txt")
    for venv in (plugin, plugin / "venv"):
        project_venv_seen_from(venv)
    return plugin


def project_venv_seen_from(venv: Path) -> None:
    """A virtualenv at `venv` whose Python sees the project's .venv (a .pth file): what the package
    needs, without installing 450 MB of provider SDKs again. PulumiPlugin.yaml's `virtualenv: venv`
    is the one hosts that read it (the YAML host's, through the v3.68 Python host) use."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    own = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(own, "project-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")


def generate_sdk(polyglot: Engine, schema: Path, language: str, out: Path) -> subprocess.CompletedProcess[str]:
    """pkg/v3's own generator for `language` (tools/engine-langs/sdkgen): `pulumi package gen-sdk`
    asks the host's GeneratePackage, which the v3.68 hosts lack."""
    return subprocess.run(
        [SDKGEN, "--language", language, "--out", str(out), str(schema)],
        env=polyglot.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


GO_ENV = {"GOFLAGS": "-mod=mod -trimpath", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}


def go_module(sdk: Path) -> Path:
    """Make a generated Go SDK a module, as `pulumi package add` does: named by the import path the
    generator gave its packages, on the Go SDK of the CLI the suite runs. Returns `sdk`."""
    (package,) = [
        line.split('"')[1]
        for line in (sdk / "labelstudio" / "init.go").read_text().splitlines()
        if line.strip().endswith('/internal"')
    ]
    module = package.removesuffix("/labelstudio/internal")
    version = pinned("pulumi", "github.com/pulumi/pulumi/sdk/v3")
    (sdk / "go.mod").write_text(f"module {module}\n\ngo 1.25\n\nrequire github.com/pulumi/pulumi/sdk/v3 {version}\n")
    return sdk


def go_build(module: Path) -> subprocess.CompletedProcess[str]:
    """`go build ./...` in a Go module, its requirements from the Go module proxy (as the engine's)."""
    return subprocess.run(
        ["go", "build", "./..."],
        cwd=module,
        env={**os.environ, **GO_ENV},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def tsc(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The TypeScript compiler the example pins (examples/typescript/package.json)."""
    compiler = EXAMPLES / "typescript" / "node_modules" / "typescript" / "bin" / "tsc"
    return subprocess.run(
        ["node", str(compiler), *args], cwd=project, capture_output=True, text=True, timeout=300, check=False
    )


def package_added(source: Path, target: Path, plugin: Path) -> Path:
    """The example's Pulumi.yaml in `target` with `packages:` naming the package copy, as `pulumi
    package add` writes it, and the plugin shim beside it. Returns `target`."""
    project = yaml.safe_load((source / "Pulumi.yaml").read_text())
    project["packages"] = {"labelstudio": str(plugin)}
    (target / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    (target / "__main__.py").write_text(PLUGIN_SHIM.format(plugin=str(plugin / "__main__.py")))
    return target


def typescript_copy(example: str, target: Path, sdk: Path, plugin: Path) -> Path:
    """A test copy of examples/<example>: its node_modules (npm-installed there by setup-tests.sh)
    linked, the (compiled) SDK where `pulumi package add` puts it (sdks/labelstudio, linked as
    @pulumi/labelstudio), Pulumi.yaml naming the package copy under `packages:` as `pulumi package
    add` writes it, and the plugin shim; the program itself unchanged."""
    source = EXAMPLES / example
    installed = source / "node_modules"
    target.mkdir(parents=True)
    for name in ("package.json", "tsconfig.json", "index.ts"):
        shutil.copy(source / name, target / name)
    shutil.copytree(sdk, target / "sdks" / "labelstudio")
    modules = target / "node_modules"
    (modules / "@pulumi").mkdir(parents=True)
    for entry in installed.iterdir():
        if entry.name != "@pulumi":
            (modules / entry.name).symlink_to(entry)
    for entry in (installed / "@pulumi").iterdir():
        (modules / "@pulumi" / entry.name).symlink_to(entry)
    (modules / "@pulumi" / "labelstudio").symlink_to(target / "sdks" / "labelstudio")
    return package_added(source, target, plugin)


def yaml_copy(target: Path, plugin: Path) -> Path:
    """A test copy of examples/yaml with `packages:` naming the package copy, and the plugin shim."""
    target.mkdir(parents=True)
    return package_added(EXAMPLES / "yaml", target, plugin)


def go_copy(target: Path, sdk: Path, plugin: Path) -> Path:
    """A test copy of examples/go: the SDK module where `pulumi package add` puts it
    (sdks/labelstudio, which the example's go.mod replaces its module with), Pulumi.yaml naming the
    package copy, and the plugin shim; the program itself unchanged."""
    source = EXAMPLES / "go"
    target.mkdir(parents=True)
    for name in ("main.go", "go.mod"):
        shutil.copy(source / name, target / name)
    shutil.copytree(sdk, target / "sdks" / "labelstudio")
    return package_added(source, target, plugin)


def descendants(resources: list[dict[str, Any]], root_urn: str) -> list[dict[str, Any]]:
    """The resources under `root_urn` (children, their children, ...) of a stack export."""
    found, parents = [], {root_urn}
    changed = True
    while changed:
        changed = False
        for resource in resources:
            if resource.get("parent") in parents and resource["urn"] not in parents:
                parents.add(resource["urn"])
                found.append(resource)
                changed = True
    return found
