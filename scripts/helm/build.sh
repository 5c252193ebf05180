#!/usr/bin/env bash
# Builds the helm CLI from its Go module (helm.sh/helm/v3 at the pinned version; nothing prebuilt can
# be downloaded here) and caches it outside the repo, keyed by version:
# ~/.cache/ringcache/helm/<version>/helm. Only the first run pays; later runs exit in a second.
# Prints progress on stderr, the binary's path on its last line but one and `helm_build_seconds=<n>` last.
set -euo pipefail

# shellcheck source=version.env
. "$(dirname "$0")/version.env"
# shellcheck source=../lib/go-tool.sh
. "$(dirname "$0")/../lib/go-tool.sh"
HELM_VERSION="${RINGCACHE_HELM_VERSION:-$HELM_VERSION}"
CACHE_ROOT="${RINGCACHE_HELM_CACHE:-$HOME/.cache/ringcache/helm}"
TOOL=helm
BIN="$CACHE_ROOT/$HELM_VERSION/helm"
tool_version() { "$BIN" version --short; }

[ -x "$BIN" ] && finish
go_env "$CACHE_ROOT"
build_lock "$CACHE_ROOT/.build.lock"

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
publish "$stage"
