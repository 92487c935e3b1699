#!/usr/bin/env bash
# Build what the engine suite needs to use the component package (provider/) from TypeScript, Go
# and YAML, beside the engine scripts/setup-engine.sh builds, from pinned Go modules (the Go module
# proxy only):
#   pulumi-language-nodejs  Pulumi's own Node.js host, from sdk/v3 v3.68.0 (tools/engine-langs/language-nodejs,
#                           the same module and version as the Python host: its build reuses that one's packages)
#   pulumi-language-go      Pulumi's own Go host, from sdk/v3 v3.66.0, the newest release holding it
#                           (tools/engine-langs/language-go); it builds the program, whose go.mod pins its SDK
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

NAME=setup-engine-langs
SELF=scripts/setup-engine-langs.sh
GO_MODULES=tools/engine-langs
LANGS=$GO_MODULES
# shellcheck source=scripts/lib/go-builds.sh
. scripts/lib/go-builds.sh
need_go

NODEJS_VERSION=$(required language-nodejs github.com/pulumi/pulumi/sdk/v3)
GO_HOST_VERSION=$(required language-go github.com/pulumi/pulumi/sdk/v3)
YAML_VERSION=$(required language-yaml github.com/pulumi/pulumi-yaml)
CODEGEN_VERSION=$(required sdkgen github.com/pulumi/pulumi/pkg/v3)
DIR=$CACHE/langs-nodejs-$NODEJS_VERSION-go-$GO_HOST_VERSION-yaml-$YAML_VERSION-codegen-$CODEGEN_VERSION-$(pins_key "")

if [ "${1:-}" = "--print-bin" ]; then
  echo "$DIR/bin"
  exit 0
fi

reuse_or_start pulumi-language-nodejs pulumi-language-go pulumi-language-yaml pulumi-sdkgen

build_language_nodejs() {
  (cd "$LANGS/language-nodejs" && go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$NODEJS_VERSION" \
    -o "$WORK/bin/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
}

build_language_go() {
  (cd "$LANGS/language-go" && go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$GO_HOST_VERSION" \
    -o "$WORK/bin/pulumi-language-go" github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go)
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
step "pulumi-language-go $GO_HOST_VERSION" build_language_go
step "pulumi-language-yaml $YAML_VERSION" build_language_yaml
step "pulumi-sdkgen (pkg/v3 $CODEGEN_VERSION)" build_sdkgen
finish
