"""The stand-in azure-native provider the engine suite's test projects load (tests/engine/standin_provider.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))

from tests.engine.standin_provider import serve

serve("azure-native")
