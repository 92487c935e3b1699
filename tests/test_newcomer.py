"""A newcomer's first hour (issue 17): one clear answer per mistake, printed once, and a plan that
shows what Label Studio gets without ever printing a secret."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def stack_file(tmp_path: Path, name: str, config: dict) -> Path:
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


AWS = {
    "aws:region": "eu-west-1",
    "labelstudio:cloud": "aws",
    "labelstudio:bucket": "acme-labels",
    "labelstudio:host": "https://label.example.com",
}

# -- tools.check without its extras ---------------------------------------------------------------

WITHOUT = textwrap.dedent(
    """
    import runpy, sys
    sys.path.insert(0, ".")
    blocked = sys.argv[1].split(",")
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in blocked:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    sys.meta_path.insert(0, Block())
    sys.argv = ["tools.check", *sys.argv[2:]]
    runpy.run_module("tools.check", run_name="__main__")
    """
)


@pytest.mark.parametrize("missing", ["boto3", "requests"])
def test_check_without_its_extras_says_which_script_installs_them(tmp_path, missing):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        '{"cloud": "aws", "bucketName": "acme-labels", "region": "eu-west-1", "folder": "", '
        '"corsOrigins": ["https://label.example.com"], '
        '"envList": "STORAGE_AWS_ACCESS_KEY_ID=a\\nSTORAGE_AWS_SECRET_ACCESS_KEY=b\\n"}'
    )
    result = run("-c", WITHOUT, missing, "--outputs", str(outputs))
    assert result.returncode == 2
    assert "./scripts/setup.sh check" in result.stderr
    assert f"{missing!r} is not installed" in result.stderr
    assert "Traceback" not in result.stderr and "No module named" not in result.stderr


# -- refusals: once, on stderr, exit 2, with the default and the fix ------------------------------


def test_a_refusal_is_printed_once_on_stderr_and_exits_2(tmp_path):
    path = stack_file(tmp_path, "irsa", AWS)
    result = run("-m", "tools.plan", str(path))
    assert result.returncode == 2
    reason = "labelstudio:aws.oidcProviderArn"
    assert reason not in result.stdout
    assert result.stderr.count(reason) == 1
    assert (result.stdout + result.stderr).lower().count("nothing was declared") == 1
    assert "Refused" in result.stdout  # the stack is still named in the plan's listing


def test_irsa_without_its_provider_says_irsa_is_the_default_and_names_the_other_modes(tmp_path):
    result = run("-m", "tools.plan", str(stack_file(tmp_path, "irsa", AWS)))
    message = result.stderr
    assert "the default access mode" in message and "labelstudio:access is not set" in message
    for mode in ("pod-identity", "access-keys", "node-role"):
        assert mode in message
    chosen = run("-m", "tools.plan", str(stack_file(tmp_path, "chosen", {**AWS, "labelstudio:access": "irsa"})))
    assert "oidcProviderArn" in chosen.stderr and "the default access mode" not in chosen.stderr
