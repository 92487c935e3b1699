"""The AWS regions the installed provider SDK knows (pulumi_aws's `Region` enum), read from its
enum module alone so the SDK's package is not loaded for it. A region missing from the list gets a
warning, not a refusal: AWS opens regions before an SDK release names them."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path


@cache
def known_regions() -> frozenset[str] | None:
    """The region names of pulumi_aws's Region enum, or None when the SDK is not installed."""
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "_enums.py"
    module_spec = importlib.util.spec_from_file_location("_labelstudio_aws_enums", path)
    if module_spec is None or module_spec.loader is None or not path.is_file():
        return None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    region = getattr(module, "Region", None)
    return frozenset(str(member.value) for member in region) if region is not None else None
