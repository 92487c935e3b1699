"""The one place a cloud is registered: which package builds its storage.

A backend is a package under `components/` with these modules, each imported only when it is
needed (so a stack loads one provider SDK, and `pulumi up` loads only `component`, `stack_args`
and `settings`; `check` and `stand_ins` are the tools' parts, imported by `tools.check` and the
credential-free plan):
- `component`: `COMPONENT`, the storage component (a components.facts.StorageComponent, whose
  `facts` hold what Label Studio needs), which takes `(name, args, opts)`, and `TYPE_TOKEN`,
  the type it registers with (the package serves it under that token);
- `stack_args`: `storage_args(settings, workloads)`, the stack's settings as its arguments;
- `check`: the `check` command's client: `reach(outputs, keyed, endpoint_url, timeouts)`, the
  live storage the stack outputs describe (a components.storage_check.StorageCheck), and
  `secrets_in(outputs)`, the credentials in them, kept out of everything printed;
- `settings`: `CLOUD`, the cloud's part of the stack contract (components.settings.cloud.
  CloudSettings): its `labelstudio:<cloud>` object's model, access modes, provider setting and
  bucket rules; pure, so the settings load without any provider SDK;
- `stand_ins`: the plan's made-up answers for what the cloud assigns (ids, ARNs, keys):
  `PROVIDER`, the Pulumi package its resource types start with, and `StandIns(config)` with
  `new_resource(type, name, inputs)` and `call(token, args)`, each None for what it does not know.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

BACKENDS: dict[str, str] = {
    "aws": "components.aws",
    "gcp": "components.gcp",
    "azure": "components.azure",
    "s3-compatible": "components.s3_compatible",
}
# What each backend package must provide: (module, attribute).
REQUIRED_PARTS: tuple[tuple[str, str], ...] = (
    ("component", "COMPONENT"),
    ("component", "TYPE_TOKEN"),
    ("stack_args", "storage_args"),
    ("check", "reach"),
    ("check", "secrets_in"),
    ("stand_ins", "PROVIDER"),
    ("stand_ins", "StandIns"),
    ("settings", "CLOUD"),
)
# The modules the program itself runs; the rest are only the tools'.
PROGRAM_MODULES = ("component", "stack_args", "settings")


@dataclass(frozen=True)
class Backend:
    """A registered cloud's parts, loaded."""

    cloud: str
    component: Any  # the storage ComponentResource class
    type_token: str  # the type it registers with
    storage_args: Any  # (Settings, TrustedWorkloads) -> the component's args


class IncompleteBackend(Exception):
    """A registered cloud lacks a part; the message names each one."""


def missing_parts(cloud: str, modules: tuple[str, ...] | None = None) -> list[str]:
    """What the backend registered for `cloud` lacks, as `module.attribute` names: of every part,
    or of those in `modules` (importing only them)."""
    package = BACKENDS[cloud]
    missing = []
    for module_name, attribute in REQUIRED_PARTS:
        if modules is not None and module_name not in modules:
            continue
        try:
            module: ModuleType | None = importlib.import_module(f"{package}.{module_name}")
        except ModuleNotFoundError as error:
            if error.name != f"{package}.{module_name}":
                raise
            module = None
        if module is None or not hasattr(module, attribute):
            missing.append(f"{package}.{module_name}.{attribute}")
    return missing


def backend(cloud: str) -> Backend:
    """The parts of `cloud`'s backend the program runs, importing only that cloud's package and,
    of it, only the program's modules (not the tools' `check` and `stand_ins`)."""
    missing = missing_parts(cloud, PROGRAM_MODULES)
    if missing:
        raise IncompleteBackend(f"the {cloud} backend lacks {', '.join(missing)}")
    component = importlib.import_module(f"{BACKENDS[cloud]}.component")
    return Backend(
        cloud=cloud,
        component=component.COMPONENT,
        type_token=component.TYPE_TOKEN,
        storage_args=importlib.import_module(f"{BACKENDS[cloud]}.stack_args").storage_args,
    )


def part(cloud: str, module: str) -> ModuleType:
    """One module of `cloud`'s backend (`check`, `stand_ins`, ...), imported on first use; refused,
    naming what is missing, when it lacks a required part."""
    missing = missing_parts(cloud, (module,))
    if missing:
        raise IncompleteBackend(f"the {cloud} backend lacks {', '.join(missing)}")
    return importlib.import_module(f"{BACKENDS[cloud]}.{module}")


def check_client(cloud: str) -> Any:
    """The `check` command's client module for `cloud`: `reach` and `secrets_in`."""
    return part(cloud, "check")


def cloud_settings(cloud: str) -> Any:
    """`cloud`'s part of the stack contract: its `settings.CLOUD` (a CloudSettings)."""
    return part(cloud, "settings").CLOUD
