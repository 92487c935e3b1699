"""Run `__main__.py` for a stack file under the Pulumi SDK's mocks, and record what it declares.

This is the engine of the credential-free plan and of the program tests. It runs the real
program the way the Pulumi language host does (`run_in_stack`), with the stack file's
configuration encoded the way the CLI encodes it, against a mock monitor that records every
registration whole: inputs with their secret markers where they really are, parent, protect,
dependencies and the stack's outputs. Values a cloud would assign (ids, ARNs, keys) are
deterministic stand-ins.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import re
import runpy
import sys
import threading
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.settings import json_value_problem, setting_name

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
SIG_KEY = "4dabf18193072939515e22adb298388d"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ACCOUNT = "123456789012"
SECURE_PLACEHOLDER = "[secret]"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Secret:
    """A value the program marked secret, at the place it was marked."""

    value: Any


@dataclass(frozen=True)
class Ref:
    """A reference to another resource, as a resource input."""

    urn: str


def reveal(value: Any) -> Any:
    """`value` with every secret unwrapped, for assertions on content."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    return value


def mask(value: Any) -> Any:
    """`value` with every secret replaced by `[secret]`, for printing."""
    if isinstance(value, Secret):
        return "[secret]"
    if isinstance(value, dict):
        return {key: mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item) for item in value]
    if isinstance(value, Ref):
        return f"(resource {value.urn.rsplit('::', 1)[-1]})"
    return value


def _from_proto(value: Any) -> Any:
    """A protobuf Struct/Value as plain Python, keeping secrets where they sit."""
    from google.protobuf import struct_pb2

    if isinstance(value, struct_pb2.Struct):
        raw = {key: _from_proto(item) for key, item in value.fields.items()}
        signature = raw.get(SIG_KEY)
        if signature == SECRET_SIG:
            return Secret(raw.get("value"))
        if signature == RESOURCE_SIG:
            return Ref(raw.get("urn", ""))
        return raw
    if isinstance(value, struct_pb2.ListValue):
        return [_from_proto(item) for item in value.values]
    if isinstance(value, struct_pb2.Value):
        kind = value.WhichOneof("kind")
        if kind == "struct_value":
            return _from_proto(value.struct_value)
        if kind == "list_value":
            return _from_proto(value.list_value)
        if kind == "number_value":
            number = value.number_value
            return int(number) if number.is_integer() else number
        if kind == "null_value":
            return None
        return getattr(value, kind) if kind else None
    return value


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

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> Registration:
        found = self.of_type(type_)
        if len(found) != 1:
            raise AssertionError(f"expected one {type_}, found {[r.name for r in found]}")
        return found[0]


# ---------------------------------------------------------------------------------------------
# Stand-in cloud: deterministic values for what providers compute.


def _suffix(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:7]


class StandInCloud:
    """What the providers would answer, made up deterministically; nothing is contacted."""

    def __init__(self, config: dict[str, str]):
        self.region = config.get("aws:region", "us-east-1")
        self.project = config.get("gcp:project", "example-project")
        self.location = config.get("azure-native:location", "westeurope")

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        name = args.name
        auto = f"{name}-{_suffix(name)}"
        kind = args.typ
        state: dict[str, Any] = dict(inputs)
        resource_id = inputs.get("name") or auto
        if kind == "aws:s3/bucket:Bucket":
            bucket = inputs.get("bucket") or auto
            resource_id = bucket
            state.update(bucket=bucket, arn=f"arn:aws:s3:::{bucket}", region=self.region)
        elif kind in ("aws:iam/role:Role", "aws:iam/user:User", "aws:iam/policy:Policy"):
            iam_name = inputs.get("name") or auto
            noun = kind.split(":")[-1].lower()
            path = inputs.get("path", "/")
            state.update(name=iam_name, arn=f"arn:aws:iam::{ACCOUNT}:{noun}{path}{iam_name}")
            resource_id = iam_name
        elif kind == "aws:iam/accessKey:AccessKey":
            resource_id = "STANDINACCESSKEYID"
            state.update(secret="stand-in-secret-access-key", status="Active")
        elif kind == "aws:kms/key:Key":
            key_id = "00000000-0000-4000-8000-" + _suffix(name).ljust(12, "0")
            resource_id = key_id
            state.update(arn=f"arn:aws:kms:{self.region}:{ACCOUNT}:key/{key_id}", key_id=key_id)
        elif kind == "aws:eks/podIdentityAssociation:PodIdentityAssociation":
            state.update(associationId=f"a-{_suffix(name)}")
        elif kind == "gcp:serviceaccount/account:Account":
            email = f"{inputs.get('accountId')}@{self.project}.iam.gserviceaccount.com"
            state.update(
                email=email, member=f"serviceAccount:{email}", name=f"projects/{self.project}/serviceAccounts/{email}"
            )
            resource_id = state["name"]
        elif kind == "gcp:serviceaccount/key:Key":
            key_file = {
                "type": "service_account",
                "project_id": self.project,
                "private_key_id": _suffix(name),
                "private_key": "stand-in",
            }
            import base64

            state.update(privateKey=base64.b64encode(json.dumps(key_file).encode()).decode())
        elif kind == "gcp:storage/bucket:Bucket":
            state.update(
                url=f"gs://{inputs.get('name')}",
                selfLink=f"https://www.googleapis.com/storage/v1/b/{inputs.get('name')}",
            )
        elif kind.startswith("azure-native:"):
            resource_id, azure_state = self._azure_resource(kind, inputs, auto)
            state.update(azure_state)
        elif kind.startswith("kubernetes:"):
            metadata = dict(inputs.get("metadata") or {})
            metadata.setdefault("name", auto)
            state["metadata"] = metadata
            if kind == "kubernetes:helm.sh/v3:Release":
                state.setdefault("name", auto)
                state["status"] = {"status": "deployed"}
            resource_id = metadata["name"] if kind != "kubernetes:helm.sh/v3:Release" else state["name"]
        return str(resource_id), state

    def _azure_resource(self, kind: str, inputs: dict[str, Any], auto: str) -> tuple[str, dict[str, Any]]:
        """Azure's id and name for a resource; names come from the `<noun>Name` input, as ARM returns them."""
        subscription = "/subscriptions/00000000-0000-0000-0000-000000000000"
        group = inputs.get("resourceGroupName") or "stand-in-group"
        account = inputs.get("accountName") or auto.replace("-", "")[:24]
        account_id = f"{subscription}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/{account}"
        if kind == "azure-native:resources:ResourceGroup":
            name = inputs.get("resourceGroupName") or auto
            return f"{subscription}/resourceGroups/{name}", {
                "name": name,
                "location": inputs.get("location") or self.location,
            }
        if kind == "azure-native:storage:StorageAccount":
            endpoints = {
                service: f"https://{account}.{service}.core.windows.net/"
                for service in ("blob", "dfs", "file", "queue", "table", "web")
            }
            return account_id, {
                "name": account,
                "location": inputs.get("location") or self.location,
                "primaryEndpoints": endpoints,
                "provisioningState": "Succeeded",
            }
        if kind == "azure-native:storage:BlobContainer":
            name = inputs.get("containerName") or auto
            return f"{account_id}/blobServices/default/containers/{name}", {"name": name}
        if kind == "azure-native:storage:BlobServiceProperties":
            return f"{account_id}/blobServices/default", {"name": "default"}
        if kind == "azure-native:storage:ManagementPolicy":
            return f"{account_id}/managementPolicies/default", {"name": "default"}
        return f"{subscription}/stand-in/{auto}", {"name": auto}

    def call(self, args: Any) -> tuple[dict[str, Any], list]:
        if args.token == "azure-native:storage:listStorageAccountKeys":
            return {"keys": [{"keyName": "key1", "value": "stand-in-account-key==", "permissions": "FULL"}]}, []
        if args.token == "gcp:storage/getProjectServiceAccount:getProjectServiceAccount":
            return {
                "emailAddress": "service-000000000000@gs-project-accounts.iam.gserviceaccount.com",
                "project": self.project,
            }, []
        return {}, []


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
        inputs=_from_proto(request.object),
        protect=bool(request.protect),
        dependencies=list(request.dependencies),
        additional_secret_outputs=list(request.additionalSecretOutputs),
        retain_on_delete=bool(request.retainOnDelete),
        delete_before_replace=bool(request.deleteBeforeReplace),
        ignore_changes=list(request.ignoreChanges),
        aliases=[_alias(alias) for alias in request.aliases],
    )


def _monitor_class() -> type:
    import pulumi
    from pulumi.runtime.mocks import MockMonitor

    class RecordingMonitor(MockMonitor):  # type: ignore[misc]
        """The SDK's mock monitor, keeping every registration and the stack's outputs whole."""

        def __init__(self, mocks: Any):
            super().__init__(mocks)
            self.registrations: list[Registration] = []
            self.stack_urn = ""
            self.stack_outputs: dict[str, Any] = {}
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
                self.stack_outputs = _from_proto(request.outputs)
            return super().RegisterResourceOutputs(request)

    return RecordingMonitor


class _Mocks:
    """Adapter from the SDK's Mocks interface to StandInCloud."""

    def __init__(self, cloud: StandInCloud):
        self.cloud = cloud

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        return self.cloud.new_resource(args)

    def call(self, args: Any) -> tuple[dict[str, Any], list]:
        return self.cloud.call(args)

    def register_transform(self, transform: Any) -> None:
        pass

    def register_invoke_transform(self, transform: Any) -> None:
        pass


# ---------------------------------------------------------------------------------------------
# Stack files, read the way the CLI reads them.


MAX_STACK_FILE_BYTES = 1_000_000
MAX_YAML_NESTING = 64
MAX_YAML_ALIASES = 100


class StackFileError(ValueError):
    """A stack or project file that cannot be read as configuration; the message says where."""


class _StackFileLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing what YAML forbids (duplicate keys) and bounding the cost:
    nesting and aliases are limited while the document is composed, before any value exists."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._nesting = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        line = self.peek_event().start_mark.line + 1
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise StackFileError(f"line {line}: more than {MAX_YAML_ALIASES} YAML aliases; write the values out")
            return super().compose_node(parent, index)
        self._nesting += 1
        try:
            if self._nesting > MAX_YAML_NESTING:
                raise StackFileError(f"line {line}: nested deeper than {MAX_YAML_NESTING} levels")
            return super().compose_node(parent, index)
        finally:
            self._nesting -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults` may be overridden by the keys beside it
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            with suppress(TypeError):  # an unhashable key is reported by the constructor itself
                if key in first_line:
                    raise StackFileError(
                        f"line {line}: the key {key!r} appears twice (first on line {first_line[key]}); "
                        "YAML forbids duplicate keys and readers disagree on which one wins: keep one"
                    )
                first_line[key] = line
        return super().construct_mapping(node, deep)


def load_yaml_file(path: Path) -> Any:
    """A YAML file's document, read with bounded cost; StackFileError says what is wrong and where."""
    if path.stat().st_size > MAX_STACK_FILE_BYTES:
        raise StackFileError(f"{path.name} is larger than {MAX_STACK_FILE_BYTES} bytes, which no stack file needs")
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=_StackFileLoader)  # a SafeLoader subclass
    except StackFileError as error:
        raise StackFileError(f"{path.name}, {error}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise StackFileError(f"{path.name} is not valid YAML: {error}") from None


def config_problems(values: dict[Any, Any]) -> list[str]:
    """What in stack-file config the CLI could not pass to a program as JSON, naming each key."""
    problems = []
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            problems.append(f"the config key {key!r} is not text; write keys as <namespace>:<name>")
            continue
        found = json_value_problem(value)
        if found:
            problems.append(f"{setting_name(key, found[0])}: {found[1]}")
    return problems


def project_of(directory: Path) -> tuple[str, dict[str, Any]]:
    """The project's name and its project-level config defaults."""
    for candidate in ("Pulumi.yaml", "Pulumi.yml"):
        path = directory / candidate
        if path.exists():
            project = load_yaml_file(path) or {}
            if not isinstance(project, dict) or not isinstance(project.get("name"), str):
                raise StackFileError(f"{path} does not hold a project mapping with a name")
            config = project.get("config") or {}
            if not isinstance(config, dict):
                raise StackFileError(f"{path}: config must be a mapping of <namespace>:<name>: value")
            return project["name"], config
    raise FileNotFoundError(f"no Pulumi.yaml in {directory}")


def stack_name_of(stack_file: Path) -> str:
    """The stack's name, held to the CLI's rule: names reach resource names (Azure's group, say)."""
    name = stack_file.name
    for suffix in (".yaml", ".yml"):
        if name.startswith("Pulumi.") and name.endswith(suffix):
            stack = name[len("Pulumi.") : -len(suffix)]
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", stack, re.ASCII):
                raise StackFileError(f"{stack!r} is not a stack name: use up to 100 letters, digits, '-', '_' and '.'")
            return stack
    raise StackFileError(f"{stack_file} is not named Pulumi.<stack>.yaml")


def _encode(value: Any) -> tuple[Any, bool]:
    """A stack-file value as plain data with secure values replaced, and whether it held one."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECURE_PLACEHOLDER, True
        pairs = {key: _encode(item) for key, item in value.items()}
        return {key: item for key, (item, _) in pairs.items()}, any(secret for _, secret in pairs.values())
    if isinstance(value, list):
        items = [_encode(item) for item in value]
        return [item for item, _ in items], any(secret for _, secret in items)
    return value, False


def _as_cli_string(value: Any) -> str:
    """How the CLI hands a config value to a program: scalars as text, the rest as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if value is None:
        return ""
    return str(value)


PROJECT_DIR = Path(__file__).resolve().parent.parent


def project_dir_for(stack_file: Path) -> Path:
    """The stack file's own project when it sits beside a Pulumi.yaml, else this project."""
    directory = Path(stack_file).resolve().parent
    return directory if (directory / "Pulumi.yaml").exists() and (directory / "__main__.py").exists() else PROJECT_DIR


def encode_config(values: dict[str, Any], project: str) -> tuple[dict[str, str], list[str]]:
    """Stack-file config as the CLI passes it to a program: `namespace:key` to text, and secret keys."""
    problems = config_problems(values)
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise StackFileError(f"the stack's config cannot be passed to a program:\n{listed}")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in values.items():
        full_key = key if ":" in key else f"{project}:{key}"
        plain, secret = _encode(value)
        config[full_key] = _as_cli_string(plain)
        if secret:
            secret_keys.append(full_key)
    return config, secret_keys


def read_stack_config(
    stack_file: Path, project_dir: Path | None = None
) -> tuple[str, str, dict[str, str], list[str], list[str]]:
    """(project, stack, config, secret keys, notes) for a Pulumi.<stack>.yaml."""
    stack_file = Path(stack_file)
    project, project_config = project_of(project_dir or project_dir_for(stack_file))
    stack = stack_name_of(stack_file)
    document = load_yaml_file(stack_file) or {}
    if not isinstance(document, dict):
        raise StackFileError(f"{stack_file.name} does not hold a YAML mapping of config: and other keys")
    stack_config = document.get("config") or {}
    if not isinstance(stack_config, dict):
        raise StackFileError(
            f"{stack_file.name}: config must be a mapping of <namespace>:<name>: value, "
            f"not {type(stack_config).__name__}"
        )
    notes = []
    if document.get("environment"):
        notes.append(
            "the stack imports Pulumi ESC environments, which only the Pulumi CLI can open; "
            "their values are not in this plan"
        )
    merged: dict[str, Any] = {}
    for key, declared in project_config.items():
        if isinstance(declared, dict) and ("default" in declared or "value" in declared):
            merged[key] = declared.get("value", declared.get("default"))
    merged.update(stack_config)
    config, secret_keys = encode_config(merged, project)
    if secret_keys:
        notes.append(
            "secure values cannot be decrypted without the Pulumi CLI; they stand in as "
            f"{SECURE_PLACEHOLDER!r}: " + ", ".join(secret_keys)
        )
    return project, stack, config, secret_keys, notes


# ---------------------------------------------------------------------------------------------
# Running the program.


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_program(
    project_dir: Path,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str] | None = None,
    project: str | None = None,
    preview: bool = False,
) -> Declaration:
    """Run `project_dir/__main__.py` under mocks with this configuration."""
    project_dir = Path(project_dir).resolve()
    if project is None:
        project, _ = project_of(project_dir)
    declaration = Declaration(stack=stack, project=project, config=dict(config), secret_keys=list(secret_keys or []))
    context = contextvars.copy_context()
    context.run(_run, project_dir, declaration, preview)
    return declaration


def declare(values: dict[str, Any], stack: str = "test", project_dir: Path = PROJECT_DIR) -> Declaration:
    """Run the program with stack-file style config given as Python values (tests use this)."""
    project, _ = project_of(project_dir)
    try:
        config, secret_keys = encode_config(values, project)
    except StackFileError as error:
        return Declaration(stack=stack, project=project, error=str(error))
    return run_program(project_dir, stack, config, secret_keys, project)


def run_stack_file(stack_file: Path, project_dir: Path | None = None, preview: bool = False) -> Declaration:
    stack_file = Path(stack_file).resolve()
    project_dir = project_dir or project_dir_for(stack_file)
    project, stack, config, secret_keys, notes = read_stack_config(stack_file, project_dir)
    declaration = run_program(project_dir, stack, config, secret_keys, project, preview)
    declaration.notes = notes + declaration.notes
    return declaration


def _run(project_dir: Path, declaration: Declaration, preview: bool) -> None:
    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.stack import run_in_stack

    # Everything the runtime schedules, set_mocks' own root stack included, must live on the
    # loop that runs the program, or the run waits forever on a future of another loop.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = _monitor_class()(_Mocks(StandInCloud(declaration.config)))
    logger = logging.getLogger(f"labelstudio.mockrun.{declaration.stack}")
    logger.propagate = False
    collector = _Collector()
    logger.handlers = [collector]
    pulumi.runtime.set_mocks(
        monitor.mocks,
        project=declaration.project,
        stack=declaration.stack,
        preview=preview,
        logger=logger,
        monitor=monitor,
    )
    # set_mocks leaves a finished root stack behind; the program gets a fresh one, as under the CLI.
    runtime_settings.ROOT.set(None)
    set_all_config(dict(declaration.config), list(declaration.secret_keys))

    main = project_dir / "__main__.py"
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    try:
        loop.run_until_complete(run_in_stack(program))
    except pulumi.RunError as error:
        declaration.error = str(error)
    finally:
        for task in asyncio.all_tasks(loop):
            task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                loop.run_until_complete(task)
        # The mock monitor gives each worker thread an event loop of its own: end the threads,
        # then close their loops here rather than leave them to the garbage collector.
        loop.run_until_complete(loop.shutdown_default_executor())
        for thread_loop in monitor.thread_loops - {loop}:
            thread_loop.close()
        loop.close()
        asyncio.set_event_loop(None)
    declaration.resources = monitor.registrations
    declaration.outputs = monitor.stack_outputs
    declaration.warnings = collector.messages
