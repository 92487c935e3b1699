"""The engine's side of a component provider, on 127.0.0.1: start the plugin, give it a monitor.

The Pulumi engine starts a plugin as a subprocess with its own address as the argument, reads
the port the plugin prints, and talks to it over gRPC; for `Construct` it hands the plugin the
address of a resource monitor, where the plugin registers the component and its children.
This module plays the engine and the monitor, and records every registration the way
tools.mockrun does for the program, with stand-in values for what the clouds would assign.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

from tests.harness.servers import stop_process
from tools.mockrun import (
    ROOT_STACK_TYPE,
    SECRET_SIG,
    SIG_KEY,
    Registration,
    StandInCloud,
    _from_proto,
    engine_urn,
    registration_of,
    reveal,
)

PLUGIN = Path(__file__).resolve().parents[2] / "provider" / "__main__.py"


def stack_urn(project: str, stack: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{ROOT_STACK_TYPE}::{project}-{stack}"


class _Engine(engine_pb2_grpc.EngineServicer):
    """Logs go nowhere; the root resource is the stack."""

    def __init__(self) -> None:
        self.root = ""
        self.logs: list[str] = []

    def Log(self, request: Any, context: Any) -> Any:
        self.logs.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request: Any, context: Any) -> Any:
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()


@dataclass
class RecordingMonitor(resource_pb2_grpc.ResourceMonitorServicer):
    """A resource monitor that keeps every registration and answers with stand-in cloud values."""

    project: str
    stack: str
    config: dict[str, str] = field(default_factory=dict)
    registrations: list[Registration] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cloud = StandInCloud(self.config)

    def GetDeploymentInfo(self, request: Any, context: Any) -> Any:
        return resource_pb2.DeploymentInfo(
            supportedFeatures=[
                resource_pb2.RESOURCE_MONITOR_FEATURE_SECRETS,
                resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES,
                resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
            ]
        )

    def SupportsFeature(self, request: Any, context: Any) -> Any:
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id in ("secrets", "resourceReferences"))

    def RegisterResource(self, request: Any, context: Any) -> Any:
        urn = engine_urn(self.stack, self.project, request.parent, request.type, request.name)
        registration = registration_of(request, urn, stack_urn(self.project, self.stack))
        self.registrations.append(registration)
        if not request.custom:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        resource_id, state = self.cloud.new_resource(
            SimpleNamespace(typ=request.type, name=request.name, inputs=reveal(registration.inputs))
        )
        state_proto = struct_pb2.Struct()
        state_proto.update(json.loads(json.dumps(state)))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=state_proto)

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def Invoke(self, request: Any, context: Any) -> Any:
        result, _ = self.cloud.call(SimpleNamespace(token=request.tok, args=_from_proto(request.args)))
        returned = struct_pb2.Struct()
        returned.update(result)
        return resource_pb2.ResourceInvokeResponse(**{"return": returned})


@dataclass
class Plugin:
    """The running plugin and the engine and monitor it talks to."""

    provider: Any
    engine: _Engine
    port: int
    monitor_port: int
    monitors: list[RecordingMonitor] = field(default_factory=list)
    monitor_server: Any = None
    stderr_path: Path | None = None

    def stderr(self) -> str:
        """What the plugin wrote to stderr so far: the engine shows each line of it to the user."""
        return self.stderr_path.read_text() if self.stderr_path else ""

    def construct(
        self,
        type_: str,
        name: str,
        inputs: dict[str, Any],
        *,
        project: str = "labelstudio",
        stack: str = "dev",
        config: dict[str, str] | None = None,
        input_dependencies: dict[str, list[str]] | None = None,
    ) -> tuple[Any, RecordingMonitor]:
        """Construct a component as the engine would, returning the response and what was registered."""
        monitor = self.monitors[0]
        monitor.project, monitor.stack, monitor.registrations = project, stack, []
        monitor.cloud = StandInCloud(config or {})
        self.engine.root = stack_urn(project, stack)
        request = provider_pb2.ConstructRequest(
            project=project,
            stack=stack,
            config=config or {},
            dryRun=False,
            parallel=4,
            monitorEndpoint=f"127.0.0.1:{self.monitor_port}",
            type=type_,
            name=name,
            parent=stack_urn(project, stack),
            inputs=to_struct(inputs),
            inputDependencies={
                key: provider_pb2.ConstructRequest.PropertyDependencies(urns=urns)
                for key, urns in (input_dependencies or {}).items()
            },
            organization="organization",
        )
        return self.provider.Construct(request, timeout=120), monitor

    def refusal(
        self,
        type_: str,
        component: str,
        inputs: dict[str, Any],
        *,
        config: dict[str, str] | None = None,
        input_dependencies: dict[str, list[str]] | None = None,
    ) -> str:
        """The details of the refusal constructing `inputs` as `labelstudio` meets, checked to be what
        the engine shows per argument: invalid arguments of `component`, with no Python traceback."""
        try:
            self.construct(type_, "labelstudio", inputs, config=config, input_dependencies=input_dependencies)
        except grpc.RpcError as refused:
            details = str(refused.details())
            assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT, details
            assert details.startswith(f"{component} 'labelstudio' cannot be built from its arguments"), details
            assert "Traceback" not in details and 'File "' not in details, details
            return details
        raise AssertionError(f"{component} was built from arguments it should refuse: {inputs}")

    def schema(self) -> dict[str, Any]:
        response = self.provider.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60)
        return dict(json.loads(response.schema))


def secret(value: Any) -> dict[str, Any]:
    """A secret input value, as the engine sends one."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def to_struct(value: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


@contextmanager
def running_plugin() -> Iterator[Plugin]:
    """Start provider/__main__.py as the engine does, with an engine and a monitor of our own. Its
    stderr goes to a file, read as the engine reads it (an unread pipe would fill and stall it)."""
    engine = _Engine()
    monitor = RecordingMonitor(project="labelstudio", stack="dev")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(monitor, server)
    monitor_port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    stderr = tempfile.NamedTemporaryFile("w", prefix="plugin-stderr-", suffix=".txt")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, str(PLUGIN), f"127.0.0.1:{monitor_port}"],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.strip().isdigit():
            process.kill()
            process.wait(10)
            raise AssertionError(f"the plugin printed no port: {line!r} {Path(stderr.name).read_text()[-3000:]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{int(line)}")
        provider = provider_pb2_grpc.ResourceProviderStub(channel)
        yield Plugin(provider, engine, int(line), monitor_port, [monitor], server, Path(stderr.name))
        channel.close()
    finally:
        stop_process(process)
        server.stop(None)
        stderr.close()
