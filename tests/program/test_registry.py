"""A cloud is registered in one place, and a backend is complete or named as incomplete.

A fourth backend is a package with a component and its stack mapping, and one line in
components/registry.py; the stub below proves the program needs nothing else from it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from components import registry
from components.settings.model import load_settings
from tools.mockrun import PROJECT_DIR, declare, reveal

STUB_COMPONENT = '''
"""A stub storage backend: one bucket-like resource, S3-compatible for Label Studio."""

from typing import TypedDict

import pulumi

from components.facts import AccessResult, StorageComponent, StorageFacts, TrustedWorkloads


class StubStorageArgs(TypedDict):
    bucket: str
    tier: str
    trusted_workloads: TrustedWorkloads


class StubStorage(StorageComponent):
    bucket_name: pulumi.Output[str]

    def __init__(self, name: str, args: StubStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE_TOKEN, name, None, opts)
        bucket = pulumi.CustomResource(
            "stub:index:Bucket",
            f"{name}-bucket",
            {"name": args["bucket"], "arn": None},
            pulumi.ResourceOptions(parent=self),
        )
        storage = StorageFacts(
            storage_type="s3",
            settings={"bucket": args["bucket"], "region": "stub-1", "folder": ""},
            exports={"bucketName": args["bucket"], "bucketArn": bucket.arn},
            ready=[bucket],
        )
        access = AccessResult(
            service_account_annotations={"stub.example.com/trusts": args["trusted_workloads"]["namespace"]},
            exports={"tier": args["tier"]},
        )
        self.bucket_name = pulumi.Output.from_input(args["bucket"])
        self._conclude(storage, access)


COMPONENT = StubStorage
TYPE_TOKEN = "labelstudio:stub:Storage"
'''

STUB_STACK_ARGS = """
def storage_args(settings, workloads):
    return {"bucket": settings.bucket, "tier": settings.cloud_object.tier, "trusted_workloads": workloads}
"""

STUB_SETTINGS = """
from pydantic import Field

from components.settings.cloud import CloudSettings, Model


class StubSettings(Model):
    tier: str = "standard"


def bucket_problem(name):
    return None if name.islower() else "is not a stub bucket name; use lowercase letters"


CLOUD = CloudSettings(
    model=StubSettings,
    field=Field(None, validate_default=True, description="the stub object (cloud `stub`)"),
    title="Stub",
    access_modes=("stub-identity", "stub-keys"),
    keyed_access="stub-keys",
    bucket_problem=bucket_problem,
)
"""

STUB_CHECK = """
def reach(outputs, keyed, endpoint_url, timeouts):
    raise NotImplementedError("the stub has no live storage")


def secrets_in(outputs):
    return []
"""

STUB_STAND_INS = """
PROVIDER = "stub"


class StandIns:
    def __init__(self, config):
        pass

    def new_resource(self, kind, name, inputs):
        return f"stub-{inputs['name']}", {"arn": f"stub:::{inputs['name']}"}

    def call(self, token, args):
        return None

    def stack_output(self, setting):
        return None
"""
STUB_MODULES = {
    "component": STUB_COMPONENT,
    "stack_args": STUB_STACK_ARGS,
    "check": STUB_CHECK,
    "stand_ins": STUB_STAND_INS,
    "settings": STUB_SETTINGS,
}
STUB_STACK = {
    "labelstudio:cloud": "stub",
    "labelstudio:bucket": "acme-labels",
    "labelstudio:host": "https://label.example.com",
    "labelstudio:stub": {"tier": "gold"},
}


def write_package(root: Path, name: str, modules: dict[str, str]) -> str:
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text('"""A backend written by a test."""\n')
    for module, source in modules.items():
        (package / f"{module}.py").write_text(textwrap.dedent(source))
    return name


@pytest.fixture
def stub_backends(tmp_path, monkeypatch):
    """Backend packages written into a temporary directory on the import path."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [module for module in sys.modules if module.startswith("stub_")]:
        del sys.modules[name]


@pytest.mark.parametrize("cloud", sorted(registry.BACKENDS))
def test_every_registered_cloud_has_every_part(cloud):
    assert registry.missing_parts(cloud) == []
    loaded = registry.backend(cloud)
    assert loaded.component.__name__.endswith("Storage") and callable(loaded.storage_args)


def test_a_backend_lacking_a_part_is_refused_naming_what_is_missing(stub_backends, monkeypatch):
    package = write_package(stub_backends, "stub_incomplete", {"component": "COMPONENT = object\n"})
    monkeypatch.setitem(registry.BACKENDS, "stub", package)
    missing = [
        "stub_incomplete.component.TYPE_TOKEN",
        "stub_incomplete.stack_args.storage_args",
        "stub_incomplete.check.reach",
        "stub_incomplete.check.secrets_in",
        "stub_incomplete.stand_ins.PROVIDER",
        "stub_incomplete.stand_ins.StandIns",
        "stub_incomplete.settings.CLOUD",
    ]
    assert registry.missing_parts("stub") == missing
    program = [part for part in missing if part.split(".")[1] in registry.PROGRAM_MODULES]
    with pytest.raises(registry.IncompleteBackend, match=f"the stub backend lacks {', '.join(program)}$"):
        registry.backend("stub")
    with pytest.raises(registry.IncompleteBackend, match=r"the stub backend lacks stub_incomplete\.check\.reach, "):
        registry.check_client("stub")


def test_pulumi_up_imports_none_of_the_tools_parts():
    """The program loads a backend's component, arguments and settings; `check`, `stand_ins` and
    how existing storage differs from the hardening (with the CORS comparison) are the tools' and
    stay out of `pulumi up`."""
    script = (
        "import sys\n"
        "from components import registry\n"
        "from components.settings import component_args, stack_file\n"
        "for cloud in registry.BACKENDS:\n"
        "    registry.backend(cloud)\n"
        "import components.kubernetes.release, components.compose\n"
        "tools = ('.check', '.stand_ins', '.hardening', 'components.storage_check', 'components.cors')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('components') and m.endswith(tools))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_stub_fourth_backend_runs_the_program_with_nothing_but_its_package_and_registration(
    stub_backends, monkeypatch
):
    package = write_package(stub_backends, "stub_cloud", STUB_MODULES)
    monkeypatch.setitem(registry.BACKENDS, "stub", package)

    declaration = declare(STUB_STACK)

    assert declaration.error is None, declaration.error
    storage = declaration.one("labelstudio:stub:Storage")
    bucket = declaration.one("stub:index:Bucket")
    assert bucket.parent == storage.urn and bucket.inputs == {"name": "acme-labels"}
    assert declaration.outputs["bucketArn"] == "stub:::acme-labels", "the plan asks the stub's own stand-ins"
    assert declaration.outputs["tier"] == "gold", "the stub's own settings object reaches its component"
    release = declaration.one("kubernetes:helm.sh/v3:Release")
    assert bucket.urn in release.dependencies, "Label Studio waits for the stub's storage"
    values = reveal(release.inputs["values"])
    assert values["global"]["persistence"]["config"]["s3"]["bucket"] == "acme-labels"
    assert values["app"]["serviceAccount"]["annotations"] == {"stub.example.com/trusts": "label-studio"}
    assert not declaration.of_type("aws:s3/bucket:Bucket"), "only the stub's resources are declared"
    assert declaration.outputs["cloud"] == "stub" and declaration.outputs["bucketName"] == "acme-labels"


def test_packages_export_their_components_and_load_a_provider_sdk_only_when_one_is_asked_for():
    script = (
        "import sys\n"
        "import components.aws, components.gcp, components.azure, components.registry\n"
        "import components.kubernetes.chart, components.label_studio, components.env_list\n"
        "sdks = ('pulumi_aws', 'pulumi_gcp', 'pulumi_azure', 'pulumi_kubernetes')\n"
        "assert not [m for m in sys.modules if m.startswith(sdks)]\n"
        "from components.gcp import GcpStorage\n"
        "from components.kubernetes import LabelStudioRelease\n"
        "assert GcpStorage.__module__ == 'components.gcp.component' and 'pulumi_gcp' in sys.modules\n"
        "assert 'pulumi_aws' not in sys.modules and 'pulumi_azure_native' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_registered_stub_cloud_is_held_to_its_own_settings_rules(stub_backends, monkeypatch):
    unregistered = declare(STUB_STACK)
    refused = "labelstudio:cloud 'stub' must be one of 'aws', 'gcp', 'azure' or 's3-compatible'"
    assert unregistered.error and refused in unregistered.error

    monkeypatch.setitem(registry.BACKENDS, "stub", write_package(stub_backends, "stub_rules", STUB_MODULES))
    settings, _ = load_settings({"cloud": "stub", "bucket": "acme-labels", "host": "https://label.example.com"})
    assert settings.access == "stub-identity" and settings.cloud_object.tier == "standard"
    refused = declare(
        {**STUB_STACK, "labelstudio:bucket": "Acme", "labelstudio:access": "irsa", "labelstudio:stub": {"tierr": 1}}
    )
    assert refused.error and not refused.resources
    for message in (
        "labelstudio:bucket 'Acme' is not a stub bucket name; use lowercase letters",
        "labelstudio:access 'irsa' is not an access mode for cloud stub; use stub-identity or stub-keys",
        "labelstudio:stub.tierr: is not a setting; did you mean tier? known keys are tier",
    ):
        assert message in refused.error, message
    compose = declare({**STUB_STACK, "labelstudio:target": "compose", "labelstudio:access": "stub-identity"})
    assert compose.error and "needs stub-keys; remove labelstudio:access or set it to stub-keys" in compose.error
