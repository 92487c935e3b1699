#!/usr/bin/env bash
# Build what the engine suite needs to use the component package (provider/) from TypeScript and
# YAML, beside the engine scripts/setup-engine.sh builds, from pinned Go modules (the Go module
# proxy only):
#   pulumi-language-nodejs  Pulumi's own Node.js host, from sdk/v3 v3.68.0 (tools/engine-langs/language-nodejs,
#                           the same module and version as the Python host: its build reuses that one's packages)
#   pulumi-language-yaml    Pulumi's YAML host, github.com/pulumi/pulumi-yaml v1.25.0 (tools/engine-langs/language-yaml);
#                           it compiles only against its own pkg/v3 and sdk/v3 (v3.206.0), the parts of a
#                           second pkg/v3 it imports
#   pulumi-sdkgen           runs the SDK generators of the CLI's own pkg/v3 (v3.274.1) on a schema
#                           (tools/engine-langs/sdkgen/main.go): the v3.68.0 hosts have no GeneratePackage,
#                           so `pulumi package gen-sdk` cannot generate through them
# With Go's build cache empty (module cache full) the three took 302 s of CPU (87 + 87 + 128), 503 s
# wall at nice 19 on 2 busy cores (2026-12-04); after setup-engine.sh, most of their packages are in
# that cache already. Cached under the engine's cache folder (${LABEL_STUDIO_ENGINE_CACHE:-~/.cache/label-studio-storage/engine}),
# keyed by this script, tools/engine-langs/ and the Go version; a second run takes seconds. Prints each
# build's time and, as its LAST line, the folder holding the binaries.
#   --print-bin   only print that folder (builds nothing; the tests use it to find the binaries)
# Needs Go 1.26.6 or newer. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

LANGS=tools/engine-langs
CACHE=${LABEL_STUDIO_ENGINE_CACHE:-$HOME/.cache/label-studio-storage/engine}
export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0

if ! command -v go >/dev/null; then
  echo "setup-engine-langs: Go not found: install Go 1.26.6 or newer and put it on PATH" >&2
  exit 1
fi

# required MODULE REQUIREMENT: the version tools/engine-langs/MODULE/go.mod requires REQUIREMENT at.
required() {
  awk -v m="$2" '$1 == "require" && $2 == m { print $3; exit } $1 == m && $2 != "=>" { print $2; exit }' \
    "$LANGS/$1/go.mod"
}
NODEJS_VERSION=$(required language-nodejs github.com/pulumi/pulumi/sdk/v3)
YAML_VERSION=$(required language-yaml github.com/pulumi/pulumi-yaml)
CODEGEN_VERSION=$(required sdkgen github.com/pulumi/pulumi/pkg/v3)
key() {
  {
    go env GOVERSION
    cat scripts/setup-engine-langs.sh
    find "$LANGS" -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) | LC_ALL=C sort | xargs cat
  } | sha256sum | cut -c1-12
}
DIR=$CACHE/langs-nodejs-$NODEJS_VERSION-yaml-$YAML_VERSION-codegen-$CODEGEN_VERSION-$(key)
BIN=$DIR/bin

if [ "${1:-}" = "--print-bin" ]; then
  echo "$BIN"
  exit 0
fi

mkdir -p "$DIR"
exec 9>"$DIR/lock"
flock 9 # another run building the same pins waits, then finds them built

complete() {
  local name
  [ -f "$BIN/.complete" ] || return 1
  for name in pulumi-language-nodejs pulumi-language-yaml pulumi-sdkgen; do
    [ -x "$BIN/$name" ] || return 1
  done
}

if complete; then
  echo "setup-engine-langs: all built already (${SECONDS}s); the build that made them took:" >&2
  sed 's/^/  /' "$BIN/.complete" >&2
  echo "$BIN"
  exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
LOG=$DIR/build.log
: >"$LOG"
mkdir -p "$WORK/bin"
TIMES=$WORK/bin/.complete
total_start=$(date +%s)

# step NAME COMMAND...: run one build step, log its output, note its wall-clock and CPU seconds.
step() {
  local name=$1 took status=0
  shift
  echo "setup-engine-langs: building $name ..." >&2
  took=$( { TIMEFORMAT='%0R %0U %0S'; time "$@" >>"$LOG" 2>&1; } 2>&1) || status=$?
  if [ "$status" -ne 0 ]; then
    echo "setup-engine-langs: building $name failed; the end of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  read -r wall user sys <<<"$took"
  printf '%-34s %5ss wall %5ss CPU\n' "$name" "$wall" "$((user + sys))" | tee -a "$TIMES" >&2
}

build_language_nodejs() {
  (cd "$LANGS/language-nodejs" && go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$NODEJS_VERSION" \
    -o "$WORK/bin/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
}

build_language_yaml() {
  (cd "$LANGS/language-yaml" && go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$YAML_VERSION" \
    -o "$WORK/bin/pulumi-language-yaml" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml)
}

build_sdkgen() {
  (cd "$LANGS/sdkgen" && go build -trimpath -ldflags "-s -w" -o "$WORK/bin/pulumi-sdkgen" .)
}

step "pulumi-language-nodejs $NODEJS_VERSION" build_language_nodejs
step "pulumi-language-yaml $YAML_VERSION" build_language_yaml
step "pulumi-sdkgen (pkg/v3 $CODEGEN_VERSION)" build_sdkgen
printf '%-34s %5ss wall\n' "total" "$(($(date +%s) - total_start))" | tee -a "$TIMES" >&2

rm -rf "$BIN"
mv "$WORK/bin" "$BIN"
echo "$BIN"
