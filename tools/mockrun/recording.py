"""The recording monitor: the SDK's mock monitor, keeping every registration whole (inputs with
their secret markers, parent, protection, dependencies, aliases) and the stack's outputs, under
the URNs the engine would give."""

from __future__ import annotations

import asyncio
import threading
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from tools.mockrun.values import from_proto

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    protect: bool
    dependencies: list[str]
    additional_secret_outputs: list[str]
    retain_on_delete: bool
    delete_before_replace: bool
    ignore_changes: list[str]
    import_id: str  # the `import_` option: the provider's id of what exists, or empty
    # As the engine receives them: {"urn": ...}, or a spec whose empty fields mean "as now".
    aliases: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Declaration:
    """Everything one run of the program declared, or the error that stopped it."""

    stack: str
    project: str
    resources: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    config: dict[str, str] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reads: list[tuple[str, str]] = field(default_factory=list)  # (type, name) read, not managed
    component_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # by URN, what each registered

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    @property
    def imports(self) -> list[Registration]:
        """The resources the engine would import (adopt existing storage), not create."""
        return [r for r in self.resources if r.import_id]

    def one(self, type_: str) -> Registration:
        found = self.of_type(type_)
        if len(found) != 1:
            raise AssertionError(f"expected one {type_}, found {[r.name for r in found]}")
        return found[0]


def _alias(alias: Any) -> dict[str, Any]:
    """One alias of a registration: a whole URN, or the spec the engine resolves (alias_pb2.Alias)."""
    if alias.WhichOneof("alias") == "urn":
        return {"urn": alias.urn}
    spec = alias.spec
    fields = ("name", "type", "stack", "project", "parentUrn", "noParent")
    return {name: getattr(spec, name) for name in fields if getattr(spec, name)}


def engine_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """The URN the engine gives (resource.CreateURN), which the SDK's mock only approximates: a
    child's type is qualified by its parent's whole type chain, and the root stack qualifies
    nothing. Aliases and golden URN lists compare against these."""
    parent_type = parent.split("::")[2] if parent else ""
    qualified = f"{parent_type}${type_}" if parent_type and parent_type != ROOT_STACK_TYPE else type_
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def registration_of(request: Any, urn: str, stack_urn: str) -> Registration:
    """A RegisterResourceRequest as recorded; the parent is empty when it is the stack."""
    return Registration(
        type=request.type,
        name=request.name,
        urn=urn,
        parent="" if request.parent == stack_urn else request.parent,
        custom=request.custom,
        inputs=from_proto(request.object),
        protect=bool(request.protect),
        dependencies=list(request.dependencies),
        additional_secret_outputs=list(request.additionalSecretOutputs),
        retain_on_delete=bool(request.retainOnDelete),
        delete_before_replace=bool(request.deleteBeforeReplace),
        ignore_changes=list(request.ignoreChanges),
        import_id=request.importId,
        aliases=[_alias(alias) for alias in request.aliases],
    )


def monitor_class() -> type:
    import pulumi
    from pulumi.runtime.mocks import MockMonitor

    class RecordingMonitor(MockMonitor):  # type: ignore[misc]
        """The SDK's mock monitor, keeping every registration and the stack's outputs whole."""

        def __init__(self, mocks: Any):
            super().__init__(mocks)
            self.registrations: list[Registration] = []
            self.stack_urn = ""
            self.stack_outputs: dict[str, Any] = {}
            self.component_outputs: dict[str, dict[str, Any]] = {}
            self.reads: list[tuple[str, str]] = []  # (type, name) of each resource read, not managed
            self.thread_loops: set[asyncio.AbstractEventLoop] = set()
            self._loops_lock = threading.Lock()

        def _note_thread_loop(self) -> None:
            """Remember the event loop the SDK gave this worker thread, to close it at the end.

            Left open, it is closed by the garbage collector when the thread is gone, which may
            finalise its self-pipe socket first: `Exception ignored in BaseEventLoop.__del__`.
            """
            with suppress(RuntimeError), self._loops_lock:
                self.thread_loops.add(asyncio.get_event_loop())

        def Invoke(self, request: Any) -> Any:
            try:
                return super().Invoke(request)
            finally:
                self._note_thread_loop()

        def ReadResource(self, request: Any) -> Any:
            self.reads.append((request.type, request.name))
            try:
                return super().ReadResource(request)
            finally:
                self._note_thread_loop()

        def make_urn(self, parent: str, type_: str, name: str) -> str:
            return engine_urn(pulumi.get_stack(), pulumi.get_project(), parent, type_, name)

        def RegisterResource(self, request: Any) -> Any:
            try:
                response = super().RegisterResource(request)
            finally:
                self._note_thread_loop()
            if request.type == ROOT_STACK_TYPE:
                self.stack_urn = response.urn
                return response
            self.registrations.append(registration_of(request, response.urn, self.stack_urn))
            return response

        def RegisterResourceOutputs(self, request: Any) -> Any:
            if request.urn == self.stack_urn:
                self.stack_outputs = from_proto(request.outputs)
            else:
                self.component_outputs[request.urn] = from_proto(request.outputs)
            return super().RegisterResourceOutputs(request)

    return RecordingMonitor
