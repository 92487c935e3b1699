"""A stand-in cloud provider the real Pulumi engine loads offline: the ResourceProvider gRPC
interface, answered with the credential-free plan's own stand-ins (tools/mockrun StandInCloud,
components/<cloud>/stand_ins.py), so an engine run and the plan see the same ids, ARNs and keys.

A test fixture, never deployed: each of tests/engine/providers/<name>/ is a Python plugin
(PulumiPlugin.yaml) whose __main__.py calls `serve(<name>)`; a test copy of the project names
those folders under Pulumi.yaml's `plugins: providers:`, which the engine prefers to any
installed plugin of any version.

What it does, as a provider must for the engine's own rules to apply:
- Check echoes the program's inputs; Diff compares old and new inputs, so unchanged inputs are
  "no changes" (a second preview is clean) and nothing is ever replaced;
- Create and Update answer the inputs plus the stand-ins' state for the type; a Create in a
  preview answers only the inputs, the rest unknown, as a real provider does for what the cloud
  assigns (an ARN, an id): a program's preview never sees a value it could only know after `up`;
- Read of a known resource (refresh) answers its state unchanged; Read of an id alone (an import)
  answers the resource as it exists BEFORE this project hardens it: its identity from the id, and
  what the cloud's own read stand-in (getBucket, getStorageAccount) says of it. The program's
  hardened inputs then differ from it, and the engine updates it after the import;
- Invoke answers the plan's stand-in for the call (getBucket, listStorageAccountKeys, ...).

The stack's own settings (the plan's stand-ins may depend on them) come from the environment
variable STANDIN_STACK_CONFIG (JSON of the config the plan encodes), set by the test harness.
"""

from __future__ import annotations

import json
import os
import sys
from concurrent import futures
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.mockrun.stand_ins import StandInCloud  # noqa: E402
from tools.mockrun.values import SECRET_SIG, SIG_KEY  # noqa: E402

CONFIG_ENV = "STANDIN_STACK_CONFIG"
# Where each provider appends one JSON line per change it makes (create, read, update, delete):
# the stand-in cloud's record of what exists, so a test can tell what `pulumi destroy` left.
OPERATIONS_ENV = "STANDIN_OPERATIONS_LOG"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-value sentinel
# The Pulumi SDK package whose plugin each provider stands in for, to report the same version.
SDK_PACKAGES = {"aws": "pulumi-aws", "gcp": "pulumi-gcp", "azure-native": "pulumi-azure-native"}


def plain(value: Any) -> Any:
    """A value with the engine's secret wrappers removed (the stand-ins read plain values)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return plain(value.get("value"))
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _arm_segments(resource_id: str) -> dict[str, str]:
    """`/subscriptions/s/resourceGroups/g/providers/P/storageAccounts/a/...` as {'resourceGroups': 'g', ...}."""
    parts = [part for part in resource_id.split("/") if part]
    return {parts[i].lower(): parts[i + 1] for i in range(0, len(parts) - 1, 2)}


def identity(kind: str, resource_id: str) -> dict[str, Any]:
    """The inputs a provider's Read reports for an existing resource known by id alone: the
    names the id holds (what any import of it must keep), nothing this project sets."""
    if kind == "aws:s3/bucket:Bucket":
        return {"bucket": resource_id}
    if kind == "gcp:storage/bucket:Bucket":
        project, _, name = resource_id.rpartition("/")
        return {"name": name, **({"project": project} if project else {})}
    if kind.startswith("azure-native:"):
        segments = _arm_segments(resource_id)
        found = {
            "resourceGroupName": segments.get("resourcegroups"),
            "accountName": segments.get("storageaccounts"),
            "containerName": segments.get("containers"),
        }
        if "blobservices" in segments and "containers" not in segments:
            found["blobServicesName"] = segments["blobservices"]
        return {key: value for key, value in found.items() if value}
    return {}


def existing_read(cloud: StandInCloud, kind: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What the cloud's read stand-in says of an existing resource (the state `existing` stacks
    read with getBucket / getStorageAccount), or nothing for types the plan never reads."""
    calls = {
        "aws:s3/bucket:Bucket": ("aws:s3/getBucket:getBucket", {"bucket": inputs.get("bucket")}),
        "gcp:storage/bucket:Bucket": ("gcp:storage/getBucket:getBucket", dict(inputs)),
        "azure-native:storage:StorageAccount": ("azure-native:storage:getStorageAccount", dict(inputs)),
    }
    if kind not in calls:
        return {}
    token, args = calls[kind]
    answer, _ = cloud.call(SimpleNamespace(token=token, args=args))
    return {key: value for key, value in answer.items() if key != "id"}


# What an existing resource's read state holds that is the cloud's, not an input a program sets.
READ_ONLY = {
    "aws:s3/bucket:Bucket": {"arn", "region"},
    "gcp:storage/bucket:Bucket": {"url", "selfLink"},
    "azure-native:storage:StorageAccount": {"id", "name", "primaryEndpoints"},
}


def _rewrap(outputs: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """The stand-in's state with the inputs' own values (secret wrappers included) where unchanged."""
    merged = dict(outputs)
    for key, value in inputs.items():
        if key not in merged or merged[key] == plain(value):
            merged[key] = value
    return merged


def _changed(olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    keys = set(olds) | set(news)
    return sorted(key for key in keys if not key.startswith("__") and plain(olds.get(key)) != plain(news.get(key)))


class StandInProvider:
    """The answers, without gRPC: plain dicts in and out (the servicer below adapts)."""

    def __init__(self, name: str, stack_config: dict[str, str] | None = None):
        self.name = name
        self.stack_config = dict(stack_config if stack_config is not None else _env_config())
        self.cloud = StandInCloud(self.stack_config)

    def configure(self, args: dict[str, Any]) -> None:
        """The provider's own settings (`aws:region`, ...) over the stack's, as the plan reads them."""
        config = dict(self.stack_config)
        for key, value in plain(args).items():
            if isinstance(value, str) and value and value != UNKNOWN:
                config[f"{self.name}:{key}"] = value
        self.cloud = StandInCloud(config)

    def version(self) -> str:
        try:
            return metadata.version(SDK_PACKAGES[self.name])
        except (KeyError, metadata.PackageNotFoundError):
            return "0.0.0"

    def create(self, kind: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        resource_id, state = self.cloud.new_resource(SimpleNamespace(typ=kind, name=name, inputs=plain(inputs)))
        return resource_id, _rewrap(state, inputs)

    def diff(self, old_inputs: dict[str, Any], news: dict[str, Any]) -> list[str]:
        return _changed(old_inputs, news)

    def read(
        self, kind: str, name: str, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """(id, state, inputs): a known resource as it is; an import's as it exists before hardening."""
        if state:
            return resource_id, state, inputs
        found = identity(kind, resource_id)
        read_state = existing_read(self.cloud, kind, found)
        existing_inputs = {**found, **{k: v for k, v in read_state.items() if k not in READ_ONLY.get(kind, ())}}
        _, created = self.cloud.new_resource(SimpleNamespace(typ=kind, name=name, inputs=existing_inputs))
        return resource_id, {**created, **read_state}, existing_inputs

    def invoke(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        answer, _ = self.cloud.call(SimpleNamespace(token=token, args=plain(args)))
        return answer


def record(operation: str, kind: str, name: str, resource_id: str) -> None:
    """One line of the stand-in cloud's record, when the test harness asked for one."""
    path = os.environ.get(OPERATIONS_ENV)
    if path:
        line = json.dumps({"op": operation, "type": kind, "name": name, "id": resource_id})
        with open(path, "a", encoding="utf-8") as log:
            log.write(line + "\n")


def _env_config() -> dict[str, str]:
    raw = os.environ.get(CONFIG_ENV, "")
    try:
        config = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {str(key): str(value) for key, value in config.items()} if isinstance(config, dict) else {}


def _servicer_class() -> type:
    from google.protobuf import empty_pb2, json_format, struct_pb2
    from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

    def to_dict(message: Any) -> dict[str, Any]:
        return json_format.MessageToDict(message) if message is not None else {}

    def to_struct(values: dict[str, Any]) -> Any:
        struct = struct_pb2.Struct()
        struct.update(values)
        return struct

    def type_and_name(request: Any) -> tuple[str, str]:
        urn = request.urn
        parts = urn.split("::")
        kind = request.type or (parts[2].rsplit("$", 1)[-1] if len(parts) > 3 else "")
        return kind, request.name or (parts[-1] if len(parts) > 3 else "")

    class Servicer(provider_pb2_grpc.ResourceProviderServicer):  # type: ignore[misc]
        def __init__(self, provider: StandInProvider):
            self.provider = provider

        def GetPluginInfo(self, request: Any, context: Any) -> Any:
            return plugin_pb2.PluginInfo(version=self.provider.version())

        def GetSchema(self, request: Any, context: Any) -> Any:
            schema = {"name": self.provider.name, "version": self.provider.version()}
            return provider_pb2.GetSchemaResponse(schema=json.dumps(schema))

        def CheckConfig(self, request: Any, context: Any) -> Any:
            return provider_pb2.CheckResponse(inputs=request.news)

        def DiffConfig(self, request: Any, context: Any) -> Any:
            changed = _changed(to_dict(request.old_inputs) or to_dict(request.olds), to_dict(request.news))
            kind = provider_pb2.DiffResponse.DIFF_SOME if changed else provider_pb2.DiffResponse.DIFF_NONE
            return provider_pb2.DiffResponse(changes=kind, diffs=changed)

        def Configure(self, request: Any, context: Any) -> Any:
            self.provider.configure(to_dict(request.args))
            return provider_pb2.ConfigureResponse(
                acceptSecrets=True, supportsPreview=True, acceptResources=True, acceptOutputs=False
            )

        def Check(self, request: Any, context: Any) -> Any:
            return provider_pb2.CheckResponse(inputs=request.news)

        def Diff(self, request: Any, context: Any) -> Any:
            olds = to_dict(request.old_inputs) if request.HasField("old_inputs") else to_dict(request.olds)
            changed = self.provider.diff(olds, to_dict(request.news))
            ignored = set(request.ignoreChanges)
            changed = [key for key in changed if key not in ignored]
            kind = provider_pb2.DiffResponse.DIFF_SOME if changed else provider_pb2.DiffResponse.DIFF_NONE
            return provider_pb2.DiffResponse(changes=kind, diffs=changed)

        def Create(self, request: Any, context: Any) -> Any:
            kind, name = type_and_name(request)
            inputs = to_dict(request.properties)
            resource_id, state = self.provider.create(kind, name, inputs)
            if request.preview:
                state = {key: value if key in inputs else UNKNOWN for key, value in state.items()}
            else:
                record("create", kind, name, resource_id)
            return provider_pb2.CreateResponse(id="" if request.preview else resource_id, properties=to_struct(state))

        def Update(self, request: Any, context: Any) -> Any:
            kind, name = type_and_name(request)
            _, state = self.provider.create(kind, name, to_dict(request.news))
            if not request.preview:
                record("update", kind, name, request.id)
            return provider_pb2.UpdateResponse(properties=to_struct({**to_dict(request.olds), **state}))

        def Read(self, request: Any, context: Any) -> Any:
            kind, name = type_and_name(request)
            known = to_dict(request.properties)
            resource_id, state, inputs = self.provider.read(kind, name, request.id, known, to_dict(request.inputs))
            record("refresh" if known else "import", kind, name, resource_id)
            return provider_pb2.ReadResponse(id=resource_id, properties=to_struct(state), inputs=to_struct(inputs))

        def Delete(self, request: Any, context: Any) -> Any:
            kind, name = type_and_name(request)
            record("delete", kind, name, request.id)
            return empty_pb2.Empty()

        def Invoke(self, request: Any, context: Any) -> Any:
            answer = self.provider.invoke(request.tok, to_dict(request.args))
            return provider_pb2.InvokeResponse(**{"return": to_struct(answer)})

        def Cancel(self, request: Any, context: Any) -> Any:
            return empty_pb2.Empty()

    return Servicer


def start(name: str, provider: StandInProvider | None = None) -> tuple[Any, int]:
    """A running gRPC server for the provider on 127.0.0.1, and its port."""
    import grpc
    from pulumi.runtime.proto import provider_pb2_grpc

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(
        _servicer_class()(provider or StandInProvider(name)), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def serve(name: str) -> None:
    """What the engine runs: start, print the port on stdout (the plugin handshake), serve."""
    server, port = start(name)
    print(port, flush=True)
    server.wait_for_termination()
