#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. the whole suite under ASAN+UBSAN,
#   2. the tests of the `threaded` suite (rings, multi-shard server) under TSAN,
#   3. every libFuzzer target for a short while (scripts/fuzz.sh, CHATD_FUZZ_SECONDS, 20 s),
#   4. a 60-second soak of the release chatd (scripts/soak.sh 60s: RSS drift, fds, losses),
#   5. the whole suite on the release build — ending with meson's summary.
# Set CHATD_TEST_QUICK=1 to run only the last step.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2046  # one package name a word
ensure_packages "${CHATD_TEST_PACKAGES[@]}" $(node_packages)
cd "$CHATD_ROOT"
# The browser test skips where node/npm/chromium are missing; here they were just
# installed, so a missing one is a failure, not a quietly smaller suite.
export CHATD_REQUIRE_BROWSER=1

# `enabled`, not meson's `auto`: build/ may come from scripts/run.sh, configured
# before GoogleTest was installed, and a suite without its tests must not pass.
ensure_build build -Dtests=enabled -Dbenchmarks=enabled
if [ "${CHATD_TEST_QUICK:-0}" != 1 ]; then
  # jemalloc and the sanitizers' allocators do not mix: sanitizer builds use glibc's.
  # -O1: sanitizer builds compile in about half the time of -O2 and still run fast.
  ensure_build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Djemalloc=disabled \
    -Dtests=enabled -Dbenchmarks=disabled -Dbuildtype=debug -Doptimization=1
  # TSAN covers the tests of the `threaded` suite (meson.build registers them):
  # only what they need is built (a full TSAN build would double CI time for nothing).
  tsan_opts=(-Db_sanitize=thread -Djemalloc=disabled -Dtests=enabled -Dbenchmarks=disabled
             -Dbuildtype=debug -Doptimization=1)
  ensure_setup build-tsan "${tsan_opts[@]}"
  tsan_targets=$(scripts/suite_targets.py build-tsan threaded)
  # shellcheck disable=SC2086  # one ninja target a line, no spaces in them
  ensure_build build-tsan "${tsan_opts[@]}" -- $tsan_targets

  echo "== builds done after ${SECONDS}s"
  echo "== ASAN+UBSAN: every test"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --num-processes 2 -q
  echo "== TSAN: the threaded suite (${tsan_targets//$'\n'/ })"
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    meson test -C build-tsan --no-rebuild --suite threaded --print-errorlogs --num-processes 2 -q
  echo "== fuzzers: ${CHATD_FUZZ_SECONDS:-20}s each"
  CHATD_FUZZ_RESULTS=build-fuzz/last-run scripts/fuzz.sh "${CHATD_FUZZ_SECONDS:-20}"
  echo "== soak: 60 s of churn against the release chatd"
  rm -rf build/soak-last
  scripts/soak.sh 60s --out build/soak-last
fi

echo "== release build: every test (${SECONDS}s so far)"
meson test -C build --print-errorlogs --num-processes 2
