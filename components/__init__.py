"""Label Studio persistent storage: one package per backend (aws, gcp, azure, s3_compatible, each
registered in registry.py), the Label Studio release (kubernetes), Label Studio's storage
vocabulary (label_studio), the seam between them (facts) and the stack's settings (settings/).

Nothing here imports a cloud SDK at package import time, so a stack only loads the provider
modules it uses.
"""

import importlib
from collections.abc import Callable, Sequence
from typing import Any


def lazy_exports(package: str, module: str, names: Sequence[str]) -> Callable[[str], Any]:
    """A package's `__getattr__` that imports `module` (and its provider SDK) when one of `names`
    is first asked for, so `from components.aws import AwsStorage` works and a stack on another
    cloud never loads pulumi_aws."""

    def load(name: str) -> Any:
        if name in names:
            return getattr(importlib.import_module(f"{package}.{module}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return load
