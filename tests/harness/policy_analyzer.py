"""The policy pack as the Pulumi CLI runs it: its gRPC analyzer, in the pack's own environment."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2

from policy.rules import UNKNOWN, Resource

ROOT = Path(__file__).resolve().parents[2]
# How the engine sends a value it does not know yet (a new bucket's ARN during a preview).
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@contextmanager
def running_pack() -> Iterator[Any]:
    """An AnalyzerStub talking to the pack, started the way the CLI starts it: it prints its port."""
    from pulumi.runtime.proto import analyzer_pb2_grpc

    # The pack's own environment (policy/venv, from `scripts/setup.sh policy`), as the CLI would run it:
    # this also proves policy/requirements.txt is all the pack needs.
    python = ROOT / "policy" / "venv" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run scripts/setup.sh policy", pytrace=False)
    process = subprocess.Popen([str(python), "__main__.py"], cwd=ROOT / "policy", stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(10)


def urn_of(resource: Resource) -> str:
    return resource.urn or f"urn:pulumi:test::labelstudio::{resource.type}::{resource.name}"


def _wire(value: Any) -> Any:
    """Props as the engine marshals them: unknowns as its sentinel string."""
    if value is UNKNOWN:
        return UNKNOWN_STRING
    if isinstance(value, dict):
        return {key: _wire(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire(item) for item in value]
    return value


def analyze(stub: Any, resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """(policy, message) for every violation the pack reports on this stack."""
    from pulumi.runtime.proto import analyzer_pb2

    requests = []
    for resource in resources:
        properties = struct_pb2.Struct()
        json_format.ParseDict(_wire(dict(resource.props)), properties)
        options = analyzer_pb2.AnalyzerResourceOptions(
            protect=resource.protect, additionalSecretOutputs=list(resource.secret_outputs)
        )
        dependencies = {
            key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
            for key, urns in resource.property_dependencies.items()
        }
        requests.append(
            analyzer_pb2.AnalyzerResource(
                type=resource.type,
                name=resource.name,
                urn=urn_of(resource),
                properties=properties,
                options=options,
                dependencies=list(resource.dependencies),
                propertyDependencies=dependencies,
            )
        )
    response = stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=requests))
    return [(d.policyName, d.message) for d in response.diagnostics]
