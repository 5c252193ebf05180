#!/usr/bin/env bash
# Runs the pinned helm (`npm run helm -- <args>`), building it first when the cache lacks it.
set -euo pipefail
out=$(bash "$(dirname "$0")/build.sh")
exec "$(sed -n '1p' <<<"$out")" "$@"
