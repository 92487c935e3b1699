#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, on top of scripts/setup.sh: the test and
# lint tools (requirements-dev.txt), the policy pack's environment, Azurite and the TypeScript
# examples' packages from npm, the engine suite's binaries (scripts/setup-engine.sh and
# scripts/setup-engine-langs.sh, need Go), and the end-to-end suite (Label Studio in its own venv,
# Chromium). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh policy
# The engine suite (tests/engine): the real Pulumi CLI, Kubernetes provider and kube-apiserver,
# built from pinned Go modules into a cache outside the clone (about 25 minutes of both cores
# once, then seconds). Its build is CPU-bound and the rest of this set-up mostly waits on the
# network, so it runs beside them; its output is shown when it ends.
engine_log=$(mktemp)
engine_pid=
if command -v go >/dev/null; then
  # Then Pulumi's Node.js and YAML hosts and pkg/v3's SDK generator for the package's examples:
  # at most 5 minutes of CPU more (302 s with an empty Go build cache; the engine's build fills
  # most of it first).
  { ./scripts/setup-engine.sh && ./scripts/setup-engine-langs.sh; } >"$engine_log" 2>&1 &
  engine_pid=$!
else
  echo "Go not found: install Go 1.26.6 or newer, or the engine suite (tests/engine) will skip" >&2
fi
.venv/bin/python -m uv pip install --quiet --python .venv/bin/python -r requirements-dev.txt
# Azurite (the Azure Blob emulator the tests start) comes from npm, pinned in package.json.
# The TypeScript examples' @pulumi/pulumi and TypeScript, pinned in their package.json (the engine
# suite compiles and runs them against the package's generated SDK).
if command -v npm >/dev/null; then
  npm install --silent --no-audit --no-fund --no-package-lock
  for example in examples/typescript examples/typescript-computed; do
    (cd "$example" && npm install --silent --no-audit --no-fund --no-package-lock)
  done
else
  echo "npm not found: install Node.js 20 and npm, or the Azure emulator tests will fail" >&2
fi
# The end-to-end suite (tests/e2e): Label Studio in its own venv, its database template, Chromium.
./scripts/setup-e2e.sh
if [ -n "$engine_pid" ]; then
  status=0
  wait "$engine_pid" || status=$?
  cat "$engine_log"
  rm -f "$engine_log"
  [ "$status" -eq 0 ] || { echo "scripts/setup-engine.sh or setup-engine-langs.sh failed (exit $status)" >&2; exit "$status"; }
fi
echo "Set up the tests; run them with: .venv/bin/python -m pytest"
