"""The servers scripts/bench.sh compares, how each is started and placed.

One core each, on the same CPU (the server CPU, 1 on a 2-core box): chatd with
one shard on either backend, Redis (pub/sub runs on its one main thread) and
NATS with GOMAXPROCS=1. chatd-all is chatd as deployed: a shard per CPU, not
pinned, so on a small box it shares the client's core (the table says so).
"""
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field

CHATD = "./build/chatd"
# CHATD_BEFORE_BIN=path/to/an/older/chatd adds targets chatd-before-uring and
# chatd-before-epoll that run that binary: a change is compared with what it
# replaced in the same run, interleaved, as same-run ratios.
CHATD_BEFORE = os.environ.get("CHATD_BEFORE_BIN", "")


@dataclass
class Target:
    name: str
    protocol: str          # loadgen's --target
    pinned: bool           # to the server CPU
    note: str = ""
    wire: str = ""         # fanout_client's --target
    binary: str = CHATD    # chatd targets: which build runs
    backend: str = ""      # chatd targets: --backend (default: the name's last part)
    loadgen_args: tuple = ()  # added to every loadgen run against this target

    def command(self, port, cpus):
        """The server's command line (without taskset)."""
        if self.name.startswith("chatd"):
            shards, backend = (str(len(cpus)), "auto") if self.name == "chatd-all" else ("1", self.backend or self.name.split("-")[-1])
            return [self.binary, "--bind", "127.0.0.1", "--port", "0", "--metrics-port", "0", "--shards", shards,
                    "--backend", backend, "--drain-timeout", "200ms"]
        if self.name == "redis":
            return ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                    "--protected-mode", "no", "--loglevel", "warning"]
        return ["nats-server", "-a", "127.0.0.1", "-p", str(port)]


TARGETS = {t.name: t for t in [
    Target("chatd-uring", "chatd", True, "1 shard, io_uring", "chatd"),
    Target("chatd-epoll", "chatd", True, "1 shard, epoll", "chatd"),
    Target("chatd-ws", "chatd", True, "1 shard, io_uring, WebSocket clients (loadgen --ws)", "", backend="uring",
           loadgen_args=("--ws",)),
    Target("chatd-all", "chatd", False, "a shard per CPU, not pinned (shares the client's CPU)", "chatd"),
    Target("redis", "redis", True, "single-threaded pub/sub", "redis"),
    Target("nats", "nats", True, "GOMAXPROCS=1", "nats"),
] + ([Target("chatd-before-uring", "chatd", True, "1 shard, io_uring, " + CHATD_BEFORE, "chatd", CHATD_BEFORE),
      Target("chatd-before-epoll", "chatd", True, "1 shard, epoll, " + CHATD_BEFORE, "chatd", CHATD_BEFORE)]
     if CHATD_BEFORE else [])}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class Server:
    """A running target: its pid (the server process itself, so /proc and perf
    see it), port, and the exact command for the results' reproduction lines."""
    target: Target
    proc: subprocess.Popen
    port: int
    argv: list
    env: dict = field(default_factory=dict)
    log: str = ""

    @property
    def pid(self):
        return self.proc.pid

    def command_line(self):
        env = " ".join(f"{k}={v}" for k, v in self.env.items())
        return (env + " " if env else "") + " ".join(a if a else "''" for a in self.argv)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start(target, server_cpu, all_cpus, log_path):
    """Starts target and waits until it takes connections; raises RuntimeError
    (with the log's tail) if it does not within 10 s."""
    port = free_port()
    argv = target.command(port, all_cpus)
    # taskset execs: the pid stays the server's. The unpinned target gets every CPU
    # back explicitly: this driver confined itself (and so its children) to the clients' CPUs.
    cpus = str(server_cpu) if target.pinned else ",".join(map(str, all_cpus))
    argv = ["taskset", "-c", cpus] + argv
    env = {"GOMAXPROCS": "1"} if target.name == "nats" else {}
    log = open(log_path, "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if target.protocol == "chatd":
            m = re.search(r"chatd ready: port=(\d+)", open(log_path).read())
            if m:
                return Server(target, proc, int(m.group(1)), argv, env, log_path)
        elif listening(port):
            return Server(target, proc, port, argv, env, log_path)
        time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    tail = open(log_path).read()[-2000:]
    raise RuntimeError(f"{target.name} did not start ({' '.join(argv)}):\n{tail}")
