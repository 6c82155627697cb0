#!/usr/bin/env bash
# Installs what is missing, builds chatd (release: -O2 -g) and starts it on its
# defaults (chat on :7000). Extra arguments go to chatd, e.g. scripts/run.sh --shards 4.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ensure_packages
ensure_build build
exec "$CHATD_ROOT/build/chatd" "$@"
