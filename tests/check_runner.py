"""Running `python -m tools.check` as a user does, and reading its table back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_check(
    tmp_path: Path, outputs: dict[str, Any], endpoint: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`tools.check` on these stack outputs, written to a file as `pulumi stack output --json` would."""
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    command = [sys.executable, "-m", "tools.check", "--outputs", str(path)]
    if endpoint:
        command += ["--endpoint-url", endpoint]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)


def table_of(result: subprocess.CompletedProcess[str]) -> dict[str, tuple[str, str]]:
    """check name -> (PASS or FAIL, detail), from the printed table."""
    table = {}
    for line in result.stdout.splitlines():
        words = [part.strip() for part in line.strip().split("  ") if part.strip()]
        if len(words) >= 2 and words[1] in ("PASS", "FAIL"):
            table[words[0]] = (words[1], " ".join(words[2:]))
    return table


def rows(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """check name -> PASS or FAIL."""
    return {name: verdict for name, (verdict, _) in table_of(result).items()}
