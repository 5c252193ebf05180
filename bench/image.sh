#!/usr/bin/env bash
# Image figures for the README: size, and build times cold (no cache: every npm package fetched,
# everything compiled), warm (nothing changed) and after a source change (the context differs, so
# the compile step and the layers after it run again).
#
# Every build here starts from a throwaway copy of the base image (timed too), so the classic
# builder's cache holds exactly the chain these builds make; at the end the bench removes that
# base and every image built on it. The real base image and ringcache:dev are left as they are.
# Prints key=value lines; RINGCACHE_BENCH_LOG=<file> keeps the build output.
set -euo pipefail
cd "$(dirname "$0")/.."

# Seconds since $1 (an $EPOCHREALTIME), one decimal.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

base=ringcache-bench-base:throwaway
image=ringcache-bench:latest
log="${RINGCACHE_BENCH_LOG:-/dev/null}"
bash scripts/docker/ensure-docker.sh

t0=$EPOCHREALTIME
RINGCACHE_BASE_IMAGE=$base RINGCACHE_BASE_FORCE=1 bash scripts/docker/base-image.sh >/dev/null
base_s="$(since "$t0")"
base_id="$(docker image inspect --format '{{.Id}}' "$base")"

marker=node/.bench-image-marker
cleanup() {
  rm -f "$marker"
  # Remove every image descending from the throwaway base: leaves first, untagged parents go with them.
  local ids pairs leaves
  mapfile -t ids < <(docker images -a -q --no-trunc)
  pairs="$(docker image inspect --format '{{.Id}} {{.Parent}}' "${ids[@]}" 2>/dev/null || true)"
  mapfile -t leaves < <(awk -v root="$base_id" '
    { parent[$1] = $2 }
    END {
      do { grew = 0; for (id in parent) if (!(id in mine) && (parent[id] == root || parent[id] in mine)) { mine[id] = 1; grew = 1 } } while (grew)
      for (id in mine) has_child[parent[id]] = 1
      for (id in mine) if (!(id in has_child)) print id
    }' <<<"$pairs")
  [ "${#leaves[@]}" -eq 0 ] || docker rmi -f "${leaves[@]}" >/dev/null 2>&1 || true
  docker rmi "$base" >/dev/null 2>&1 || true
}
trap cleanup EXIT

build() {
  DOCKER_BUILDKIT=0 docker build --force-rm --tag "$image" --build-arg "BASE_IMAGE=$base" . >>"$log" 2>&1
}

t0=$EPOCHREALTIME
build
cold_s="$(since "$t0")"

t0=$EPOCHREALTIME
build
warm_s="$(since "$t0")"

# A file inside an allowed folder changes the context as an edit would; tsc ignores it.
date +%s%N >"$marker"
t0=$EPOCHREALTIME
build
change_s="$(since "$t0")"

mb() { docker image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }
echo "base_image_s=$base_s"
echo "base_image_size_mb=$(mb "$base")"
echo "cold_build_s=$cold_s"
echo "warm_build_s=$warm_s"
echo "source_change_build_s=$change_s"
echo "image_size_mb=$(mb "$image")"
