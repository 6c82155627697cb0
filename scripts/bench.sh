#!/usr/bin/env bash
# chatd against Redis pub/sub and NATS on the same workloads, in one run.
#
#   scripts/bench.sh [--quick] [--out DIR]
#
# Every server gets CPU 1 and one thread of work (chatd --shards 1, Redis is
# single-threaded, NATS GOMAXPROCS=1); loadgen gets CPU 0. Workloads (docs/benchmarks.md):
#   fanout  1 room x 1000 members, open loop at rising rates until saturation
#   rooms   the seed ramp: steps of 100 clients x 100 messages, up to 5000 clients
#           in 25 rooms (stops at saturation: a lossy step or p99 > 1 s)
#   p2p     whispers between random pairs
# plus bench/fanout_limit (the raw cost of writing one frame to N sockets).
# Writes results/<UTC>-bench/: summary.json, fanout.csv, rooms.csv, p2p.csv,
# table.md, and PNG charts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

quick=0
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n 2,15p "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

ensure_packages libbenchmark-dev python3 redis-server nats-server gnuplot-nox
# bench/fanout_limit links Google Benchmark: `enabled`, as build/ may come from
# scripts/run.sh, configured before libbenchmark-dev was installed.
ensure_build build -Dbenchmarks=enabled -- chatd loadgen bench/fanout_limit
cd "$CHATD_ROOT"
out=${out:-results/$(date -u +%Y%m%dT%H%M%SZ)-bench}
mkdir -p "$out/runs"
echo "bench: results in $out" >&2

SERVER_CPU=1
LOADGEN_CPU=0
[ "$(nproc)" -lt 2 ] && SERVER_CPU=0
PORT_BASE=$((20000 + RANDOM % 20000))
LG=(taskset -c "$LOADGEN_CPU" ./build/loadgen/loadgen --threads 1 --no-progress --connect-timeout 10s)

pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

wait_port() {  # wait_port PORT: until something listens
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: nothing listens on port $1" >&2
  return 1
}

# start_target NAME PORT: starts one server pinned to SERVER_CPU, records its command.
start_target() {
  local name=$1 port=$2 cmd
  case "$name" in
    chatd-uring) cmd="./build/chatd --bind 127.0.0.1 --port $port --metrics-port 0 --shards 1 --backend uring --log-level warn" ;;
    chatd-epoll) cmd="./build/chatd --bind 127.0.0.1 --port $port --metrics-port 0 --shards 1 --backend epoll --log-level warn" ;;
    redis) cmd="redis-server --bind 127.0.0.1 --port $port --save '' --appendonly no --protected-mode no --loglevel warning" ;;
    nats) cmd="nats-server -a 127.0.0.1 -p $port" ;;
  esac
  echo "$cmd" >"$out/runs/$name.server-cmd"
  GOMAXPROCS=1 eval taskset -c "$SERVER_CPU" "$cmd" >"$out/runs/$name.server.log" 2>&1 &
  pids+=($!)
  wait_port "$port"
}

target_flag() { case "$1" in chatd-*) echo chatd ;; *) echo "$1" ;; esac; }

# run_loadgen NAME WORKLOAD TAG PORT ARGS...: one loadgen run into runs/NAME-WORKLOAD-TAG.
run_loadgen() {
  local name=$1 workload=$2 tag=$3 port=$4
  shift 4
  local dir="$out/runs/$name-$workload-$tag"
  "${LG[@]}" --target "$(target_flag "$name")" --port "$port" --out "$dir" "$@" \
    >"$dir.txt" 2>"$dir.err" || true  # a saturated step exits 1; its figures still count
}

targets=(chatd-uring chatd-epoll redis nats)
if [ "$quick" = 1 ]; then
  fanout_rates=(100 400 1600)
  rooms_max=1000
  p2p_clients=500
else
  fanout_rates=(100 200 400 800 1200 1600 2400 3200)
  rooms_max=5000
  p2p_clients=1000
fi

echo "bench: fanout_limit (1000 sockets)" >&2
taskset -c "$SERVER_CPU" ./build/bench/fanout_limit --members 1000 --seconds 3 >"$out/fanout_limit.txt" 2>&1 || true

port=$PORT_BASE
for t in "${targets[@]}"; do
  port=$((port + 1))
  echo "bench: $t on port $port" >&2
  start_target "$t" "$port"
  for r in "${fanout_rates[@]}"; do
    msgs=$(( r * 4 / 1000 )); [ "$msgs" -lt 1 ] && msgs=1
    echo "bench:   fanout rate $r/s" >&2
    run_loadgen "$t" fanout "$r" "$port" --ramp 1000 --steps 1 --rooms 1 --rate "$r" --msgs "$msgs" --size 64 \
      --step-timeout 20s
    # Past saturation the next rates only take longer: stop at the first lossy run.
    if ! python3 bench/report.py saturated "$out/runs/$t-fanout-$r"; then break; fi
  done
  echo "bench:   rooms ramp to $rooms_max clients" >&2
  timeout -s INT 150 "${LG[@]}" --target "$(target_flag "$t")" --port "$port" --out "$out/runs/$t-rooms-ramp" \
    --ramp 100 --msgs 100 --max-clients "$rooms_max" --rooms 25 --size 64 --slo-p99 1s --step-timeout 30s \
    >"$out/runs/$t-rooms-ramp.txt" 2>"$out/runs/$t-rooms-ramp.err" || true
  echo "bench:   p2p whispers, $p2p_clients clients" >&2
  run_loadgen "$t" p2p whisper "$port" --whisper --ramp "$p2p_clients" --steps 1 --msgs 20 --size 64
  kill "${pids[-1]}" 2>/dev/null || true
  wait "${pids[-1]}" 2>/dev/null || true
  unset 'pids[-1]'
done

python3 bench/report.py report "$out" --targets "${targets[@]}" --command "$0 $*"
echo "bench: done: $out/table.md" >&2
