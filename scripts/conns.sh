#!/usr/bin/env bash
# Connection scale: holds as many idle, logged-in chat connections as the machine
# allows against ONE chatd and reports what each costs — chatd's RSS per
# connection, kernel memory per socket, and the time to connect them all.
#
#   scripts/conns.sh                         19,900 connections (the per-process fd
#                                            limit here is 20,000), 4 holder processes
#   scripts/conns.sh --target 5000 --procs 2 --backend epoll
#
# The clients are perf/conn_holder.py processes (hello, welcome, then silence), each
# bound to its own 127.0.0.x source addresses, so neither one process's fd limit
# nor one address's ephemeral ports is the bound. The sysctls the run needs are set
# at the start and restored on exit, whatever happens. Writes
# results/<UTC timestamp>-conns/{summary.json,summary.md} and the raw /proc snapshots.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<EOF
Usage: scripts/conns.sh [options]

Options:
  --target N        connections to hold [19900]
  --procs P         holder processes [ceil(N / 5000)]
  --backend B       chatd's backend: uring | epoll | auto [auto]
  --shards N        chatd's shards [chatd's default: one per CPU]
  --build DIR       where chatd is [build]
  --hold S          seconds to hold after the last connect, before measuring [3]
  --timeout S       give up waiting for the holders after S seconds [300]
  --out DIR         results folder [results/<UTC timestamp>-conns]
  -h, --help        this text
EOF
}

die() { echo "conns.sh: $*" >&2; exit 2; }

target=19900
procs=""
backend=auto
shards=""
build=build
hold=3
wait_max=300
out=""
while [ $# -gt 0 ]; do
  case $1 in
    --target) [ $# -ge 2 ] || die "--target needs a number"; target=$2; shift 2 ;;
    --procs) [ $# -ge 2 ] || die "--procs needs a number"; procs=$2; shift 2 ;;
    --backend) [ $# -ge 2 ] || die "--backend needs uring|epoll|auto"; backend=$2; shift 2 ;;
    --shards) [ $# -ge 2 ] || die "--shards needs a number"; shards=$2; shift 2 ;;
    --build) [ $# -ge 2 ] || die "--build needs a directory"; build=$2; shift 2 ;;
    --hold) [ $# -ge 2 ] || die "--hold needs seconds"; hold=$2; shift 2 ;;
    --timeout) [ $# -ge 2 ] || die "--timeout needs seconds"; wait_max=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
for v in target hold wait_max; do
  [[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] || die "--${v/wait_max/timeout}: a positive whole number, not ${!v}"
done
[[ $backend =~ ^(uring|epoll|auto)$ ]] || die "--backend: uring, epoll or auto, not $backend"
procs=${procs:-$(( (target + 4999) / 5000 ))}
[[ $procs =~ ^[0-9]+$ ]] && [ "$procs" -ge 1 ] && [ "$procs" -le 200 ] || die "--procs: 1..200, not $procs"
[ "$(id -u)" -eq 0 ] || die "needs root (it sets sysctls and reads /proc/slabinfo)"

[ -x "$CHATD_ROOT/$build/chatd" ] || { ensure_packages python3; ensure_build "$build" -- chatd; }

# What one process may hold: chatd raises its soft limit to this hard limit and
# keeps 64 fds for itself; a holder keeps ~32.
fd_hard=$(ulimit -Hn)
chatd_max=$(( fd_hard - 64 ))
per_proc=$(( (target + procs - 1) / procs ))
if [ "$target" -gt "$chatd_max" ]; then
  echo "conns.sh: warning: one chatd can hold at most $chatd_max connections here (hard fd limit $fd_hard); asking for $target anyway" >&2
fi
[ $(( per_proc + 32 )) -le "$fd_hard" ] || die "$per_proc connections per holder does not fit the fd limit $fd_hard: raise --procs"

out=${out:-"$CHATD_ROOT/results/$(date -u +%Y%m%dT%H%M%SZ)-conns"}
mkdir -p "$out/proc"
out=$(cd "$out" && pwd)

# --- sysctls: set what the run needs, restore on exit ---------------------------------
# Only ever widened, never narrowed, so other programs on the box are not hurt.
declare -A saved=()
set_sysctl() {  # name value: set it, remembering the old value once
  local name=$1 value=$2
  [ -n "${saved[$name]+x}" ] || saved[$name]=$(sysctl -n "$name")
  sysctl -q -w "$name=$value" || die "cannot set $name (not root, or a read-only /proc/sys?)"
}
raise_sysctl() {  # name minimum
  local cur
  cur=$(sysctl -n "$1")
  [ "$cur" -ge "$2" ] || set_sysctl "$1" "$2"
}

chatd_pid=""
holder_pids=()
cleanup() {
  local p
  for p in "${holder_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${holder_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$chatd_pid" ] && kill -0 "$chatd_pid" 2>/dev/null; then
    kill -TERM "$chatd_pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$chatd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$chatd_pid" 2>/dev/null || true
  fi
  for name in "${!saved[@]}"; do
    sysctl -q -w "$name=${saved[$name]}" || echo "conns.sh: could not restore $name=${saved[$name]}" >&2
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r lo hi < <(sysctl -n net.ipv4.ip_local_port_range)
if [ "$lo" -gt 10000 ] || [ "$hi" -lt 65000 ]; then
  set_sysctl net.ipv4.ip_local_port_range "$(( lo < 10000 ? lo : 10000 )) $(( hi > 65000 ? hi : 65000 ))"
fi
raise_sysctl net.core.somaxconn 65535       # chatd listens with backlog 4096; the kernel caps it here
raise_sysctl net.ipv4.tcp_max_syn_backlog 65535
raise_sysctl fs.file-max $(( 4 * target + 100000 ))

# --- chatd ----------------------------------------------------------------------------
chatd_cmd=("$CHATD_ROOT/$build/chatd" --port 0 --metrics-port 0 --bind 127.0.0.1 --backend "$backend")
[ -n "$shards" ] && chatd_cmd+=(--shards "$shards")
start_chatd "$out/chatd.log" "${chatd_cmd[@]}" || { chatd_pid=$CHATD_PID; die "chatd did not start"; }
chatd_pid=$CHATD_PID port=$CHATD_PORT metrics_port=$CHATD_METRICS_PORT

snapshot() {  # tag: copy what the report needs from /proc
  cat "/proc/$chatd_pid/status" >"$out/proc/chatd-status.$1"
  cat /proc/meminfo >"$out/proc/meminfo.$1"
  cat /proc/net/sockstat >"$out/proc/sockstat.$1"
  cat /proc/slabinfo >"$out/proc/slabinfo.$1"
  ls "/proc/$chatd_pid/fd" | wc -l >"$out/proc/chatd-fds.$1"
  if [ -n "$metrics_port" ]; then
    curl -s --max-time 2 "http://127.0.0.1:$metrics_port/metrics" >"$out/proc/metrics.$1" || true
  fi
}
sleep 1  # let chatd's shards finish starting before the baseline
snapshot before

# --- holders --------------------------------------------------------------------------
# Holder k binds to 127.0.(k+1).1-127.0.(k+1).4: with the widened port range each
# address offers ~55,000 ports, so 4 are plenty for a holder's share.
echo "conns.sh: $target connections to chatd (pid $chatd_pid, port $port) from $procs holders" >&2
t0=$(date +%s.%N)
left=$target
for k in $(seq 0 $(( procs - 1 ))); do
  n=$(( left < per_proc ? left : per_proc ))
  left=$(( left - n ))
  [ "$n" -gt 0 ] || break
  python3 "$CHATD_ROOT/perf/conn_holder.py" --port "$port" --count "$n" \
    --source-ips "127.0.$(( k + 1 )).1-127.0.$(( k + 1 )).4" --prefix "h$k" \
    --hold $(( wait_max + hold + 60 )) >"$out/holder-$k.json" 2>"$out/holder-$k.log" &
  holder_pids+=($!)
done
ready=0
deadline=$(( $(date +%s) + wait_max ))
while [ "$ready" -lt ${#holder_pids[@]} ]; do
  ready=0
  for k in "${!holder_pids[@]}"; do
    if [ -s "$out/holder-$k.json" ]; then
      ready=$(( ready + 1 ))
    elif ! kill -0 "${holder_pids[$k]}" 2>/dev/null; then
      cat "$out/holder-$k.log" >&2
      die "holder $k ended before reporting"
    fi
  done
  [ "$(date +%s)" -lt "$deadline" ] || die "holders still connecting after $wait_max s"
  [ "$ready" -lt ${#holder_pids[@]} ] && sleep 0.05
done
t1=$(date +%s.%N)
sleep "$hold"
snapshot after
ss -Htn state established "( sport = :$port )" 2>/dev/null | wc -l >"$out/proc/established.after"

# --- stop, then report ----------------------------------------------------------------
for p in "${holder_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${holder_pids[@]}"; do wait "$p" 2>/dev/null || true; done
holder_pids=()
kill -TERM "$chatd_pid" 2>/dev/null || true
wait "$chatd_pid" 2>/dev/null || true
chatd_pid=""

for name in "${!saved[@]}"; do
  printf '%s\t%s\t%s\n' "$name" "$(sysctl -n "$name" | tr '\t' ' ')" "$(echo "${saved[$name]}" | tr '\t' ' ')"
done >"$out/sysctls.tsv"
python3 "$CHATD_ROOT/perf/conns_report.py" "$out" \
  --target "$target" --procs "$procs" --connect-seconds "$(awk "BEGIN { print $t1 - $t0 }")" \
  --chatd-cmd "${chatd_cmd[*]}" --chatd-version "$("$CHATD_ROOT/$build/chatd" --version 2>&1 | head -1)" \
  --fd-hard "$fd_hard"
echo "conns.sh: $out" >&2
