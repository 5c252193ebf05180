# Sourced by scripts/<tool>/build.sh: what every build of a CLI from Go modules shares: timing and
# progress, the cache hit, Go's environment, the build lock and the output lines. The caller sets
# TOOL (its name) and BIN (the cached binary) and defines tool_version (prints the binary's version).

start=$(date +%s)
elapsed() { echo $(($(date +%s) - start)); }
log() { printf '[%s-build %4ss] %s\n' "$TOOL" "$(elapsed)" "$*" >&2; }

# The binary's path on the last line but one, `<tool>_build_seconds=<n>` last; exits.
finish() {
  log "$TOOL $(tool_version) at $BIN"
  echo "$BIN"
  echo "${TOOL}_build_seconds=$(elapsed)"
  exit 0
}

# Go from /usr/local/go, its caches under $1, modules from the proxy, static binaries.
go_env() {
  export PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null || { echo "go not found (expected /usr/local/go/bin/go)" >&2; exit 1; }
  export GOPATH="$1/gopath" GOMODCACHE="$1/gomodcache" GOCACHE="$1/gocache"
  export GOPROXY="${GOPROXY:-https://proxy.golang.org}" GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local
  export CGO_ENABLED=0
  mkdir -p "$(dirname "$BIN")" "$GOMODCACHE" "$GOCACHE"
  log "go $(go env GOVERSION), Go caches under $1"
}

# One builder at a time per lock file $1: a second caller (a parallel run) waits, then finds the binary.
build_lock() {
  exec 9>"$1"
  if ! flock -n 9; then
    log "another build holds $1; waiting"
    flock 9
  fi
  [ -x "$BIN" ] && finish
  return 0
}

# Moves the staged binary $1 into place in one rename, so a half-written one never looks complete.
publish() {
  mv "$1" "$BIN"
  finish
}
