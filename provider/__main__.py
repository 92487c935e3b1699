"""The Label Studio storage components as a Pulumi plugin (see components/component_provider.py).

The engine starts this directory with PulumiPlugin.yaml's runtime; the components live one
directory up, in the repository this plugin ships in.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.component_provider import serve

if __name__ == "__main__":
    serve()
