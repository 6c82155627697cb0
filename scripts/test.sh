#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. the whole suite under ASAN+UBSAN,
#   2. the threaded tests (rings, multi-shard server) under TSAN,
#   3. the whole suite on the release build — ending with meson's summary.
# Set CHATD_TEST_QUICK=1 to run only step 3.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ensure_packages
cd "$CHATD_ROOT"

ensure_build build
if [ "${CHATD_TEST_QUICK:-0}" != 1 ]; then
  # jemalloc and the sanitizers' allocators do not mix: sanitizer builds use glibc's.
  # -O1: sanitizer builds compile in about half the time of -O2 and still run fast.
  ensure_build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Djemalloc=disabled \
    -Dbenchmarks=disabled -Dbuildtype=debug -Doptimization=1
  # TSAN covers the threaded parts: the rings and the multi-shard server. Only
  # their binaries are built (a full TSAN build would double CI time for nothing).
  ensure_build build-tsan -Db_sanitize=thread -Djemalloc=disabled -Dbenchmarks=disabled \
    -Dbuildtype=debug -Doptimization=1 -- chatd mpsc_ring_test tests/it_json_ops tests/it_ordering \
    tests/it_slow_consumer tests/it_shutdown

  echo "== builds done after ${SECONDS}s"
  echo "== ASAN+UBSAN: every test"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --num-processes 2 -q
  echo "== TSAN: threaded tests"
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    meson test -C build-tsan --no-rebuild --suite threaded --print-errorlogs --num-processes 2 -q
fi

echo "== release build: every test (${SECONDS}s so far)"
meson test -C build --print-errorlogs --num-processes 2
