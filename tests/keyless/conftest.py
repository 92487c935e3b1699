"""Fixtures every keyless mode shares; each test module declares its own stack as `declared`."""

from __future__ import annotations

import pytest

from tests.keyless.cluster import RenderedPod, rendered_pod


@pytest.fixture(scope="module")
def rendered(declared, tmp_path_factory) -> RenderedPod:
    """The app pod of the chart rendered with the module's declared values."""
    return rendered_pod(declared, tmp_path_factory.mktemp("rendered-pod"))
