#!/usr/bin/env bash
# Build the real Pulumi engine that tests/engine runs the program under, from pinned Go modules
# (the Go module proxy only: no release downloads, no git):
#   pulumi                       the CLI                    tools/engine/pulumi/go.mod
#   pulumi-language-python       Pulumi's Python host        tools/engine/language-python (see its host.go)
#   pulumi-language-python-exec  the script the host runs, from the CLI's own sdk/v3 module
#   pulumi-resource-kubernetes   the Kubernetes provider    KUBERNETES_PROVIDER_* below
#   etcd, kube-apiserver,        an API server, its store, its controllers and scheduler for
#   kube-controller-manager,     tests/engine/cluster.py    tools/engine/{etcd,kube-apiserver}/go.mod
#   kube-scheduler
#   kwok, kwok-stages/           the node those Pods are placed on: Kubernetes' own simulator of
#                                kubelets, and its stages   tools/engine/kwok/go.mod
# The binaries are cached outside the clone, in ${LABEL_STUDIO_ENGINE_CACHE:-~/.cache/label-studio-storage/engine}
# under a key made of the pins (this script, tools/engine/, the Go version), so a second run takes
# seconds. Prints each binary's build time, and as its LAST line the folder holding the binaries.
#   --print-bin   only print that folder (builds nothing; the tests use it to find the binaries)
# Needs Go 1.26.6 or newer (`go version`) and the Go module proxy. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# The provider's module has no release tags on the proxy; this pseudo-version is the commit of its
# v4.25.0 tag, and the provider reports that version. Its go.mod points sdk/v4 at a sibling folder,
# so the build takes the published sdk/v4 of the same release instead.
KUBERNETES_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
KUBERNETES_PROVIDER_PSEUDO=v4.0.0-20260115033456-f47bc2d6f199
KUBERNETES_PROVIDER_VERSION=4.25.0

NAME=setup-engine
SELF=scripts/setup-engine.sh
GO_MODULES=tools/engine
ENGINE=$GO_MODULES
# shellcheck source=scripts/lib/go-builds.sh
. scripts/lib/go-builds.sh
need_go

PULUMI_VERSION=$(required pulumi github.com/pulumi/pulumi/pkg/v3)
KUBERNETES_VERSION=$(required kube-apiserver k8s.io/kubernetes)
DIR=$CACHE/pulumi-$PULUMI_VERSION-$(pins_key "$KUBERNETES_PROVIDER_MODULE@$KUBERNETES_PROVIDER_PSEUDO $KUBERNETES_PROVIDER_VERSION")

if [ "${1:-}" = "--print-bin" ]; then
  echo "$DIR/bin"
  exit 0
fi

reuse_or_start pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-kubernetes etcd kube-apiserver \
  kube-controller-manager kube-scheduler kwok

module_dir() { go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }

build_pulumi() {
  (cd "$ENGINE/pulumi" && go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$WORK/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

build_language_python() {
  # Pulumi's own host, from the newest sdk/v3 release that still holds it (v3.68.0; later ones moved it
  # to a module the proxy refuses: tools/engine/language-python/host.go). Stamped with its own version.
  local host_version
  host_version=$(required language-python github.com/pulumi/pulumi/sdk/v3)
  (cd "$ENGINE/language-python" && go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$host_version" \
    -o "$WORK/bin/pulumi-language-python" github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python)
  # The host runs this script with the program's Python; it comes from the CLI's sdk/v3 release, the
  # one closest to the Python SDK the program pins.
  local sdk
  sdk=$(module_dir "github.com/pulumi/pulumi/sdk/v3@$(required pulumi github.com/pulumi/pulumi/sdk/v3)")
  install -m 755 "$sdk/python/cmd/pulumi-language-python-exec" "$WORK/bin/pulumi-language-python-exec"
}

build_kubernetes_provider() {
  # Its main package embeds schema files that `go generate` writes, so it builds in a writable copy.
  local src copy=$WORK/pulumi-kubernetes
  src=$(module_dir "$KUBERNETES_PROVIDER_MODULE@$KUBERNETES_PROVIDER_PSEUDO")
  cp -r "$src" "$copy"
  chmod -R u+w "$copy"
  (cd "$copy" &&
    go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 \
      -require="github.com/pulumi/pulumi-kubernetes/sdk/v4@v$KUBERNETES_PROVIDER_VERSION" &&
    (cd cmd/pulumi-resource-kubernetes && VERSION=$KUBERNETES_PROVIDER_VERSION go generate ./main.go) &&
    go build -trimpath \
      -ldflags "-s -w -X $KUBERNETES_PROVIDER_MODULE/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION" \
      -o "$WORK/bin/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes)
}

build_etcd() {
  (cd "$ENGINE/etcd" && go build -trimpath -ldflags "-s -w" -o "$WORK/bin/etcd" .)
}

build_kwok() {
  (cd "$ENGINE/kwok" && go build -trimpath -ldflags "-s -w" -o "$WORK/bin/kwok" sigs.k8s.io/kwok/cmd/kwok)
  # The stages kwokctl gives a "fast" cluster: a node that turns Ready and keeps its heartbeat, Pods
  # that run at once (or complete, for a Job's), deleted Pods removed as a kubelet would.
  local stages
  stages=$(module_dir "sigs.k8s.io/kwok@$(required kwok sigs.k8s.io/kwok)")/kustomize/stage
  mkdir -p "$WORK/bin/kwok-stages"
  install -m 644 "$stages/node/fast/node-initialize.yaml" "$stages/node/heartbeat/node-heartbeat.yaml" \
    "$stages"/pod/fast/pod-{ready,complete,delete}.yaml "$WORK/bin/kwok-stages/"
}

# build_kubernetes COMMAND: one of k8s.io/kubernetes's commands, from the kube-apiserver wrapper
# module (it lists both as tools, so they share its pins), stamped with the Kubernetes version.
build_kubernetes() {
  local minor=${KUBERNETES_VERSION#v1.}
  minor=${minor%%.*}
  (cd "$ENGINE/kube-apiserver" && go build -trimpath \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION \
      -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor \
      -X k8s.io/component-base/version.gitTreeState=clean" \
    -o "$WORK/bin/$1" "k8s.io/kubernetes/cmd/$1")
}

# Two lanes at once, each in the order that reuses Go's build cache: a lone `go build` leaves a
# core idle while it downloads modules, runs `go generate` or links, and the two lanes share few
# packages. Each lane logs to a file of its own.
(
  LOG=$DIR/build-pulumi.log
  : >"$LOG"
  step "pulumi $PULUMI_VERSION" build_pulumi
  step "pulumi-language-python" build_language_python
  step "etcd $(required etcd go.etcd.io/etcd/server/v3)" build_etcd
  step "kwok $(required kwok sigs.k8s.io/kwok)" build_kwok
) &
pulumi_lane=$!
(
  LOG=$DIR/build-kubernetes.log
  : >"$LOG"
  step "pulumi-resource-kubernetes $KUBERNETES_PROVIDER_VERSION" build_kubernetes_provider
  step "kube-apiserver $KUBERNETES_VERSION" build_kubernetes kube-apiserver
  # After the API server: most of its packages are then in Go's build cache.
  step "kube-controller-manager $KUBERNETES_VERSION" build_kubernetes kube-controller-manager
  step "kube-scheduler $KUBERNETES_VERSION" build_kubernetes kube-scheduler
) || { kill "$pulumi_lane" 2>/dev/null; exit 1; }
wait "$pulumi_lane" || exit 1
finish
