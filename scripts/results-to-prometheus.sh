#!/usr/bin/env bash
# Puts stored loadgen results into Prometheus so that Grafana's "chatd — stored
# ramp results" dashboard can replay them: each results folder's steps.om
# (OpenMetrics with timestamps, written by loadgen) is backfilled into a
# Prometheus data directory with `promtool tsdb create-blocks-from openmetrics`;
# --serve then runs Prometheus on that directory, on loopback, until Ctrl-C.
#
#   scripts/results-to-prometheus.sh results/20250101T120000Z-ramp --serve
#   scripts/results-to-prometheus.sh results/                 # every run in results/
#   scripts/results-to-prometheus.sh --serve                  # serve what was backfilled before
set -euo pipefail
. "$(dirname "$0")/lib.sh"


usage() {
  cat <<EOF
Usage: scripts/results-to-prometheus.sh [RESULTS_DIR...] [--serve] [options]

RESULTS_DIR is a results folder holding steps.om, or a folder of them
(results/). Each run is backfilled once into the data directory; its series
carry run="<folder name>".

Options:
  --serve             then serve the data directory with Prometheus on
                      127.0.0.1:PORT until Ctrl-C
  --port N            port for --serve [9091: Grafana's "Prometheus results" datasource]
  --data-dir DIR      Prometheus data directory [results/tmp/prometheus]
  --grafana URL       Grafana to print links for [http://127.0.0.1:3000]
  -h, --help          this text

Environment: PROMETHEUS and PROMTOOL name the binaries [/usr/bin/prometheus, promtool].
EOF
}

die() { echo "results-to-prometheus.sh: $*" >&2; exit 2; }

serve=0
port=9091
data_dir=$CHATD_ROOT/results/tmp/prometheus
grafana=http://127.0.0.1:3000
inputs=()

while [ $# -gt 0 ]; do
  case $1 in
    --serve) serve=1; shift ;;
    --port) [ $# -ge 2 ] || die "--port needs a number"; port=$2; shift 2 ;;
    --data-dir) [ $# -ge 2 ] || die "--data-dir needs a directory"; data_dir=$2; shift 2 ;;
    --grafana) [ $# -ge 2 ] || die "--grafana needs a URL"; grafana=${2%/}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option: $1" ;;
    *) inputs+=("$1"); shift ;;
  esac
done
if ! [[ $port =~ ^[0-9]{1,5}$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
  die "--port: not a port number: $port"
fi
if [ ${#inputs[@]} -eq 0 ] && [ $serve -eq 0 ]; then
  usage >&2
  die "give a RESULTS_DIR, --serve, or both"
fi

prometheus=${PROMETHEUS:-$(command -v prometheus || echo /usr/bin/prometheus)}
promtool=${PROMTOOL:-$(command -v promtool || echo /usr/bin/promtool)}
if [ ! -x "$promtool" ] || { [ $serve -eq 1 ] && [ ! -x "$prometheus" ]; }; then
  die "prometheus/promtool not found: install Debian's package (sudo apt-get install prometheus)"
fi

# Every steps.om named by the arguments: a run folder, or a folder of runs.
runs=()
for dir in "${inputs[@]}"; do
  [ -d "$dir" ] || die "not a directory: $dir"
  if [ -f "$dir/steps.om" ]; then
    runs+=("$(cd "$dir" && pwd)")
  else
    found=0
    for sub in "$dir"/*/; do
      if [ -f "$sub/steps.om" ]; then
        runs+=("$(cd "$sub" && pwd)")
        found=1
      fi
    done
    [ $found -eq 1 ] || die "no steps.om in $dir or its subfolders (loadgen writes one per results folder)"
  fi
done

mkdir -p "$data_dir"
data_dir=$(cd "$data_dir" && pwd)
# Which runs are in already, so that running this twice does not stack
# duplicate blocks. Prometheus ignores folders that are not blocks.
done_dir=$data_dir/chatd-backfilled
mkdir -p "$done_dir"

# time_range FILE: "FIRST_MS LAST_MS" of the samples' timestamps (the last field).
time_range() {
  awk '!/^#/ && NF >= 3 {
         t = $NF * 1000
         if (n++ == 0 || t < lo) lo = t
         if (t > hi) hi = t
       }
       END { if (n) printf "%.0f %.0f\n", lo, hi }' "$1"
}

links=()
for run_dir in "${runs[@]}"; do
  run=$(basename "$run_dir")
  om=$run_dir/steps.om
  [ "$(tail -n 1 "$om")" = "# EOF" ] || die "$om does not end with '# EOF' (an interrupted write?)"
  read -r first_ms last_ms <<<"$(time_range "$om")" || true
  [ -n "${first_ms:-}" ] || die "$om has no samples"
  sum=$(cksum <"$om")
  if [ -f "$done_dir/$run" ] && [ "$(cat "$done_dir/$run")" = "$sum" ]; then
    echo "$run: already in $data_dir"
  else
    [ -f "$done_dir/$run" ] && echo "$run: steps.om changed since it was backfilled; adding it again (delete $data_dir to start afresh)"
    log=$(mktemp)
    if ! "$promtool" tsdb create-blocks-from openmetrics "$om" "$data_dir" >"$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      die "promtool could not backfill $om"
    fi
    rm -f "$log"
    echo "$sum" >"$done_dir/$run"
    echo "$run: backfilled into $data_dir"
  fi
  # A minute of margin on each side; the first step's point is at its end.
  from=$((first_ms - 60000))
  to=$((last_ms + 60000))
  links+=("$grafana/d/chatd-results/chatd-stored-ramp-results?var-datasource=Prometheus%20results&var-run=$run&from=$from&to=$to")
done

if [ ${#links[@]} -gt 0 ]; then
  echo
  echo "In Grafana (results dashboard, datasource \"Prometheus results\" = 127.0.0.1:9091):"
  printf '  %s\n' "${links[@]}"
fi

[ $serve -eq 1 ] || exit 0

prometheus_session results "$port"

# Nothing to scrape: this Prometheus only answers queries on stored blocks.
printf 'global:\n  scrape_interval: 1m\n' >"$work/prometheus.yml"
# Retention counts back from the newest block, and stored runs are old:
# keep everything.
"$prometheus" \
  --config.file="$work/prometheus.yml" \
  --storage.tsdb.path="$data_dir" \
  --storage.tsdb.retention.time=100y \
  --web.listen-address="127.0.0.1:$port" \
  >"$work/prometheus.log" 2>&1 &
prom_pid=$!

ready=0
for _ in $(seq 150); do
  if { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
    printf 'GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    if [[ $(head -c 12 <&3) == "HTTP/1."?" 200" ]]; then ready=1; fi
    exec 3<&-
    [ $ready -eq 1 ] && break
  fi
  if ! kill -0 "$prom_pid" 2>/dev/null; then
    tail -20 "$work/prometheus.log" >&2
    prom_pid=""
    die "Prometheus exited (is $data_dir used by another Prometheus?)"
  fi
  sleep 0.1
done
if [ $ready -ne 1 ]; then
  tail -20 "$work/prometheus.log" >&2
  die "Prometheus is not ready after 15s"
fi
echo
echo "serving $data_dir on http://127.0.0.1:$port (log: $work/prometheus.log) — Ctrl-C to stop"

prometheus_wait results-to-prometheus.sh
