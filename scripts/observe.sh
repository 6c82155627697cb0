#!/usr/bin/env bash
# Runs a real Prometheus (Debian's `prometheus` package) on loopback against a
# running chatd and, while a ramp runs, loadgen — with prometheus/prometheus.yml
# and its alert rules — and says where to point Grafana. Ctrl-C stops it.
#
#   scripts/observe.sh                          # chatd on :9400, loadgen on :9401, Prometheus on :9090
#   scripts/observe.sh --chatd 127.0.0.1:9500 --port 9095
#
# It never uses the system's prometheus service: it starts its own process with
# a temporary data directory (or --data-dir, kept afterwards).
set -euo pipefail
. "$(dirname "$0")/lib.sh"


usage() {
  cat <<EOF
Usage: scripts/observe.sh [options]

Starts Prometheus on 127.0.0.1 scraping chatd and loadgen with
prometheus/prometheus.yml and prometheus/alerts.yml. Ctrl-C stops it.

Options:
  --chatd HOST:PORT      chatd's metrics endpoint [127.0.0.1:9400]
  --loadgen HOST:PORT    loadgen's --metrics-port endpoint [127.0.0.1:9401]
  --port N               port Prometheus listens on, loopback only [9090]
  --scrape-interval DUR  how often to scrape, e.g. 1s [2s, from prometheus.yml]
  --data-dir DIR         keep the time series in DIR (kept on exit) [a temporary directory]
  -h, --help             this text

Environment: PROMETHEUS and PROMTOOL name the binaries [/usr/bin/prometheus, promtool].
EOF
}

die() { echo "observe.sh: $*" >&2; exit 2; }

chatd_target=127.0.0.1:9400
loadgen_target=127.0.0.1:9401
port=9090
scrape_interval=""
data_dir=""

while [ $# -gt 0 ]; do
  case $1 in
    --chatd) [ $# -ge 2 ] || die "--chatd needs HOST:PORT"; chatd_target=$2; shift 2 ;;
    --loadgen) [ $# -ge 2 ] || die "--loadgen needs HOST:PORT"; loadgen_target=$2; shift 2 ;;
    --port) [ $# -ge 2 ] || die "--port needs a number"; port=$2; shift 2 ;;
    --scrape-interval) [ $# -ge 2 ] || die "--scrape-interval needs a duration"; scrape_interval=$2; shift 2 ;;
    --data-dir) [ $# -ge 2 ] || die "--data-dir needs a directory"; data_dir=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

for t in "$chatd_target" "$loadgen_target"; do
  [[ $t =~ ^[A-Za-z0-9.:_-]+:[0-9]{1,5}$ ]] || die "not HOST:PORT: $t"
done
if ! [[ $port =~ ^[0-9]{1,5}$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
  die "--port: not a port number: $port"
fi
[ -z "$scrape_interval" ] || [[ $scrape_interval =~ ^[0-9]+(ms|s|m)$ ]] || die "--scrape-interval: not a duration like 1s: $scrape_interval"

prometheus=${PROMETHEUS:-$(command -v prometheus || echo /usr/bin/prometheus)}
promtool=${PROMTOOL:-$(command -v promtool || echo /usr/bin/promtool)}
if [ ! -x "$prometheus" ] || [ ! -x "$promtool" ]; then
  die "prometheus/promtool not found: install Debian's package (sudo apt-get install prometheus;
  on a systemd host it also starts a system service on :9090 — 'sudo systemctl disable --now prometheus'
  if you do not want it, or use --port here)"
fi

# http_get PORT PATH: the body of http://127.0.0.1:PORT/PATH on stdout; fails
# unless the answer is 200. Plain bash, so nothing else needs installing.
http_get() {
  local resp
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  resp=$(cat <&3) || true
  exec 3<&-
  [[ $resp == "HTTP/1."?" 200"* ]] || return 1
  printf '%s\n' "${resp#*$'\r\n\r\n'}"
}

prometheus_session observe "$port"

# The shipped config with this run's targets; alerts.yml sits beside it
# because rule_files is relative to the config file.
sed -e "s/'127\.0\.0\.1:9400'/'$chatd_target'/" \
    -e "s/'127\.0\.0\.1:9401'/'$loadgen_target'/" \
    ${scrape_interval:+-e "s/^\(  scrape_interval:\).*/\1 $scrape_interval/"} \
    ${scrape_interval:+-e "s/^\(  scrape_timeout:\).*/\1 $scrape_interval/"} \
    "$CHATD_ROOT/prometheus/prometheus.yml" >"$work/prometheus.yml"
cp "$CHATD_ROOT/prometheus/alerts.yml" "$work/alerts.yml"
if ! grep -q "'$chatd_target'" "$work/prometheus.yml" || ! grep -q "'$loadgen_target'" "$work/prometheus.yml"; then
  die "prometheus/prometheus.yml no longer has the targets '127.0.0.1:9400' and '127.0.0.1:9401' to replace"
fi
"$promtool" check config "$work/prometheus.yml" >"$work/check.log" 2>&1 || { cat "$work/check.log" >&2; die "bad config"; }

if [ -z "$data_dir" ]; then
  data_dir=$work/data
fi
mkdir -p "$data_dir"

"$prometheus" \
  --config.file="$work/prometheus.yml" \
  --storage.tsdb.path="$data_dir" \
  --web.listen-address="127.0.0.1:$port" \
  >"$work/prometheus.log" 2>&1 &
prom_pid=$!

for _ in $(seq 100); do
  http_get "$port" /-/ready >/dev/null && break
  kill -0 "$prom_pid" 2>/dev/null || { tail -20 "$work/prometheus.log" >&2; prom_pid=""; die "Prometheus exited"; }
  sleep 0.1
done
http_get "$port" /-/ready >/dev/null || { tail -20 "$work/prometheus.log" >&2; die "Prometheus is not ready after 10s"; }

# Wait for the first scrape of chatd, then say what is up.
status=""
for _ in $(seq 40); do
  status=$(http_get "$port" '/api/v1/query?query=up' || true)
  [[ $status == *'"job":"chatd"'* ]] && break
  sleep 0.25
done
echo "Prometheus: http://127.0.0.1:$port   (data: $data_dir, log: $work/prometheus.log)"
for pair in "chatd $chatd_target" "loadgen $loadgen_target"; do
  read -r job target <<<"$pair"
  if [[ $status == *"\"instance\":\"$target\",\"job\":\"$job\"},\"value\":["*",\"1\"]"* ]]; then
    echo "  $job at $target: up"
  elif [ "$job" = loadgen ]; then
    echo "  $job at $target: not running now (a ramp with --metrics-port ${target##*:} is scraped when it starts)"
  else
    echo "  $job at $target: DOWN — is chatd running with --metrics-port ${target##*:}?"
  fi
done
cat <<EOF

Grafana: add a Prometheus datasource with URL http://127.0.0.1:$port, then import
grafana/dashboards/chatd.json and loadgen-ramp.json (pick that datasource in their
"Data source" menu). With Docker, 'docker compose up --no-deps grafana' serves them
on http://127.0.0.1:3000 already provisioned (datasource "Prometheus" = 127.0.0.1:9090).
Quick look without Grafana: http://127.0.0.1:$port/alerts and /targets.

Ctrl-C to stop.
EOF

# Prometheus runs in the background (so it ignores the terminal's SIGINT);
# the INT/TERM trap above stops it. `wait` returns early when a trap fires.
prometheus_wait observe.sh
