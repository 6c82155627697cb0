#!/usr/bin/env bash
# Soak: one chatd under steady churn for a long time, watched for leaks and loss.
#
#   scripts/soak.sh            30 minutes (the figure for docs/security.md)
#   scripts/soak.sh 60s        the CI version
#   scripts/soak.sh 5m --clients 80 --backend epoll --shards 4
#
# perf/soak_client.py keeps --clients sessions going the whole time: connecting,
# logging in, joining and leaving rooms, messaging, whispering, ending by bye,
# close or reset, with some slow readers that stop reading for seconds (chatd
# runs with --max-outbound 256K --slow-timeout 3s so that they do overflow).
# perf/soak_monitor.py samples chatd's RSS, fds, CPU and /metrics every few
# seconds. Writes results/<UTC timestamp>-soak/: samples.csv, client.json (what
# the clients counted and every violation), summary.json, chatd.log.
#
# Exit status 1, saying why, when:
#   - RSS at the end of the churn is more than 5% above RSS after the warm-up
#     (the first 20% of the run);
#   - chatd's open fds do not come back to their count before the churn within
#     15 s of its end;
#   - any message is lost to (or reordered for) a healthy client, that is one
#     that reads as fast as it can and stays connected; slow readers' losses
#     are counted apart and allowed;
#   - chatd does not exit 0 on SIGTERM at the end.
# Exit status 2 for a harness problem (bad arguments, chatd does not start).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<EOF
Usage: scripts/soak.sh [DURATION] [options]

DURATION: 30m by default; 90, 60s, 5m, 1h.

Options:
  --clients N     sessions at once [40]
  --backend B     uring | epoll | auto [auto]
  --shards N      chatd's shards [2]
  --interval S    seconds between samples [2 up to 5 minutes, then 5]
  --seed N        the clients' random seed [1]
  --build DIR     where chatd is built [build]
  --out DIR       results folder [results/<UTC timestamp>-soak]
  -h, --help      this text
EOF
}

die() { echo "soak.sh: $*" >&2; exit 2; }

# to_seconds 90|60s|5m|1h -> seconds
to_seconds() {
  [[ $1 =~ ^([0-9]+)(s|m|h)?$ ]] || return 1
  local n=${BASH_REMATCH[1]}
  case ${BASH_REMATCH[2]} in
    m) echo $(( n * 60 )) ;;
    h) echo $(( n * 3600 )) ;;
    *) echo "$n" ;;
  esac
}

duration_arg=30m
clients=40
backend=auto
shards=2
interval=""
seed=1
build=build
out=""
while [ $# -gt 0 ]; do
  case $1 in
    --clients) [ $# -ge 2 ] || die "--clients needs a number"; clients=$2; shift 2 ;;
    --backend) [ $# -ge 2 ] || die "--backend needs uring|epoll|auto"; backend=$2; shift 2 ;;
    --shards) [ $# -ge 2 ] || die "--shards needs a number"; shards=$2; shift 2 ;;
    --interval) [ $# -ge 2 ] || die "--interval needs seconds"; interval=$2; shift 2 ;;
    --seed) [ $# -ge 2 ] || die "--seed needs a number"; seed=$2; shift 2 ;;
    --build) [ $# -ge 2 ] || die "--build needs a directory"; build=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option: $1" ;;
    *) duration_arg=$1; shift ;;
  esac
done
duration=$(to_seconds "$duration_arg") || die "DURATION: a number with s, m or h, not $duration_arg"
[ "$duration" -ge 10 ] || die "DURATION: at least 10s (the warm-up alone is 20% of it)"
for v in clients shards seed; do
  [[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] || die "--$v: a positive whole number, not ${!v}"
done
[[ $backend =~ ^(uring|epoll|auto)$ ]] || die "--backend: uring, epoll or auto, not $backend"
interval=${interval:-$([ "$duration" -le 300 ] && echo 2 || echo 5)}
warmup=$(( duration / 5 ))

ensure_packages python3
ensure_build "$build" -- chatd || die "could not build chatd in $build"

out=${out:-"$CHATD_ROOT/results/$(date -u +%Y%m%dT%H%M%SZ)-soak"}
mkdir -p "$out"
monitor_pid=""
cleanup() {
  if [ -n "$monitor_pid" ]; then kill -TERM "$monitor_pid" 2>/dev/null || true; fi
  if [ -n "${CHATD_PID:-}" ]; then kill -KILL "$CHATD_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

start_chatd "$out/chatd.log" "$CHATD_ROOT/$build/chatd" --bind 127.0.0.1 --port 0 --metrics-port 0 \
  --backend "$backend" --shards "$shards" --max-outbound 256K --slow-timeout 3s --drain-timeout 2s \
  || die "chatd did not start (log in $out/chatd.log)"
fd_count() { find "/proc/$CHATD_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# Baseline: after one scrape, so whatever the metrics endpoint opens lazily is in it.
curl -sf "http://127.0.0.1:$CHATD_METRICS_PORT/metrics" >/dev/null || die "no /metrics on port $CHATD_METRICS_PORT"
sleep 1
fds_baseline=$(fd_count)
echo "soak: chatd pid $CHATD_PID port $CHATD_PORT, $duration s of churn with $clients clients" \
     "(warm-up $warmup s, a sample every $interval s), $fds_baseline fds at rest; results in $out"

python3 "$CHATD_ROOT/perf/soak_monitor.py" sample --pid "$CHATD_PID" --metrics-port "$CHATD_METRICS_PORT" \
  --interval "$interval" --out "$out/samples.csv" &
monitor_pid=$!

python3 "$CHATD_ROOT/perf/soak_client.py" --port "$CHATD_PORT" --duration "$duration" \
  --clients "$clients" --seed "$seed" --out "$out/client.json" || die "the soak client failed"
kill -0 "$CHATD_PID" 2>/dev/null || { tail -20 "$out/chatd.log" >&2; die "chatd died during the soak"; }

# Every connection is closed now; chatd gets 15 s to give their fds back.
fds_after=$(fd_count)
for _ in $(seq 150); do
  [ "$fds_after" -le "$fds_baseline" ] && break
  sleep 0.1
  fds_after=$(fd_count)
done
if [ "$fds_after" -gt "$fds_baseline" ]; then
  ls -l "/proc/$CHATD_PID/fd" >"$out/fds-after.txt" 2>&1 || true
fi
sleep "$interval"  # one more sample at rest
kill -TERM "$monitor_pid" 2>/dev/null || true
wait "$monitor_pid" 2>/dev/null || true
monitor_pid=""

kill -TERM "$CHATD_PID"
exit_status=""
for _ in $(seq 50); do
  if ! kill -0 "$CHATD_PID" 2>/dev/null; then
    set +e; wait "$CHATD_PID"; exit_status=$?; set -e
    break
  fi
  sleep 0.1
done
[ -n "$exit_status" ] || exit_status=124  # still running 5 s after SIGTERM
CHATD_PID=""

python3 "$CHATD_ROOT/perf/soak_monitor.py" verdict --samples "$out/samples.csv" --client "$out/client.json" \
  --fds-baseline "$fds_baseline" --fds-after "$fds_after" --warmup "$warmup" \
  --exit-status "$exit_status" --out "$out/summary.json" && rc=0 || rc=$?
if [ "$rc" -eq 0 ]; then
  echo "soak: PASS ($out/summary.json)"
else
  echo "soak: FAIL ($out/summary.json)" >&2
  exit 1
fi
