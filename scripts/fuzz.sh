#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ and runs each for a while (docs/fuzzing.md):
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # default: 60 s each, every target
#
# Installs clang-14 and its fuzzer runtime if missing, builds in build-fuzz/ (clang,
# ASAN+UBSAN, -Dfuzzers=enabled), runs each target on a temporary copy of its seed corpus
# (fuzz/corpus/<target>/; the committed corpus never grows by itself) with its dictionary
# (fuzz/dict/<target>.dict) if there is one, and prints a table: target, execs, exec/s,
# coverage, crashes. The table and any crash input with its log go to
# results/<UTC>-fuzz/. Exits 1 if any target crashed (or hung, or leaked).
#
# CHATD_FUZZ_ARGS adds libFuzzer flags to every run, e.g. CHATD_FUZZ_ARGS=-max_len=65536;
# CHATD_FUZZ_RESULTS names the results folder (scripts/test.sh keeps its runs in build-fuzz/).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$CHATD_ROOT"

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (SECONDS a whole number, default 60)" >&2
  exit 2
fi
[ $# -gt 0 ] && shift
wanted=("$@")

ensure_packages clang-14 libclang-rt-14-dev
# The compiler is chosen when build-fuzz/ is first set up; later runs keep it.
CC=clang-14 CXX=clang++-14 ensure_build build-fuzz -Dfuzzers=enabled -Db_sanitize=address,undefined \
  -Db_lundef=false -Djemalloc=disabled -Dtests=disabled -Dbenchmarks=disabled \
  -Dbuildtype=debugoptimized -- fuzzers

# The targets fuzz/meson.build declares (each executable is <name>_fuzzer).
mapfile -t targets < <(meson introspect build-fuzz --targets | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["name"].endswith("_fuzzer"):
        print(t["name"][:-len("_fuzzer")])
' | sort)
if [ ${#wanted[@]} -gt 0 ]; then
  for w in "${wanted[@]}"; do
    printf '%s\n' "${targets[@]}" | grep -qx "$w" || { echo "no fuzz target '$w' (have: ${targets[*]})" >&2; exit 2; }
  done
  targets=("${wanted[@]}")
fi

results=${CHATD_FUZZ_RESULTS:-results/$(date -u +%Y%m%dT%H%M%SZ)-fuzz}
work=$(mktemp -d "${TMPDIR:-/tmp}/chatd-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Sanitizer reports end the run as a crash; libFuzzer saves the input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# final_stat NAME LOG: a value of libFuzzer's final stats (-print_final_stats=1).
final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }
# last_field NAME LOG: the last "NAME: N" of libFuzzer's status lines (cov, ft, corp).
last_field() { grep -o "$1: [0-9]*" "$2" | tail -1 | sed 's/.*: //'; }

table=$(printf '%-14s %8s %12s %9s %6s %7s %8s\n' target seconds execs exec/s cov ft crashes)
crashed=0
for t in "${targets[@]}"; do
  corpus=$work/$t/corpus
  artifacts=$work/$t/artifacts
  mkdir -p "$corpus" "$artifacts"
  [ -d "fuzz/corpus/$t" ] && cp -r "fuzz/corpus/$t/." "$corpus/"
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -artifact_prefix="$artifacts/")
  [ -f "fuzz/dict/$t.dict" ] && args+=(-dict="fuzz/dict/$t.dict")
  # shellcheck disable=SC2206  # CHATD_FUZZ_ARGS is a list of flags
  args+=(${CHATD_FUZZ_ARGS:-})
  log=$work/$t.log
  echo "== $t: ${seconds}s" >&2
  start=$SECONDS
  rc=0
  "build-fuzz/fuzz/${t}_fuzzer" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
  elapsed=$((SECONDS - start))
  crashes=$(find "$artifacts" -type f | wc -l)
  if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    crashed=1
    [ "$crashes" -eq 0 ] && crashes="rc=$rc"
    mkdir -p "$results/$t"
    cp "$artifacts"/* "$results/$t/" 2>/dev/null || true
    cp "$log" "$results/$t/fuzzer.log"
    grep -E 'ERROR|invariant broken|SUMMARY' -A4 "$log" | head -30 >&2 || true
    echo "$t: crash input and log kept in $results/$t/" >&2
  fi
  table+=$'\n'$(printf '%-14s %8s %12s %9s %6s %7s %8s' "$t" "$elapsed" \
    "$(final_stat number_of_executed_units "$log")" "$(final_stat average_exec_per_sec "$log")" \
    "$(last_field cov "$log")" "$(last_field ft "$log")" "$crashes")
done

mkdir -p "$results"
{
  echo "# scripts/fuzz.sh $seconds ${wanted[*]}"
  echo "# $(git rev-parse --short HEAD 2>/dev/null || echo '?') $(clang++-14 --version | head -1) $(nproc) cpus"
  echo "$table"
} >"$results/summary.txt"
echo "$table"
echo "(table in $results/summary.txt)"
exit "$crashed"
