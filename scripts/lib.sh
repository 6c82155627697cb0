# Shared by the scripts: installs what is missing (quietly when nothing is) and
# configures a meson build directory once (then keeps its options current) and
# builds in it.
# shellcheck shell=bash

CHATD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian bookworm packages. Building and running chatd (scripts/run.sh) needs
# only the first list; meson's `tests` and `benchmarks` features are `auto`, so
# the build works without the second.
CHATD_BUILD_PACKAGES=(g++ meson ninja-build pkg-config liburing-dev libjemalloc-dev libsimdjson-dev
                      prometheus-cpp-dev libssl-dev)
# What the test suite exercises (scripts/test.sh): GoogleTest, Google Benchmark
# (CI compiles bench/), Python for the black-box and observability tests,
# Prometheus/promtool, the servers loadgen compares chatd with, and chromium (plus
# node and npm, see node_packages) for the browser test of the web page (tests/web,
# suite `browser`).
# shellcheck disable=SC2034  # used by scripts/test.sh
CHATD_TEST_PACKAGES=(libgtest-dev libgmock-dev libbenchmark-dev python3 prometheus redis-server nats-server openssl
                     chromium)

# node_packages: the Debian packages that would provide `node` and `npm`, for
# whichever is missing. A machine may carry a Node.js of its own (NodeSource's
# nodejs bundles npm and conflicts with Debian's npm package): then nothing.
node_packages() {
  command -v node >/dev/null 2>&1 || echo nodejs
  command -v npm >/dev/null 2>&1 || echo npm
}

# ensure_packages [PACKAGE...]: installs whatever of CHATD_BUILD_PACKAGES and the
# named packages is missing; silent when nothing is.
ensure_packages() {
  local missing=()
  for p in "${CHATD_BUILD_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  local log
  log=$(mktemp)
  if ! $sudo apt-get update -qq >"$log" 2>&1; then cat "$log" >&2; rm -f "$log"; return 1; fi
  # policy-rc.d 101: packages (prometheus, redis-server, nats-server) must not
  # start system services; the scripts and tests run their own on loopback.
  local policy=/usr/sbin/policy-rc.d created_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && created_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >"$log" 2>&1 || rc=$?
  [ -n "$created_policy" ] && $sudo rm -f "$policy"
  [ "$rc" -ne 0 ] && cat "$log" >&2
  rm -f "$log"
  return "$rc"
}

# ensure_setup DIR [-Dname=value...]: configures DIR once; on later calls it
# applies any -D option whose value differs (so `-Dtests=enabled` turns the tests
# on in a build/ that scripts/run.sh configured before GoogleTest was installed),
# then regenerates if a meson.build changed, so that `meson introspect` is current.
ensure_setup() {
  local dir=$CHATD_ROOT/$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$CHATD_ROOT" "$@" >/dev/null
    return
  fi
  local changed=()
  [ $# -gt 0 ] && mapfile -t changed < <(_meson_options_changed "$dir" "$@")
  local log
  log=$(mktemp)
  if [ ${#changed[@]} -gt 0 ] && ! meson configure "$dir" "${changed[@]}" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; return 1
  fi
  if ! ninja -C "$dir" build.ninja >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; return 1
  fi
  rm -f "$log"
}

# _meson_options_changed DIR -Dname=value...: prints the options whose value
# differs from DIR's (other arguments only matter at the first setup).
_meson_options_changed() {
  local dir=$1
  shift
  meson introspect "$dir" --buildoptions | python3 -c '
import json, sys
current = {o["name"]: o["value"] for o in json.load(sys.stdin)}
def text(v):
    if isinstance(v, bool): return str(v).lower()
    if isinstance(v, list): return ",".join(map(str, v))
    return str(v)
for arg in sys.argv[1:]:
    name, eq, want = arg[2:].partition("=")
    if arg.startswith("-D") and eq and text(current.get(name)).lower() != want.lower():
        print(arg)
' "$@"
}

# ensure_build DIR [-Dname=value...] [-- targets...]: ensure_setup, then compile
# quietly (everything, or only the named ninja targets).
ensure_build() {
  local dir=$1
  shift
  local opts=() targets=()
  while [ $# -gt 0 ]; do
    if [ "$1" = "--" ]; then shift; targets=("$@"); break; fi
    opts+=("$1")
    shift
  done
  ensure_setup "$dir" "${opts[@]}"
  local log
  log=$(mktemp)
  if ! ninja -C "$CHATD_ROOT/$dir" "${targets[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

# start_chatd LOG ARGS...: starts a chatd binary (ARGS[0]) with its stderr in LOG,
# waits up to 10 s for "chatd ready: port=N metrics_port=M ...", and sets
# CHATD_PID, CHATD_PORT and CHATD_METRICS_PORT. Returns 1 (log on stderr) if it
# exits or stays silent.
start_chatd() {
  local log=$1
  shift
  : >"$log"
  "$@" 2>"$log" &
  CHATD_PID=$!
  CHATD_PORT="" CHATD_METRICS_PORT=""
  for _ in $(seq 100); do
    CHATD_PORT=$(sed -n 's/.*chatd ready: port=\([0-9]*\).*/\1/p' "$log")
    [ -n "$CHATD_PORT" ] && break
    if ! kill -0 "$CHATD_PID" 2>/dev/null; then
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  if [ -z "$CHATD_PORT" ]; then
    echo "chatd did not say it was ready in 10 s (see $log)" >&2
    return 1
  fi
  CHATD_METRICS_PORT=$(sed -n 's/.*chatd ready: .*metrics_port=\([0-9]*\).*/\1/p' "$log")
}

# prometheus_session NAME PORT: for scripts that run their own Prometheus on
# loopback. Dies if PORT is taken, makes a temp dir in $work, and makes exiting
# (also on Ctrl-C) stop the Prometheus whose pid is in $prom_pid and remove $work.
prometheus_session() {
  local name=$1 port=$2
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "$name: port $port is taken (the system prometheus service?): choose another with --port" >&2
    exit 2
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/chatd-$name.XXXXXX")
  prom_pid=""
  trap _prometheus_session_end EXIT
  trap 'echo; echo "stopping Prometheus"; exit 0' INT TERM
}

# shellcheck disable=SC2317  # called from the EXIT trap
_prometheus_session_end() {
  if [ -n "${prom_pid:-}" ] && kill -0 "$prom_pid" 2>/dev/null; then
    kill -TERM "$prom_pid" 2>/dev/null || true
    wait "$prom_pid" 2>/dev/null || true
  fi
  rm -rf "${work:?}"
}

# prometheus_wait NAME: waits for the Prometheus in $prom_pid (a Ctrl-C trap ends
# the script sooner); if it exits on its own, shows its log and fails.
prometheus_wait() {
  local rc
  set +e
  wait "$prom_pid"
  rc=$?
  set -e
  prom_pid=""
  tail -20 "$work/prometheus.log" >&2
  echo "$1: Prometheus exited on its own (status $rc)" >&2
  exit 2
}
