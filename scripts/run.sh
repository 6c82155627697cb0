#!/usr/bin/env bash
# Installs what chatd's build needs (if missing), builds chatd alone (release:
# -O2 -g; no tests or benchmarks, see scripts/test.sh) and starts it on its
# defaults (chat on :7000, metrics on :9400). Extra arguments go to chatd, e.g.
# scripts/run.sh --shards 4.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ensure_packages
ensure_build build -- chatd
exec "$CHATD_ROOT/build/chatd" "$@"
