#!/usr/bin/env bash
# Builds the helm CLI from its Go module (helm.sh/helm/v3 at the pinned version; nothing prebuilt can
# be downloaded here) and caches it outside the repo, keyed by version:
# ~/.cache/ringcache/helm/<version>/helm. Only the first run pays; later runs exit in a second.
# Prints progress, the binary's path on its last line but one and `helm_build_seconds=<n>` last.
set -euo pipefail

# shellcheck source=version.env
. "$(dirname "$0")/version.env"
HELM_VERSION="${RINGCACHE_HELM_VERSION:-$HELM_VERSION}"
CACHE_ROOT="${RINGCACHE_HELM_CACHE:-$HOME/.cache/ringcache/helm}"
BIN="$CACHE_ROOT/$HELM_VERSION/helm"

start=$(date +%s)
elapsed() { echo $(($(date +%s) - start)); }
log() { printf '[helm-build %4ss] %s\n' "$(elapsed)" "$*" >&2; }

finish() {
  log "helm $("$BIN" version --short) at $BIN"
  echo "$BIN"
  echo "helm_build_seconds=$(elapsed)"
  exit 0
}

[ -x "$BIN" ] && finish

export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "go not found (expected /usr/local/go/bin/go)" >&2; exit 1; }
export GOPATH="$CACHE_ROOT/gopath" GOMODCACHE="$CACHE_ROOT/gomodcache" GOCACHE="$CACHE_ROOT/gocache"
export GOPROXY="${GOPROXY:-https://proxy.golang.org}" GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local
export CGO_ENABLED=0
mkdir -p "$CACHE_ROOT/$HELM_VERSION" "$GOMODCACHE" "$GOCACHE"

# One builder at a time: a second caller (a parallel run) waits, then finds the binary.
exec 9>"$CACHE_ROOT/.build.lock"
if ! flock -n 9; then
  log "another build holds $CACHE_ROOT/.build.lock; waiting"
  flock 9
fi
[ -x "$BIN" ] && finish

log "go $(go env GOVERSION), caches under $CACHE_ROOT"
log "helm $HELM_VERSION: downloading modules"
info=$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION")
src=$(sed -n 's/.*"Dir": "\(.*\)".*/\1/p' <<<"$info")
[ -d "$src" ] || { echo "helm.sh/helm/v3@$HELM_VERSION: no module directory in: $info" >&2; exit 1; }

# Build inside the module's own directory (its go.mod, go.sum and no replaces), as its Makefile
# does, with the same version stamps: helm version, and the Kubernetes version helm lint and
# template assume (the client-go it is built with).
client_go=$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$src/go.mod")
k8s_minor=$(sed 's/^v0\.\([0-9]*\)\..*/\1/' <<<"$client_go")
ldflags="-w -s -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done

cd "$src"
go mod download
log "helm $HELM_VERSION: building (client-go $client_go)"
stage="$CACHE_ROOT/$HELM_VERSION/helm.partial"
nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$stage" ./cmd/helm
# Publish in one rename so a half-written binary never looks complete.
mv "$stage" "$BIN"
finish
