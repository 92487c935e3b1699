#!/usr/bin/env bash
# Set up what the end-to-end suite (tests/e2e) needs beside .venv: Label Studio in a virtual
# environment of its own (.e2e/labelstudio, its dependencies never mix with the program's), its
# database migrated once into a template the tests copy, the Helm SDK that renders the chart, and
# Debian's Chromium and nginx for the browser and serving tests. scripts/setup-tests.sh calls it; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || { echo "run scripts/setup.sh first: it creates .venv" >&2; exit 1; }
.venv/bin/python -m uv pip install --quiet --python .venv/bin/python -r requirements-e2e.txt

venv=.e2e/labelstudio
[ -x "$venv/bin/python" ] || .venv/bin/python -m uv venv --quiet --python .venv/bin/python "$venv"
.venv/bin/python -m uv pip install --quiet --python "$venv/bin/python" -r requirements-labelstudio.txt

# Migrating Label Studio's schema takes a minute; every test case copies this file instead.
# Named after the installed version, so an upgrade migrates again. No update check, no telemetry:
# nothing leaves the machine.
version=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("label-studio"))')
template=".e2e/labelstudio-$version.sqlite3"
if [ ! -s "$template" ]; then
  work=$(mktemp -d)
  env LABEL_STUDIO_BASE_DATA_DIR="$work" DATABASE_NAME="$work/db.sqlite3" \
    DJANGO_SETTINGS_MODULE=core.settings.label_studio LATEST_VERSION_CHECK=false COLLECT_ANALYTICS=false \
    SENTRY_DSN= FRONTEND_SENTRY_DSN= HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
    "$venv/bin/python" -c '
import os, sys, label_studio
sys.path.insert(0, os.path.dirname(label_studio.__file__))
import django
django.setup()
from django.core.management import call_command
call_command("migrate", "--no-color", verbosity=0)
' >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log" >&2; exit 1; }
  mv "$work/db.sqlite3" "$template"
  rm -rf "$work"
fi

# The browser that proves CORS and shows images, and nginx, which serves stored files in Label
# Studio's image (tests/harness/nginx.py runs it with the image's configuration). Debian's packages;
# apt needs root (CI and these machines are root).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "${missing[*]} not found: install Debian's ${missing[*]} package(s), or the browser and serving tests will fail" >&2
  fi
fi
echo "Set up the end-to-end suite: Label Studio $version in $venv"
