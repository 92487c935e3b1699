"""How long the credential-free plan takes, and how much memory, per example stack.

    .venv/bin/python tools/benchmark.py [Pulumi.dev.yaml ...]

Each stack is planned in a fresh process, twice over: with no bytecode cache (as on a machine
with PYTHONDONTWRITEBYTECODE=1 and a venv installed without compiled bytecode, where every run
recompiles the SDK modules it imports) and with a warm cache (as most users have). Prints
figures; asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.plan import every_stack_file  # noqa: E402 - run as a script from anywhere

RUNS = 3


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one run of `python args`."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {process.stderr.read().decode() if process.stderr else ''}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    stacks = sys.argv[1:] or [str(path) for path in every_stack_file()]
    with tempfile.TemporaryDirectory() as cold_cache, tempfile.TemporaryDirectory() as warm_cache:
        cold = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": cold_cache}
        warm = {**os.environ, "PYTHONPYCACHEPREFIX": warm_cache}
        warm.pop("PYTHONDONTWRITEBYTECODE", None)
        measure(["-m", "tools.plan", stacks[0]], warm)  # fills the warm cache
        print(f"credential-free plan, median of {RUNS} fresh processes each")
        print(f"{'stack file':<34} {'no bytecode cache':>22} {'cached bytecode':>22}")
        for stack in stacks:
            row = []
            for env in (cold, warm):
                runs = [measure(["-m", "tools.plan", stack], env) for _ in range(RUNS)]
                row.append(f"{statistics.median(t for t, _ in runs):6.2f} s {max(m for _, m in runs):6.0f} MiB")
            print(f"{stack:<34} {row[0]:>22} {row[1]:>22}")
        for env, label in ((cold, "no bytecode cache"), (warm, "cached bytecode")):
            seconds, peak = measure(["-m", "tools.plan", *stacks], env)
            print(f"all {len(stacks)} stack files in one run ({label}): {seconds:.2f} s, {peak:.0f} MiB")
        for env, label in ((cold, "no bytecode cache"), (warm, "cached bytecode")):
            seconds, _ = measure(["-c", "import pulumi"], env)
            print(f"import pulumi alone ({label}): {seconds:.2f} s")


if __name__ == "__main__":
    main()
