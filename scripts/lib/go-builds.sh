# Sourced by scripts/setup-engine.sh and scripts/setup-engine-langs.sh: the cache, timing and
# logging their Go builds share. The sourcing script sets NAME (for messages), GO_MODULES (its
# folder of wrapper modules), SELF (its own path) and DIR (the cache folder for its pins).

export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0
CACHE=${LABEL_STUDIO_ENGINE_CACHE:-$HOME/.cache/label-studio-storage/engine}

need_go() {
  command -v go >/dev/null && return
  echo "$NAME: Go not found: install Go 1.26.6 or newer (https://go.dev/doc/install) and put it on PATH" >&2
  exit 1
}

# required MODULE REQUIREMENT: the version $GO_MODULES/MODULE/go.mod requires REQUIREMENT at.
required() {
  awk -v m="$2" '$1 == "require" && $2 == m { print $3; exit } $1 == m && $2 != "=>" { print $2; exit }' \
    "$GO_MODULES/$1/go.mod"
}

# pins_key EXTRA: what names the cache folder: the Go version, EXTRA, both scripts and every
# wrapper module's go.mod, go.sum and Go files; a change to any of them builds afresh.
pins_key() {
  {
    go env GOVERSION
    echo "$1"
    cat "$SELF" scripts/lib/go-builds.sh
    find "$GO_MODULES" -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) | LC_ALL=C sort | xargs cat
  } | sha256sum | cut -c1-12
}

# reuse_or_start BINARY...: wait for another run building the same pins; when every BINARY is
# in $DIR/bin (a cache counts only whole), say what their build took, print the folder and exit;
# else start a build in a temporary folder ($WORK/bin, its times in $TIMES).
reuse_or_start() {
  BIN=$DIR/bin
  mkdir -p "$DIR"
  exec 9>"$DIR/lock"
  flock 9
  local name whole=1
  [ -f "$BIN/.complete" ] || whole=0
  for name in "$@"; do
    [ -x "$BIN/$name" ] || whole=0
  done
  if [ "$whole" = 1 ]; then
    echo "$NAME: all built already, nothing to do (${SECONDS}s); the build that made them took:" >&2
    sed 's/^/  /' "$BIN/.complete" >&2
    echo "$BIN"
    exit 0
  fi
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  mkdir -p "$WORK/bin"
  TIMES=$WORK/bin/.complete
  LOG=$DIR/build.log
  : >"$LOG"
  total_start=$(date +%s)
}

# step NAME COMMAND...: run one build step, log its output to $LOG, note its wall-clock and CPU
# seconds (CPU = user + system of every process it ran: what it costs a machine doing nothing else).
step() {
  local name=$1 took status=0
  shift
  echo "$NAME: building $name ..." >&2
  took=$( { TIMEFORMAT='%0R %0U %0S'; time "$@" >>"$LOG" 2>&1; } 2>&1) || status=$?
  if [ "$status" -ne 0 ]; then
    echo "$NAME: building $name failed; the end of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  read -r wall user sys <<<"$took"
  printf '%-34s %5ss wall %5ss CPU\n' "$name" "$wall" "$((user + sys))" | tee -a "$TIMES" >&2
}

# finish: note the total, move the build into the cache whole, print its folder (the LAST line).
finish() {
  printf '%-34s %5ss wall (on %s, %s cores)\n' "total" "$(($(date +%s) - total_start))" "$(date -u +%F)" "$(nproc)" |
    tee -a "$TIMES" >&2
  rm -rf "$BIN"
  mv "$WORK/bin" "$BIN"
  echo "$BIN"
}
