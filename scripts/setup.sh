#!/usr/bin/env bash
# Set up what the program and the credential-free plan need on a fresh machine: a virtual
# environment in .venv with the pinned dependencies of requirements.txt (what `pulumi up` uses),
# nothing more. Name further parts to add them:
#   policy  the policy pack's own environment, policy/venv (`pulumi preview --policy-pack policy`)
#   check   what `python -m tools.check` needs (requirements-check.txt)
# scripts/setup-tests.sh adds everything the tests need on top.
# Needs only python3 (3.10 or newer, with venv) and access to PyPI. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
python=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# uv installs the large provider SDKs in seconds where pip takes minutes; it lives in the
# venv so nothing outside the project changes.
if ! .venv/bin/python -m uv --version 2>/dev/null | grep -q "$UV_VERSION"; then
  .venv/bin/python -m pip --version >/dev/null 2>&1 || .venv/bin/python -m ensurepip --upgrade >/dev/null
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
.venv/bin/python -m uv pip install --quiet --python .venv/bin/python -r requirements.txt
for part in "$@"; do
  case "$part" in
    policy)
      # policy/PulumiPolicy.yaml names policy/venv; the CLI runs the pack there.
      [ -x policy/venv/bin/python ] || .venv/bin/python -m uv venv --quiet --python .venv/bin/python policy/venv
      .venv/bin/python -m uv pip install --quiet --python policy/venv/bin/python -r policy/requirements.txt
      ;;
    check) .venv/bin/python -m uv pip install --quiet --python .venv/bin/python -r requirements-check.txt ;;
    *) echo "unknown part '$part': name policy and/or check" >&2; exit 2 ;;
  esac
done
# uv installs no bytecode; compiling all 450 MB of provider SDKs would take half a minute.
# Planning the example stacks once with bytecode writing on caches exactly the modules the
# program imports, so later runs start fast even where PYTHONDONTWRITEBYTECODE is set.
env -u PYTHONDONTWRITEBYTECODE .venv/bin/python -m tools.plan Pulumi.*.yaml >/dev/null 2>&1 || true
echo "Set up .venv ($(.venv/bin/python --version)); try: .venv/bin/python -m tools.plan Pulumi.dev.yaml"
