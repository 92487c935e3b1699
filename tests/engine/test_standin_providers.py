"""The stand-in cloud providers over gRPC, started as the engine starts a Python plugin (`python
<plugin folder> <engine address>`, the port on the first line of stdout). Their answers are
compared with the credential-free plan's own stand-ins, never with copies of values; the engine
suite (test_lifecycle.py) then runs them under the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.engine.standin_provider import CONFIG_ENV, SDK_PACKAGES, UNKNOWN, plain
from tools.mockrun import StandInCloud

PROVIDERS = Path(__file__).resolve().parent / "providers"
STACK_CONFIG = {"aws:region": "eu-west-1", "gcp:project": "acme-ml-prod", "azure-native:location": "westeurope"}


class Plugin:
    """One provider plugin process and a client stub to it."""

    def __init__(self, name: str):
        import grpc
        from pulumi.runtime.proto import provider_pb2_grpc

        env = {"PATH": "/usr/bin:/bin", CONFIG_ENV: json.dumps(STACK_CONFIG)}
        # stderr to a file, never a pipe: nobody reads a pipe while the plugin runs, and reading it
        # to its end waits for the plugin to exit (which a serving plugin never does).
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close(), with the process)
        self.process = subprocess.Popen(
            [sys.executable, "-u", str(PROVIDERS / name), "127.0.0.1:1"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            self.process.kill()
            self.process.wait()
            self.errors.seek(0)
            raise AssertionError(f"the plugin printed {port!r}, not its port: {self.errors.read().decode()[-3000:]}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def close(self) -> None:
        self.channel.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        self.errors.close()


@pytest.fixture(scope="module")
def plugins() -> Iterator[dict[str, Plugin]]:
    started = {name: Plugin(name) for name in ("aws", "gcp", "azure-native")}
    yield started
    for plugin in started.values():
        plugin.close()


def struct(values: dict[str, Any]) -> Any:
    from google.protobuf import struct_pb2

    message = struct_pb2.Struct()
    message.update(values)
    return message


def as_dict(message: Any) -> dict[str, Any]:
    from google.protobuf import json_format

    return json_format.MessageToDict(message)


def configure(plugin: Plugin, **args: str) -> None:
    from pulumi.runtime.proto import provider_pb2

    response = plugin.stub.Configure(provider_pb2.ConfigureRequest(args=struct(args), acceptSecrets=True))
    assert response.acceptSecrets and response.supportsPreview


def plan_answer(kind: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return StandInCloud(STACK_CONFIG).new_resource(SimpleNamespace(typ=kind, name=name, inputs=inputs))


def urn(kind: str, name: str) -> str:
    return f"urn:pulumi:test::labelstudio::labelstudio:aws:Storage${kind}::{name}"


def test_each_provider_reports_the_version_of_the_sdk_package_it_stands_in_for(plugins: dict[str, Plugin]) -> None:
    from importlib import metadata

    from google.protobuf import empty_pb2

    for name, plugin in plugins.items():
        assert plugin.stub.GetPluginInfo(empty_pb2.Empty()).version == metadata.version(SDK_PACKAGES[name])


def test_create_answers_the_plans_stand_ins_and_keeps_secrets_secret(plugins: dict[str, Plugin]) -> None:
    from pulumi.runtime.proto import provider_pb2

    aws = plugins["aws"]
    configure(aws, region="eu-west-1")
    kind, name = "aws:s3/bucket:Bucket", "labelstudio-bucket"
    inputs = {"bucket": "acme-labels", "tags": {"app": "label-studio"}}
    response = aws.stub.Create(
        provider_pb2.CreateRequest(urn=urn(kind, name), type=kind, name=name, properties=struct(inputs))
    )
    want_id, want_state = plan_answer(kind, name, inputs)
    assert (response.id, as_dict(response.properties)) == (want_id, want_state)

    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2"}
    kind, name = "aws:iam/user:User", "labelstudio-user"
    response = aws.stub.Create(
        provider_pb2.CreateRequest(urn=urn(kind, name), type=kind, name=name, properties=struct({"path": secret}))
    )
    assert as_dict(response.properties)["path"] == secret, "a secret input must come back secret"


def test_a_create_in_a_preview_knows_only_the_inputs(plugins: dict[str, Plugin]) -> None:
    """A real provider cannot know in a preview what the cloud assigns on create (an ARN, an id):
    a program's preview sees those unknown, and a check of a value made from one waits for `up`."""
    from pulumi.runtime.proto import provider_pb2

    aws = plugins["aws"]
    configure(aws, region="eu-west-1")
    kind, name = "aws:s3/bucket:Bucket", "labelstudio-bucket"
    inputs = {"bucket": "acme-labels", "tags": {"app": "label-studio"}}
    request = provider_pb2.CreateRequest(urn=urn(kind, name), type=kind, name=name, properties=struct(inputs))
    request.preview = True
    response = aws.stub.Create(request)
    _, created = plan_answer(kind, name, inputs)
    assert response.id == ""
    assert as_dict(response.properties) == {key: inputs.get(key, UNKNOWN) for key in created}
    assert "arn" in created and created["arn"] != UNKNOWN, "the stand-in does assign an ARN on up"


def test_diff_is_clean_for_unchanged_inputs_and_names_what_changed(plugins: dict[str, Plugin]) -> None:
    from pulumi.runtime.proto import provider_pb2

    gcp = plugins["gcp"]
    kind, name = "gcp:storage/bucket:Bucket", "labelstudio-bucket"
    olds = {"name": "acme-labels", "location": "EU", "uniformBucketLevelAccess": True}
    same = gcp.stub.Diff(
        provider_pb2.DiffRequest(
            urn=urn(kind, name), type=kind, olds=struct(olds), old_inputs=struct(olds), news=struct(dict(olds))
        )
    )
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    changed = gcp.stub.Diff(
        provider_pb2.DiffRequest(
            urn=urn(kind, name),
            type=kind,
            olds=struct(olds),
            old_inputs=struct(olds),
            news=struct({**olds, "uniformBucketLevelAccess": False}),
        )
    )
    assert changed.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(changed.diffs) == ["uniformBucketLevelAccess"] and not changed.replaces


def test_an_import_reads_the_resource_as_it_is_before_the_project_hardens_it(plugins: dict[str, Plugin]) -> None:
    """The import's inputs come from the plan's read stand-in (getBucket): a bucket with Cloud
    Storage's defaults, which the program's hardened bucket differs from."""
    from pulumi.runtime.proto import provider_pb2

    gcp = plugins["gcp"]
    configure(gcp, project="acme-ml-prod")
    kind, name = "gcp:storage/bucket:Bucket", "labelstudio-bucket"
    read = gcp.stub.Read(
        provider_pb2.ReadRequest(id="acme-ml-prod/acme-annotations", urn=urn(kind, name), type=kind, name=name)
    )
    existing, _ = StandInCloud(STACK_CONFIG).call(
        SimpleNamespace(
            token="gcp:storage/getBucket:getBucket", args={"name": "acme-annotations", "project": "acme-ml-prod"}
        )
    )
    inputs = as_dict(read.inputs)
    assert read.id == "acme-ml-prod/acme-annotations"
    assert inputs["name"] == "acme-annotations" and inputs["project"] == "acme-ml-prod"
    assert inputs["uniformBucketLevelAccess"] == existing["uniformBucketLevelAccess"] is False
    assert inputs["location"] == existing["location"]
    assert "url" not in inputs, "what the cloud assigns is state, not an input"

    # A refresh reads the known resource back unchanged, so it changes nothing.
    state = as_dict(read.properties)
    again = gcp.stub.Read(
        provider_pb2.ReadRequest(
            id=read.id, urn=urn(kind, name), type=kind, name=name, properties=read.properties, inputs=read.inputs
        )
    )
    assert (as_dict(again.properties), as_dict(again.inputs)) == (state, inputs)


def test_an_azure_import_takes_its_names_from_the_arm_id(plugins: dict[str, Plugin]) -> None:
    from pulumi.runtime.proto import provider_pb2

    azure = plugins["azure-native"]
    configure(azure, location="westeurope")
    account_id = "/subscriptions/s/resourceGroups/ml-storage/providers/Microsoft.Storage/storageAccounts/acme"
    kind, name = "azure-native:storage:StorageAccount", "labelstudio-account"
    read = azure.stub.Read(provider_pb2.ReadRequest(id=account_id, urn=urn(kind, name), type=kind, name=name))
    inputs = as_dict(read.inputs)
    existing, _ = StandInCloud(STACK_CONFIG).call(
        SimpleNamespace(
            token="azure-native:storage:getStorageAccount",
            args={"accountName": "acme", "resourceGroupName": "ml-storage"},
        )
    )
    assert inputs["accountName"] == "acme" and inputs["resourceGroupName"] == "ml-storage"
    assert inputs["sku"] == existing["sku"] and inputs["kind"] == existing["kind"]

    kind, name = "azure-native:storage:BlobContainer", "labelstudio-container"
    read = azure.stub.Read(
        provider_pb2.ReadRequest(
            id=f"{account_id}/blobServices/default/containers/annotations", urn=urn(kind, name), type=kind, name=name
        )
    )
    assert as_dict(read.inputs) == {
        "resourceGroupName": "ml-storage",
        "accountName": "acme",
        "containerName": "annotations",
    }


def test_invoke_answers_the_plans_stand_in_for_the_call(plugins: dict[str, Plugin]) -> None:
    from pulumi.runtime.proto import provider_pb2

    azure = plugins["azure-native"]
    token = "azure-native:storage:listStorageAccountKeys"
    args = {"accountName": "acme", "resourceGroupName": "ml-storage"}
    response = azure.stub.Invoke(provider_pb2.InvokeRequest(tok=token, args=struct(args)))
    want, _ = StandInCloud(STACK_CONFIG).call(SimpleNamespace(token=token, args=args))
    assert plain(as_dict(getattr(response, "return"))) == want
