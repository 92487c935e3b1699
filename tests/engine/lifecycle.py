"""One stack under the real Pulumi CLI, in the lifecycle Pulumi's own integration tests use: a copy
of the project in a temporary folder, a local file backend, `pulumi stack init` with passphrase
secrets, then preview, up, refresh, destroy through the CLI itself.

The copy differs from the project in two ways, each a test fixture, never something a user
deploys:
- Pulumi.yaml names the stand-in cloud providers (tests/engine/providers/<name>) under
  `plugins: providers:`: the engine takes a project plugin without a version for any version the
  SDK asks for (workspace.getPluginInfoAndPath), so aws 7.51.1 & co. are these folders;
- Pulumi.yaml's virtualenv is this project's .venv, by absolute path.
Everything else (`__main__.py`, components/, the stack file) is the project's own; the Helm release
waits for the chart's Deployments as it does for a user, their Pods run by the test cluster's
simulated node (tests/engine/cluster.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.engine.standin_provider import CONFIG_ENV
from tools.mockrun import PROJECT_DIR, read_stack_config

PROVIDERS_DIR = Path(__file__).resolve().parent / "providers"
POLICY_PACK = PROJECT_DIR / "policy"
ANALYZER = """#!/bin/sh
# The policy pack as the engine starts an analyzer given as an executable (--policy-pack FILE):
# the pack's own __main__.py in its own venv, with the engine's arguments.
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/venv/bin/python" "$here/__main__.py" "$@"
"""
PASSPHRASE = "engine-suite-passphrase"  # encrypts the test stacks' secrets; protects nothing real
RELEASE = "kubernetes:helm.sh/v3:Release"


@dataclass
class Session:
    """What every stack of a session shares: the CLI's environment (tests/engine/conftest.py's
    `engine`: the built binaries first on PATH, a private PULUMI_HOME, offline), a local file
    backend, the API server's kubeconfig, and what the fixtures add (the chart repository)."""

    env: dict[str, str]
    backend: Path
    kubeconfig: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        return {
            **self.env,
            "PULUMI_BACKEND_URL": f"file://{self.backend}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "KUBECONFIG": str(self.kubeconfig),
            "NO_COLOR": "1",
            **self.extra_env,
        }

    def with_env(self, **extra: str) -> Session:
        return Session(self.env, self.backend, self.kubeconfig, {**self.extra_env, **extra})


def policy_launcher(target: Path) -> Path:
    """A test copy of policy/ (its venv linked, made by `./scripts/setup.sh policy`) with an
    executable analyzer: `pulumi preview --policy-pack <copy>/analyzer` starts the pack as a
    binary analyzer plugin and reads PulumiPolicy.yaml beside it. The language host the suite
    is built with cannot start a policy pack from a folder (docs/development.md)."""
    shutil.copytree(POLICY_PACK, target, ignore=shutil.ignore_patterns("venv", "__pycache__"), dirs_exist_ok=True)
    (target / "venv").symlink_to(POLICY_PACK / "venv")
    launcher = target / "analyzer"
    launcher.write_text(ANALYZER)
    launcher.chmod(0o755)
    return launcher


def copy_project(target: Path) -> Path:
    """The project as the CLI will see it in the test (see the module's docstring)."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(PROJECT_DIR / "components", target / "components", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_DIR / "__main__.py", target / "__main__.py")
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    project["runtime"]["options"]["virtualenv"] = str(PROJECT_DIR / ".venv")
    project["plugins"] = {
        "providers": [{"name": folder.name, "path": str(folder)} for folder in sorted(PROVIDERS_DIR.iterdir())]
    }
    (target / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    return target


class CommandFailed(AssertionError):
    pass


DEBUG_ENV = "LABEL_STUDIO_ENGINE_DEBUG"


def _text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def run_logged(
    command: list[str], cwd: Path, env: dict[str, str], timeout: float, debug_log: Path | None
) -> subprocess.CompletedProcess[str]:
    """Run `command`; its stderr goes to `debug_log` when given (the engine's verbose log is
    too big to hold in memory), else it is captured like stdout."""
    if debug_log is None:
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    with debug_log.open("w") as stderr:
        done = subprocess.run(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=timeout, check=False
        )
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout, f"(stderr: {debug_log})")


@dataclass
class Stack:
    """One stack of the test copy, driven through the CLI."""

    session: Session
    project_dir: Path
    name: str
    stand_in_config: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def environment(self) -> dict[str, str]:
        return {**self.session.environment(), CONFIG_ENV: json.dumps(self.stand_in_config)}

    def cli(self, *args: str, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        """`pulumi ARGS` in the test copy. With LABEL_STUDIO_ENGINE_DEBUG set, the engine's own
        log (`--logtostderr -v=9 --logflow`: every gRPC call to the host and the providers) goes
        to <copy>/engine-<n>.log, which a failure names."""
        command = ["pulumi", *args, "--non-interactive"]
        debug_log = None
        if os.environ.get(DEBUG_ENV):
            debug_log = self.project_dir / f"engine-{len(self.log)}.log"
            command += ["--logtostderr", "-v=9", "--logflow"]
        try:
            result = run_logged(command, self.project_dir, self.environment(), timeout, debug_log)
        except subprocess.TimeoutExpired as expired:
            self.log.append(f"$ pulumi {' '.join(args)}  -> timed out after {timeout}s")
            raise CommandFailed(
                f"`pulumi {' '.join(args)}` did not end within {timeout}s (the engine's log: "
                f"{debug_log or f'set {DEBUG_ENV}=1 to keep it'}):\n{_text(expired.stdout)[-6000:]}"
            ) from None
        self.log.append(f"$ pulumi {' '.join(args)}  -> exit {result.returncode}")
        if check and result.returncode != 0:
            raise CommandFailed(
                f"`pulumi {' '.join(args)}` failed with exit code {result.returncode}"
                f"{f' (the engine log: {debug_log})' if debug_log else ''}:\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-4000:]}"
            )
        return result

    # -- the lifecycle ---------------------------------------------------------------------------

    def init(self, secrets: dict[str, str] | None = None) -> None:
        """`pulumi stack init` with passphrase secrets over the stack file already in place,
        then each secret setting through `pulumi config set --secret --path` (a real `secure:`)."""
        self.cli("stack", "init", self.name, "--secrets-provider", "passphrase")
        for path, value in (secrets or {}).items():
            self.cli("config", "set", "--secret", "--path", path, value, "--stack", self.name)

    def preview(self, *extra: str, policy: bool = True, check: bool = True) -> subprocess.CompletedProcess[str]:
        args = ["preview", "--stack", self.name, "--diff", *extra]
        if policy:
            args += ["--policy-pack", str(policy_launcher(self.project_dir.parent / f"{self.name}-policy"))]
        return self.cli(*args, check=check)

    def up(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.cli("up", "--yes", "--skip-preview", "--stack", self.name, *extra, check=check)

    def refresh(self) -> subprocess.CompletedProcess[str]:
        return self.cli("refresh", "--yes", "--skip-preview", "--stack", self.name)

    def destroy(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.cli("destroy", "--yes", "--skip-preview", "--stack", self.name, *extra, check=check)

    def export(self) -> dict[str, Any]:
        return json.loads(self.cli("stack", "export", "--stack", self.name).stdout)

    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json", "--stack", self.name]
        if show_secrets:
            args.append("--show-secrets")
        return json.loads(self.cli(*args).stdout)

    def config_json(self) -> dict[str, Any]:
        return json.loads(self.cli("config", "--json", "--stack", self.name).stdout)

    def remove(self) -> None:
        self.cli("stack", "rm", "--yes", "--force", "--stack", self.name, check=False)


def new_stack(session: Session, workdir: Path, stack_file: Path, name: str | None = None) -> Stack:
    """A fresh test copy of the project holding `stack_file` as Pulumi.<name>.yaml."""
    name = name or stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
    project_dir = copy_project(workdir / name)
    shutil.copy(stack_file, project_dir / f"Pulumi.{name}.yaml")
    _, _, config, _, _ = read_stack_config(project_dir / f"Pulumi.{name}.yaml", PROJECT_DIR)
    return Stack(session, project_dir, name, stand_in_config=config)


def resources(export: dict[str, Any]) -> list[dict[str, Any]]:
    """The resources of `pulumi stack export`, the stack itself and providers aside."""
    return [
        r
        for r in export["deployment"].get("resources") or []
        if r["type"] != "pulumi:pulumi:Stack" and not r["type"].startswith("pulumi:providers:")
    ]


def other_stacks(stack_file: Path, workdir: Path) -> tuple[Path, dict[str, dict[str, Any]]]:
    """A stack file whose `{fromStack, output}` settings name stacks this backend can hold, and
    those stacks with the outputs the plan's stand-ins give them.

    The local file backend has one organization, `organization`, so `acme/eks/prod` becomes
    `organization/eks/prod`; the plan reads the rewritten file too, so both see the same names.
    """
    from tools.mockrun import StandInCloud

    document = yaml.safe_load(stack_file.read_text()) or {}
    config = document.get("config") or {}
    renamed: dict[str, str] = {}
    for value in config.values():
        for setting in value.values() if isinstance(value, dict) else ():
            if isinstance(setting, dict) and isinstance(setting.get("fromStack"), str):
                parts = setting["fromStack"].split("/")
                project = parts[-2] if len(parts) > 1 else "other"
                renamed[setting["fromStack"]] = setting["fromStack"] = f"organization/{project}/{parts[-1]}"
    if not renamed:
        return stack_file, {}
    rewritten = workdir / stack_file.name
    workdir.mkdir(parents=True, exist_ok=True)
    rewritten.write_text(yaml.safe_dump(document, sort_keys=False))
    _, _, encoded, _, _ = read_stack_config(rewritten, PROJECT_DIR)
    cloud = StandInCloud(encoded)
    return rewritten, {name: cloud.stack_outputs(name) for name in renamed.values()}


def provide_stack(session: Session, workdir: Path, reference: str, outputs: dict[str, Any]) -> Stack:
    """A stack `organization/<project>/<name>` in the backend exporting `outputs`, as the cluster's
    own stack would (a minimal Python program; the stand-in outputs come from the plan)."""
    _, project, name = reference.split("/")
    folder = workdir / f"{project}-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    runtime = {"name": "python", "options": {"toolchain": "pip", "virtualenv": str(PROJECT_DIR / ".venv")}}
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump({"name": project, "runtime": runtime}))
    exports = "\n".join(f"pulumi.export({key!r}, {value!r})" for key, value in outputs.items())
    (folder / "__main__.py").write_text(f"import pulumi\n\n{exports}\n")
    stack = Stack(session, folder, reference)
    stack.cli("stack", "init", reference, "--secrets-provider", "passphrase")
    stack.up()
    return stack
