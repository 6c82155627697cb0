#!/usr/bin/env bash
# Profiles chatd with `perf record -e cpu-clock -g` during a loadgen run and writes
# a flame graph (SVG, rendered offline by perf/flamegraph.py), the folded stacks and
# a top-20 of self time into the run's results folder. docs/profiling.md says how
# to read them.
#
#   scripts/perf.sh --preset fanout                 starts ./build/chatd, runs loadgen with
#                                                   perf/presets/fanout.args, stops both
#   scripts/perf.sh -- --ramp 100 --msgs 100 --steps 5     the same with your loadgen args
#   scripts/perf.sh --pid 1234 --seconds 20         records a running chatd for 20 s
#   scripts/perf.sh --pid 1234 --port 7000 --preset rooms   ... while loadgen runs against it
#
# Hardware counters are not available on these VMs: the clock event (cpu-clock)
# samples on-CPU time only. Everything stops by itself: loadgen is bounded by
# --max-time, chatd (when started here) is stopped with SIGTERM at the end.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<EOF
Usage: scripts/perf.sh [options] [--pid PID] [-- loadgen args...]

Records chatd (started here from BUILD/chatd, or --pid) while loadgen runs, then
writes into the results folder:
  flamegraph.svg   the flame graph (open in a browser: hover, click to zoom, Ctrl-F)
  stacks.folded    one line per distinct stack with its sample count
  top20.txt        the 20 symbols with the most self time (perf report --no-children)
  flamegraph.html  d3 flame graph, only if the d3-flame-graph template is available offline
  perf.data        the raw recording (not committed)
  run.txt          commands, versions, sample counts

Options:
  --pid PID          profile this running chatd instead of starting one
  --port N           chatd's chat port for loadgen, with --pid [7000]
  --preset NAME      loadgen args from perf/presets/NAME.args ($(ls "$CHATD_ROOT/perf/presets" | sed 's/\.args$//' | tr '\n' ' '))
  --seconds S        with --pid and no loadgen args: record for S seconds [15]
  --chatd-args ARGS  extra arguments for the chatd started here, e.g. "--shards 2 --backend epoll"
  --build DIR        where chatd and loadgen are [build]
  --call-graph MODE  dwarf | fp [dwarf; fp is far cheaper but loses the caller of
                     every syscall made from liburing, see docs/profiling.md]
  --freq HZ          samples per second per CPU [999]
  --max-time S       kill loadgen if it runs longer than this [300]
  --out DIR          results folder [results/<UTC timestamp>-perf]
  -h, --help         this text
EOF
}

die() { echo "perf.sh: $*" >&2; exit 2; }

pid=""
port=""
preset=""
seconds=15
chatd_args=""
build=build
call_graph=dwarf
freq=999
max_time=300
out=""
loadgen_args=()

while [ $# -gt 0 ]; do
  case $1 in
    --pid) [ $# -ge 2 ] || die "--pid needs a process id"; pid=$2; shift 2 ;;
    --port) [ $# -ge 2 ] || die "--port needs a number"; port=$2; shift 2 ;;
    --preset) [ $# -ge 2 ] || die "--preset needs a name"; preset=$2; shift 2 ;;
    --seconds) [ $# -ge 2 ] || die "--seconds needs a number"; seconds=$2; shift 2 ;;
    --chatd-args) [ $# -ge 2 ] || die "--chatd-args needs a string"; chatd_args=$2; shift 2 ;;
    --build) [ $# -ge 2 ] || die "--build needs a directory"; build=$2; shift 2 ;;
    --call-graph) [ $# -ge 2 ] || die "--call-graph needs dwarf|fp"; call_graph=$2; shift 2 ;;
    --freq) [ $# -ge 2 ] || die "--freq needs a number"; freq=$2; shift 2 ;;
    --max-time) [ $# -ge 2 ] || die "--max-time needs seconds"; max_time=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; loadgen_args=("$@"); break ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

[[ $call_graph =~ ^(fp|dwarf)$ ]] || die "--call-graph: dwarf or fp, not $call_graph"
[[ $freq =~ ^[0-9]+$ ]] || die "--freq: not a number: $freq"
[[ $seconds =~ ^[0-9]+$ ]] || die "--seconds: whole seconds, not $seconds"
[[ $max_time =~ ^[0-9]+$ ]] || die "--max-time: whole seconds, not $max_time"
if [ -n "$preset" ]; then
  [ ${#loadgen_args[@]} -eq 0 ] || die "give --preset or loadgen args after --, not both"
  f="$CHATD_ROOT/perf/presets/$preset.args"
  [ -f "$f" ] || die "no preset $f"
  read -r -a loadgen_args <<<"$(grep -v '^[[:space:]]*#' "$f" | tr '\n' ' ')"
fi
if [ -z "$pid" ] && [ ${#loadgen_args[@]} -eq 0 ]; then
  usage >&2
  die "give --pid PID, or loadgen args (after -- or with --preset)"
fi
if [ -n "$pid" ]; then
  [ -d "/proc/$pid" ] || die "no process $pid"
  port=${port:-7000}
else
  [ -z "$port" ] || die "--port goes with --pid (the chatd started here picks a free port)"
fi

command -v perf >/dev/null 2>&1 || ensure_packages linux-perf
command -v perf >/dev/null 2>&1 || die "perf not found (Debian package linux-perf)"
BIN="$CHATD_ROOT/$build"
[ -x "$BIN/loadgen/loadgen" ] || [ ${#loadgen_args[@]} -eq 0 ] || ensure_build "$build" -- loadgen
[ -n "$pid" ] || [ -x "$BIN/chatd" ] || ensure_build "$build" -- chatd

out=${out:-"$CHATD_ROOT/results/$(date -u +%Y%m%dT%H%M%SZ)-perf"}
mkdir -p "$out"
out=$(cd "$out" && pwd)

chatd_pid=""
perf_pid=""
loadgen_pid=""
cleanup() {
  # Stop only what this script started, by pid.
  if [ -n "$loadgen_pid" ]; then kill "$loadgen_pid" 2>/dev/null || true; fi
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid" 2>/dev/null || true; fi
  if [ -n "$chatd_pid" ] && kill -0 "$chatd_pid" 2>/dev/null; then
    kill -TERM "$chatd_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$chatd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$chatd_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- chatd ---------------------------------------------------------------------------
if [ -z "$pid" ]; then
  : >"$out/chatd.log"  # exists before the background job opens it, for the sed below
  # shellcheck disable=SC2086  # chatd_args is a list of words on purpose
  start_chatd "$out/chatd.log" "$BIN/chatd" --port 0 --metrics-port 0 --bind 127.0.0.1 $chatd_args ||
    { chatd_pid=$CHATD_PID; die "chatd did not start"; }
  chatd_pid=$CHATD_PID pid=$CHATD_PID port=$CHATD_PORT
fi
exe=$(readlink "/proc/$pid/exe")

# DWARF unwinding by default: the default build (-O2) has no frame pointers, and
# even a -fno-omit-frame-pointer build calls io_uring_enter through Debian's
# liburing, which has none, so with fp every send's stack loses its chatd callers.
cg_opt=(--call-graph fp)
# 8 KiB of stack per sample covers the shard loop's deepest paths (parse, publish,
# send); perf.data grows ~7 MB per second of two busy shards.
[ "$call_graph" = dwarf ] && cg_opt=(--call-graph "dwarf,8192")

# --- record ----------------------------------------------------------------------------
perf_cmd=(perf record -e cpu-clock -F "$freq" "${cg_opt[@]}" -p "$pid" -o "$out/perf.data")
if [ ${#loadgen_args[@]} -eq 0 ]; then
  echo "perf.sh: recording chatd (pid $pid) for $seconds s" >&2
  "${perf_cmd[@]}" -- sleep "$seconds" 2>"$out/perf-record.log"
  loadgen_cmd=()
else
  "${perf_cmd[@]}" 2>"$out/perf-record.log" &
  perf_pid=$!
  sleep 0.5  # let perf attach before the load starts
  loadgen_cmd=("$BIN/loadgen/loadgen" --port "$port" --no-progress --out "$out/loadgen" "${loadgen_args[@]}")
  echo "perf.sh: ${loadgen_cmd[*]}" >&2
  set +e
  timeout --signal=INT --kill-after=10 "$max_time" "${loadgen_cmd[@]}" >"$out/loadgen.txt" 2>"$out/loadgen.log" &
  loadgen_pid=$!
  wait "$loadgen_pid"
  loadgen_rc=$?
  loadgen_pid=""
  set -e
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" 2>/dev/null || true
  perf_pid=""
  [ "$loadgen_rc" -eq 0 ] || echo "perf.sh: loadgen exited $loadgen_rc (see $out/loadgen.log); rendering what was recorded" >&2
fi
if [ -n "$chatd_pid" ]; then
  kill -TERM "$chatd_pid" 2>/dev/null || true
  wait "$chatd_pid" 2>/dev/null || true
  chatd_pid=""
fi
[ -s "$out/perf.data" ] || die "perf recorded nothing (see $out/perf-record.log)"

# --- render ----------------------------------------------------------------------------
cd "$out"
if perf script -i perf.data report stackcollapse -- --kernel >stacks.folded 2>stackcollapse.log && [ -s stacks.folded ]; then
  collapser="perf script report stackcollapse -- --kernel"
else
  perf script -i perf.data -F comm,ip,sym,dso 2>/dev/null | python3 "$CHATD_ROOT/perf/stackcollapse.py" >stacks.folded
  collapser="perf script -F comm,ip,sym,dso | perf/stackcollapse.py"
fi
rm -f stackcollapse.log
samples=$(awk '{ n += $NF } END { print n + 0 }' stacks.folded)
[ "$samples" -gt 0 ] || die "no samples: chatd used no CPU while perf recorded (idle? give it load)"

what=${preset:-${loadgen_args[*]:-"pid $pid, $seconds s"}}
python3 "$CHATD_ROOT/perf/flamegraph.py" stacks.folded -o flamegraph.svg \
  --title "chatd on-CPU time — $what"

{
  echo "# Self time by symbol (perf report --no-children -F overhead,sym), top 20"
  echo "# $samples samples of cpu-clock at $freq Hz; % of all samples of the process"
  # awk, not head: head would close the pipe early and fail the pipeline (pipefail)
  perf report -i perf.data --no-children -F overhead,sym --stdio -g none 2>/dev/null |
    awk '/^[[:space:]]+[0-9.]+%/ && n < 20 { print; n++ }'
} >top20.txt

# Optional: the d3 flame graph, only from a template already on this machine.
html_note="skipped (no d3-flame-graph template available offline)"
template=${D3_FLAMEGRAPH_TEMPLATE:-}
if [ -z "$template" ]; then
  for t in /usr/share/d3-flame-graph/d3-flamegraph-base.html \
           "${XDG_CACHE_HOME:-$HOME/.cache}/chatd-perf/node_modules/d3-flame-graph/dist/templates/d3-flamegraph-base.html"; do
    [ -f "$t" ] && { template=$t; break; }
  done
fi
if [ -z "$template" ] && command -v npm >/dev/null 2>&1; then
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/chatd-perf"
  mkdir -p "$cache"
  if (cd "$cache" && timeout 60 npm install --offline --no-audit --no-fund --silent d3-flame-graph@4.1.3 >/dev/null 2>&1); then
    template="$cache/node_modules/d3-flame-graph/dist/templates/d3-flamegraph-base.html"
  fi
fi
if [ -n "$template" ] && [ -f "$template" ]; then
  if perf script -i perf.data report flamegraph --template "$template" -o flamegraph.html >/dev/null 2>&1; then
    html_note="flamegraph.html (template $template)"
  else
    html_note="failed: perf script report flamegraph --template $template"
  fi
fi

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "chatd: $exe (pid $pid) $([ -x "$exe" ] && "$exe" --version 2>/dev/null | head -1)"
  echo "record: ${perf_cmd[*]}"
  if [ ${#loadgen_cmd[@]} -gt 0 ]; then echo "loadgen: ${loadgen_cmd[*]}"; fi
  echo "perf: $(perf version)"
  echo "kernel: $(uname -r); cpus: $(nproc)"
  echo "samples: $samples; stacks: $(wc -l <stacks.folded) distinct; folded by: $collapser"
  echo "html: $html_note"
  lost=$(grep -o 'lost [0-9]* chunks\|Processed [0-9]* events and lost [0-9]*' perf-record.log | head -1 || true)
  if [ -n "$lost" ]; then echo "perf record: $lost"; fi
} >run.txt

echo "perf.sh: $out"
echo "  flamegraph.svg  ($samples samples)"
echo "  top20.txt:"
sed -n '3,12p' top20.txt
