#!/usr/bin/env bash
# Makes sure a Docker engine answers `docker info`: installs Debian's docker.io when dockerd is
# missing, starts dockerd in the background when no engine runs, and waits for it (with a deadline).
# Idempotent: with an engine already up it only checks and returns.
set -euo pipefail

deadline_s="${RINGCACHE_DOCKERD_TIMEOUT_S:-60}"
log=/tmp/ringcache-dockerd.log

say() { printf '[ensure-docker] %s\n' "$*" >&2; }

# apt-get and dockerd need root; use sudo only when we are not root already.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if docker info >/dev/null 2>&1; then
  say "engine already up ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  say "installing docker.io (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq docker.io >/dev/null
fi

# The package's postinst may have started an engine already (where an init system exists).
if ! docker info >/dev/null 2>&1; then
  if pgrep -x dockerd >/dev/null 2>&1; then
    say "dockerd is running but not answering yet; waiting"
  else
    say "starting dockerd (log: $log)"
    # setsid: the engine outlives this script and the CI step that ran it.
    as_root setsid dockerd >"$log" 2>&1 </dev/null &
  fi
fi

end=$((SECONDS + deadline_s))
until docker info >/dev/null 2>&1; do
  if [ "$SECONDS" -ge "$end" ]; then
    say "docker info still fails after ${deadline_s}s; last lines of $log:"
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
  sleep 0.5
done
say "engine up ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
