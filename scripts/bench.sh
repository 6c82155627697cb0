#!/usr/bin/env bash
# chatd against Redis pub/sub and NATS on the same workloads, in one run, on one box.
#
#   scripts/bench.sh            the full run (< 25 min): 3 interleaved repetitions, every
#                               target; rewrites README.md's generated table
#   scripts/bench.sh --quick    one repetition, shorter steps (< 5 min)
#   scripts/bench.sh --smoke    development check (~1 min): chatd-uring and redis, 2 rates
#   options: --out DIR  --targets chatd-uring,redis,...  --reps N  --no-perf  --no-readme
#
# Targets: chatd-uring and chatd-epoll (--shards 1), Redis and NATS (GOMAXPROCS=1),
# each pinned to CPU 1; chatd-all (a shard per CPU, not pinned). Clients on CPU 0:
# loadgen with as many threads as it has CPUs there (1 on a 2-core box: flagged), and
# bench/fanout_client, a second client in plain C that checks loadgen's headline rows.
# Workloads: fan-out 1 room x 1000 open loop swept for each target's knee (geometric
# steps, then bisection), closed loop W=16/64, 1000 users in 25 rooms at 5,000 msg/s,
# point to point; then bench/fanout_limit at chatd's measured events per sendmsg.
# Each row's server and client CPU, TCP segments and (with perf) sendmsg calls are
# metered over its traffic window. Method: docs/benchmarks.md.
#
# Writes results/<UTC>-bench[-quick|-smoke]/: table.md (the report), summary.json,
# rows.jsonl / rows.csv (every row), run.json (plan, machine, knees), reproduce.md
# (every row's commands), fanout_limit.txt, charts, and runs/ (each loadgen run's
# folder with summary.json, latency.hgrm and steps.om, which
# scripts/results-to-prometheus.sh reads: pass it results/<run>/runs).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for a in "$@"; do
  case "$a" in -h|--help) sed -n 2,24p "$0"; exit 0 ;; esac
done

ensure_packages libbenchmark-dev python3 redis-server nats-server gnuplot-nox
# bench/fanout_limit links Google Benchmark: `enabled`, as build/ may come from
# scripts/run.sh, configured before libbenchmark-dev was installed.
ensure_build build -Dbenchmarks=enabled -- chatd loadgen bench/fanout_limit
cd "$CHATD_ROOT"

# The second client is plain C outside meson (the project is C++ only); its framing
# test and the driver's tests run first, so a broken parser or search cannot
# produce figures.
mkdir -p build/bench-tools
src=bench/fanout_client
cc -O2 -std=gnu11 -Wall -Wextra -o build/bench-tools/wire_test "$src/wire_test.c" "$src/wire.c"
build/bench-tools/wire_test >/dev/null
python3 bench/harness_test.py 2>/dev/null || { python3 bench/harness_test.py; exit 1; }  # the knee search and report arithmetic
cc -O2 -std=gnu11 -Wall -Wextra -o build/bench-tools/fanout_client \
  "$src/main.c" "$src/run.c" "$src/wire.c" "$src/latency_hist.c" -lm

exec python3 bench/harness.py "$@"
