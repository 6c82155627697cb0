"""What one benchmark row cost, measured from outside the programs.

A Meter samples, every 25 ms while a client runs: the server's and the client's
CPU time (/proc/<pid>/stat utime + stime: every thread, dead ones included, in
clock ticks), the machine's TCP segments and IP bytes (/proc/net/snmp OutSegs,
/proc/net/netstat OutOctets: system-wide, loopback counts each segment once, on
send) and each CPU's busy and softirq time (/proc/stat). Optionally it counts
the server's send calls with `perf stat -e sock:sock_send_length -p PID -I 50`
(the tracepoint fires once per sendmsg/write on a socket, whether the call came
from a syscall or an io_uring SQE).

The client says afterwards when its traffic ran (loadgen: the step's end and
length in summary.json; fanout_client: its measured window); window() then
interpolates every series at that window's edges, so connection set-up (a
1000-member join storm is most of a short run's work) is left out of the row.
"""
import os
import signal
import subprocess
import threading
import time

SAMPLE_SECONDS = 0.025
CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid):
    """utime + stime of every thread of pid, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14, 15 of proc(5)
    except (OSError, IndexError, ValueError):
        return None


def _table(path, prefix):
    """{name: int} from a /proc/net header/value line pair starting with prefix."""
    with open(path) as f:
        lines = [line.split() for line in f if line.startswith(prefix)]
    return dict(zip(lines[0][1:], map(int, lines[1][1:]))) if len(lines) >= 2 else {}


def net_counters():
    tcp = _table("/proc/net/snmp", "Tcp:")
    ip = _table("/proc/net/netstat", "IpExt:")
    return {"out_segs": tcp.get("OutSegs", 0), "retrans_segs": tcp.get("RetransSegs", 0),
            "out_octets": ip.get("OutOctets", 0)}


def cpu_times():
    """{cpuN: (busy_s, softirq_s)} from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                name, *v = line.split()
                v = [int(x) for x in v[:8]]  # user nice system idle iowait irq softirq steal
                out[name] = ((sum(v) - v[3] - v[4]) / CLK_TCK, v[6] / CLK_TCK)
    return out


class SendCounter:
    """perf stat on one pid's sock:sock_send_length, per 50 ms interval."""

    def __init__(self, pid, path):
        self.path = path
        self.started = time.time()
        try:
            self.proc = subprocess.Popen(
                ["perf", "stat", "-e", "sock:sock_send_length", "-I", "50", "-x", ",", "-p", str(pid),
                 "-o", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            self.proc = None

    def stop(self):
        """[(unix time, cumulative sends)], or None if perf could not count."""
        if not self.proc:
            return None
        self.proc.send_signal(signal.SIGINT)  # perf writes its last interval on SIGINT
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        points, total = [(self.started, 0)], 0
        try:
            with open(self.path) as f:
                for line in f:
                    parts = line.strip().split(",")
                    if len(parts) < 4 or line.startswith("#") or not parts[1].strip().isdigit():
                        continue
                    total += int(parts[1])
                    points.append((self.started + float(parts[0]), total))
        except OSError:
            return None
        return points if len(points) > 1 else None


class Meter:
    def __init__(self, server_pid, count_sends_to=None):
        self.server_pid = server_pid
        self.clients = []  # pids of the clients run so far, each its own series
        self.samples = []  # (unix time, {series: value})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._sends = SendCounter(server_pid, count_sends_to) if count_sends_to else None
        self.send_points = None

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        if self._sends:
            self.send_points = self._sends.stop()

    def watch_client(self, pid):
        self.clients.append(pid)

    def _sample(self):
        values = {"server_cpu": process_cpu_seconds(self.server_pid),
                  "driver_cpu": process_cpu_seconds(os.getpid())}  # this process: the meter itself
        for pid in self.clients[-1:]:  # the one running now
            values[f"client_cpu:{pid}"] = process_cpu_seconds(pid)
        values.update(net_counters())
        for cpu, (busy, softirq) in cpu_times().items():
            values[f"{cpu}_busy"] = busy
            values[f"{cpu}_softirq"] = softirq
        self.samples.append((time.time(), values))

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(SAMPLE_SECONDS)
        self._sample()

    def window(self, start, end, client_pid):
        """Every series' increase over [start, end] (unix seconds), interpolated
        between samples, client_cpu being client_pid's; a series missing at either
        edge is None. Adds server_sends (the perf count) when it was taken."""
        out = {"window_seconds": end - start}
        names = {k for _, v in self.samples for k in v if not k.startswith("client_cpu:")}
        names.add(f"client_cpu:{client_pid}")
        for name in sorted(names):
            series = [(t, v[name]) for t, v in self.samples if v.get(name) is not None]
            a, b = _at(series, start), _at(series, end)
            out[name.split(":")[0]] = None if a is None or b is None else b - a
        if self.send_points:
            a, b = _at(self.send_points, start), _at(self.send_points, end)
            out["server_sends"] = None if a is None or b is None else b - a
        return out


def _at(series, t):
    """The value of a sampled, non-decreasing series at time t, linearly
    interpolated; None when t is outside the samples. A client often exits
    within a sample period of its window's end (loadgen stamps the end, writes
    its results and quits): up to two periods past the last sample, the last
    value stands (an undercount of at most that much CPU)."""
    if series and series[-1][0] < t <= series[-1][0] + 2 * SAMPLE_SECONDS:
        return series[-1][1]
    if not series or t < series[0][0] or t > series[-1][0]:
        return None
    for (t0, v0), (t1, v1) in zip(series, series[1:]):
        if t0 <= t <= t1:
            return v0 if t1 == t0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    return series[-1][1]
