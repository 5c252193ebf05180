#!/usr/bin/env bash
# Builds a local stand-in for the official Node slim base image from this machine's own `node`,
# because no container registry can be reached here. The Dockerfile builds FROM it unchanged:
# the image is tagged with the name its BASE_IMAGE argument defaults to.
#
# What goes in: node (+ the shared libraries ldd lists and the loader), npm and npx so a build
# stage can run `npm ci`, /bin/sh (dash) and /usr/bin/env (npm scripts and `#!/usr/bin/env node`
# launchers need them), root and a uid/gid 1000 "node" user like the official image, /tmp with
# mode 1777, and this machine's CA bundle (its egress to the npm registry re-signs TLS) exposed
# to node through NODE_EXTRA_CA_CERTS.
#
# Skips the work when an image with the same tag, node version and recipe already exists.
# Usage: base-image.sh            (prints the tag it made or found on the last line of stdout)
# Env:   RINGCACHE_BASE_IMAGE     tag to produce (default node:<host node major>-bookworm-slim)
#        RINGCACHE_BASE_FORCE=1   rebuild even when up to date
set -euo pipefail

say() { printf '[base-image] %s\n' "$*" >&2; }

node_bin="$(readlink -f "$(command -v node)")"
node_version="$("$node_bin" -p process.version)"
node_major="$("$node_bin" -p 'process.versions.node.split(".")[0]')"
tag="${RINGCACHE_BASE_IMAGE:-node:${node_major}-bookworm-slim}"
# The recipe is this script: editing it rebuilds the image.
recipe="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"

current="$(docker image inspect --format \
  '{{ index .Config.Labels "io.ringcache.base.node-version" }}/{{ index .Config.Labels "io.ringcache.base.recipe" }}' \
  "$tag" 2>/dev/null || true)"
if [ "${RINGCACHE_BASE_FORCE:-0}" != 1 ] && [ "$current" = "$node_version/$recipe" ]; then
  say "$tag is up to date (node $node_version, recipe $recipe)"
  echo "$tag"
  exit 0
fi

npm_dir="$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")"
[ -f "$npm_dir/package.json" ] || { say "cannot find npm's package next to $(command -v npm)"; exit 1; }
npm_version="$("$node_bin" -p "require('$npm_dir/package.json').version")"
sh_bin="$(readlink -f /bin/dash)"
env_bin="$(readlink -f /usr/bin/env)"
ca_bundle=/etc/ssl/certs/ca-certificates.crt

work="$(mktemp -d /tmp/ringcache-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
say "assembling $tag from node $node_version ($node_bin), npm $npm_version ($npm_dir) in $work"

# Debian's merged /usr layout: /bin, /lib, /lib64 and /sbin are relative links into /usr, so
# copying a file to its host path below lands in the right place inside $root too.
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/local/bin,etc/ssl/certs,root,home/node,tmp,dev,proc,sys}
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"

# copy_file HOST_PATH: the file's content at the same path inside the root (links resolved).
copy_file() {
  mkdir -p "$root$(dirname "$1")"
  cp -L "$1" "$root$1"
}

# copy_with_libs BINARY: the binary plus every library and the loader ldd names for it.
copy_with_libs() {
  copy_file "$1"
  ldd "$1" | awk '/=> \// { print $3 } /^[ \t]*\/.*ld-linux/ { print $1 }' | sort -u | while read -r lib; do
    [ -e "$root$lib" ] || copy_file "$lib"
  done
}

say "node, dash, env and their libraries"
copy_with_libs "$node_bin"
[ "$node_bin" = /usr/bin/node ] || ln -sf "$node_bin" "$root/usr/bin/node"
ln -s /usr/bin/node "$root/usr/local/bin/node"
copy_with_libs "$sh_bin"
ln -s "$(basename "$sh_bin")" "$root/usr/bin/sh"
copy_with_libs "$env_bin"

say "npm $npm_version"
mkdir -p "$root/usr/lib/node_modules"
cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"

say "users, groups, name service, CA bundle"
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
node:x:1000:1000::/home/node:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
node:x:1000:
nogroup:x:65534:
GROUP
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
[ -f "$ca_bundle" ] && cp -L "$ca_bundle" "$root$ca_bundle"
if [ "$(id -u)" -eq 0 ]; then chown 1000:1000 "$root/home/node"; fi

say "packing and importing (docker import)"
tar --numeric-owner -C "$root" -cf "$work/rootfs.tar" .
say "rootfs: $(du -m "$work/rootfs.tar" | cut -f1) MiB uncompressed"
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change "ENV NODE_EXTRA_CA_CERTS=$ca_bundle" \
  --change "LABEL io.ringcache.base.node-version=$node_version" \
  --change "LABEL io.ringcache.base.npm-version=$npm_version" \
  --change "LABEL io.ringcache.base.recipe=$recipe" \
  --change 'CMD ["node"]' \
  --message "ringcache stand-in for the official node slim image (node $node_version)" \
  "$work/rootfs.tar" "$tag" >/dev/null
say "imported $tag ($(docker image inspect --format '{{.Size}}' "$tag" | awk '{ printf "%.0f", $1 / 1048576 }') MiB)"
echo "$tag"
