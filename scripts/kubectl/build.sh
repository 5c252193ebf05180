#!/usr/bin/env bash
# Builds kubectl from the Go module proxy (k8s.io/kubectl at the staging version matching the
# pinned Kubernetes release; nothing prebuilt can be downloaded here) and caches it outside the
# repo, keyed by version: ~/.cache/ringcache/kubectl/<version>/kubectl. The chart tests run the
# README's kubectl commands with it. Prints progress, the binary's path on its last line but one
# and `kubectl_build_seconds=<n>` last.
set -euo pipefail

# shellcheck source=version.env
. "$(dirname "$0")/version.env"
# shellcheck source=../lib/go-tool.sh
. "$(dirname "$0")/../lib/go-tool.sh"
KUBECTL_VERSION="${RINGCACHE_KUBECTL_VERSION:-$KUBECTL_VERSION}"
CACHE_ROOT="${RINGCACHE_KUBECTL_CACHE:-$HOME/.cache/ringcache/kubectl}"
TOOL=kubectl
BIN="$CACHE_ROOT/$KUBECTL_VERSION/kubectl"
tool_version() { "$BIN" version --client -o yaml | sed -n 's/^ *gitVersion: //p'; }

[ -x "$BIN" ] && finish
# Go's caches are the control plane build's (test/k8s/controlplane/build.sh, same Kubernetes
# version): kubectl's packages (client-go, apimachinery, ...) are mostly compiled there already.
go_env "${RINGCACHE_K8S_CACHE:-$HOME/.cache/ringcache/k8s}"
build_lock "$CACHE_ROOT/.build.lock"

# kubectl's main lives in k8s.io/kubernetes (whose staging replaces a consumer cannot inherit);
# its few lines are copied here over the published staging module, k8s.io/kubectl v0.X.Y.
staging="v0.${KUBECTL_VERSION#v1.}"
work="$CACHE_ROOT/$KUBECTL_VERSION/src"
mkdir -p "$work"
cd "$work"
cat >go.mod <<MOD
module ringcache.local/kubectl-build

go 1.24

require (
	k8s.io/client-go $staging
	k8s.io/component-base $staging
	k8s.io/kubectl $staging
)
MOD
: >go.sum
cat >main.go <<'GO'
// kubectl's main, as in k8s.io/kubernetes/cmd/kubectl.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"

	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
GO
log "kubectl $KUBECTL_VERSION (k8s.io/kubectl $staging): resolving modules"
go mod tidy
major=$(sed 's/^v\([0-9]*\)\..*/\1/' <<<"$KUBECTL_VERSION")
minor=$(sed 's/^v[0-9]*\.\([0-9]*\)\..*/\1/' <<<"$KUBECTL_VERSION")
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$KUBECTL_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
log "kubectl $KUBECTL_VERSION: building"
stage="$CACHE_ROOT/$KUBECTL_VERSION/kubectl.partial"
# The control plane's tags, so its compiled packages are reused from the shared cache.
nice -n 10 go build -trimpath -tags selinux,notest -ldflags "$ldflags" -o "$stage" .
publish "$stage"
