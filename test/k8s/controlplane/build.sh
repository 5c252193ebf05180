#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager from the Go module proxy (nothing prebuilt
# can be downloaded here) and caches them outside the repo, keyed by version. Only the first run pays;
# later runs find the binaries and exit in seconds. Prints the bin directory on its last line but one
# and `controlplane_build_seconds=<n>` last.
set -euo pipefail

# The pinned versions live in versions.env, which controlplane.ts reads too; the environment may override.
# shellcheck source=versions.env
. "$(dirname "$0")/versions.env"
K8S_VERSION="${RINGCACHE_K8S_VERSION:-$K8S_VERSION}"
ETCD_VERSION="${RINGCACHE_ETCD_VERSION:-$ETCD_VERSION}"
CACHE_ROOT="${RINGCACHE_K8S_CACHE:-$HOME/.cache/ringcache/k8s}"
KEY="${K8S_VERSION}-etcd${ETCD_VERSION#v}"
BIN="$CACHE_ROOT/$KEY/bin"
BINARIES=(etcd kube-apiserver kube-controller-manager)

start=$(date +%s)
elapsed() { echo $(($(date +%s) - start)); }
log() { printf '[controlplane-build %4ss] %s\n' "$(elapsed)" "$*"; }

have_all() {
  local b
  for b in "${BINARIES[@]}"; do [ -x "$BIN/$b" ] || return 1; done
}

finish() {
  log "binaries in $BIN"
  echo "$BIN"
  echo "controlplane_build_seconds=$(elapsed)"
  exit 0
}

have_all && finish

# Go and its caches live under the cache root so every checkout (and CI on this machine) shares them.
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "go not found (expected /usr/local/go/bin/go)" >&2; exit 1; }
export GOPATH="$CACHE_ROOT/gopath" GOMODCACHE="$CACHE_ROOT/gomodcache" GOCACHE="$CACHE_ROOT/gocache"
export GOPROXY="${GOPROXY:-https://proxy.golang.org}" GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local
export CGO_ENABLED=0
mkdir -p "$CACHE_ROOT" "$GOMODCACHE" "$GOCACHE"

# One builder at a time per cache root: a second caller (a parallel test run) waits, then finds the binaries.
exec 9>"$CACHE_ROOT/.build.lock"
if ! flock -n 9; then
  log "another build holds $CACHE_ROOT/.build.lock; waiting"
  flock 9
fi
have_all && finish

# A link of kube-apiserver takes about 2 GiB: run as many jobs as cores and memory both allow.
avail_kib=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
jobs=$((avail_kib / (2560 * 1024)))
[ "$jobs" -gt "$(nproc)" ] && jobs=$(nproc)
[ "$jobs" -lt 1 ] && jobs=1
log "go $(go env GOVERSION), $jobs parallel jobs, caches under $CACHE_ROOT"

WORK="$CACHE_ROOT/$KEY/src"
STAGE="$CACHE_ROOT/$KEY/bin.partial"
rm -rf "$STAGE"
mkdir -p "$WORK/etcd" "$WORK/kubernetes" "$STAGE"

# etcd: the server module's root is its main package; build it as a dependency of a throwaway module.
log "etcd $ETCD_VERSION: resolving modules"
cd "$WORK/etcd"
cat >go.mod <<MOD
module ringcache.local/etcd-build

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
MOD
: >go.sum
go mod download go.etcd.io/etcd/server/v3
log "etcd $ETCD_VERSION: building"
nice -n 10 go build -p "$jobs" -trimpath -ldflags "-s -w" \
  -o "$STAGE/etcd" go.etcd.io/etcd/server/v3
log "etcd: built ($("$STAGE/etcd" --version | head -1))"

# Kubernetes: k8s.io/kubernetes requires its staging modules at v0.0.0 with replaces into ./staging,
# which a consuming module does not inherit. Replace each required one with the published v0.X.Y,
# generated from the release's own go.mod because the set changes from release to release.
log "kubernetes $K8S_VERSION: resolving modules"
cd "$WORK/kubernetes"
k8s_info=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION")
k8s_mod=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' <<<"$k8s_info")
# The proxy's .info gives the release time (and the commit only when fetched from git directly).
k8s_info_file=$(sed -n 's/.*"Info": "\(.*\)".*/\1/p' <<<"$k8s_info")
k8s_sha=$(grep -o '"Hash": *"[0-9a-f]*"' "$k8s_info_file" | grep -o '[0-9a-f]\{40\}' || true)
staging_version="v0.${K8S_VERSION#v1.}"
go_line=$(grep -m1 '^go ' "$k8s_mod")
{
  echo "module ringcache.local/kubernetes-build"
  echo
  echo "$go_line"
  grep '^godebug' "$k8s_mod" || true
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  echo "replace ("
  # Only staging modules the release actually requires: some (sample-cli-plugin) are never published.
  awk -v v="$staging_version" '
    /^require[ \t]*\(/ { inreq = 1; next }
    inreq && /^\)/ { inreq = 0 }
    inreq && $2 == "v0.0.0" { required[$1] = 1 }
    /=> \.\/staging\// { m = ($1 == "replace" ? $2 : $1); if (m in required) printf "\t%s => %s %s\n", m, m, v }
  ' "$k8s_mod"
  echo ")"
} >go.mod
: >go.sum
log "kubernetes: $(grep -c '=>' go.mod) staging replaces at $staging_version"

major=$(echo "$K8S_VERSION" | sed 's/^v\([0-9]*\)\..*/\1/')
minor=$(echo "$K8S_VERSION" | sed 's/^v[0-9]*\.\([0-9]*\)\..*/\1/')
# The release's own time rather than now, so the same versions give the same binaries.
build_date=$(grep -o '"Time": *"[^"]*"' "$k8s_info_file" | sed 's/.*"\([^"]*\)"$/\1/')
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitCommit=${k8s_sha:-unknown} -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

for b in kube-apiserver kube-controller-manager; do
  log "$b $K8S_VERSION: building"
  nice -n 10 go build -p "$jobs" -trimpath -tags selinux,notest -ldflags "$ldflags" \
    -o "$STAGE/$b" "k8s.io/kubernetes/cmd/$b"
  log "$b: built ($("$STAGE/$b" --version))"
done

# Publish all three at once so a half-finished build never looks complete.
rm -rf "$BIN"
mv "$STAGE" "$BIN"
finish
