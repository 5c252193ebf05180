#!/usr/bin/env bash
# Builds the ringcache image from the repo's Dockerfile: makes sure an engine runs and the base
# image exists, builds with the progress shown, and prints `image_size_mb=<n>` last.
# Env: RINGCACHE_IMAGE (tag, default ringcache:dev), RINGCACHE_BASE_IMAGE (see base-image.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf '[build-image] %s\n' "$*" >&2; }

image="${RINGCACHE_IMAGE:-ringcache:dev}"
bash scripts/docker/ensure-docker.sh
base="$(bash scripts/docker/base-image.sh | tail -n 1)"

version="$(node -p "require('./package.json').version")"
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
args=(--tag "$image" --build-arg "BASE_IMAGE=$base" --build-arg "VERSION=$version" --build-arg "REVISION=$revision")

# BuildKit where the buildx plugin is installed; else the classic builder (Debian's engine with a
# client that has no buildx), which needs no extra component and prints every step as it runs.
if docker buildx version >/dev/null 2>&1; then
  args+=(--progress=plain)
else
  export DOCKER_BUILDKIT=0
  # The classic builder keeps a failed step's container unless told otherwise.
  args+=(--force-rm)
fi
previous="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"

say "building $image (base $base, version $version, revision $revision)"
start=$SECONDS
# The filter drops the client's note that the classic builder is deprecated; with pipefail a
# failing build still fails the pipeline.
noise='^DEPRECATED: The legacy builder|BuildKit is currently disabled|Install the buildx component|docs.docker.com/go/buildx|^ +environment-variable\.$|^ *$'
if ! docker build "${args[@]}" . 2>&1 | grep --line-buffered -v -E "$noise"; then
  say "docker build failed"
  exit 1
fi
say "built $image in $((SECONDS - start))s"
# The image the tag named before would linger untagged: drop it (kept if something still uses it).
current="$(docker image inspect --format '{{.Id}}' "$image")"
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then
  docker rmi "$previous" >/dev/null 2>&1 || true
fi
size_bytes="$(docker image inspect --format '{{.Size}}' "$image")"
echo "image_size_mb=$(awk -v b="$size_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')"
