#!/usr/bin/env python3
"""Samples a running chatd for scripts/soak.sh, and judges the soak run from the samples.

    perf/soak_monitor.py sample --pid P --metrics-port M --interval 2 --out samples.csv
    perf/soak_monitor.py verdict --samples samples.csv --client client.json \\
        --fds-baseline 12 --fds-after 12 --warmup 12 --out summary.json

`sample` appends one row every --interval seconds until SIGTERM/SIGINT or the
process is gone: RSS and open fds from /proc/PID, CPU (utime+stime over the
interval, in % of one core), and the /metrics families that show churn and
loss (every series of a family summed over its labels).

`verdict` writes summary.json and prints one line per check; its exit status is
1 when any fails:
  rss    the median RSS over the last window of the churn is more than
         --max-drift (5%) above the median RSS over the window just after the
         warm-up (a window is 10% of the churn, at least 3 samples);
  fds    the open fds once the churn has stopped (--fds-after, measured by the
         caller) are above the count before it started (--fds-baseline);
  loss   the client saw a violation: a gap, reordering or missing echo for a
         healthy client, a lost whisper, an unexpected error, a request left
         unanswered (perf/soak_client.py says which).
Python 3 standard library only.
"""
import argparse
import csv
import json
import os
import signal
import statistics
import sys
import time
import urllib.request

METRICS = {  # csv column -> family
    "connections": "chatd_connections_active",
    "users": "chatd_users_online",
    "rooms": "chatd_rooms_active",
    "delivered": "chatd_messages_delivered_total",
    "dropped": "chatd_messages_dropped_total",
    "slow_disconnects": "chatd_slow_consumer_disconnects_total",
    "errors": "chatd_errors_total",
    "bytes_sent": "chatd_bytes_sent_total",
    "queue_depth": "chatd_shard_queue_depth",
}
COLUMNS = ["unix_time", "rss_bytes", "fds", "cpu_percent"] + list(METRICS)


def proc_rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def proc_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def proc_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def scrape(port):
    """Family -> sum over its series; {} if the endpoint does not answer."""
    try:
        req = urllib.request.Request("http://127.0.0.1:%d/metrics" % port, headers={"Connection": "close"})
        with urllib.request.urlopen(req, timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return {}
    sums = {}
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        name_labels, _, value = line.rpartition(" ")
        family = name_labels.split("{", 1)[0]
        try:
            sums[family] = sums.get(family, 0.0) + float(value)
        except ValueError:
            pass
    return sums


def sample(args):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    new_file = not os.path.exists(args.out)
    with open(args.out, "a", newline="") as f:
        out = csv.writer(f)
        if new_file:
            out.writerow(COLUMNS)
        prev = None
        while not stop:
            t0 = time.time()
            try:
                cpu = proc_cpu_seconds(args.pid)
                row = [round(t0, 3), proc_rss_bytes(args.pid), proc_fds(args.pid)]
            except OSError:
                break  # the process is gone
            row.append("" if prev is None else round(100 * (cpu - prev[1]) / max(t0 - prev[0], 1e-3), 1))
            prev = (t0, cpu)
            m = scrape(args.metrics_port)
            row += [("%g" % m[fam]) if fam in m else "" for fam in METRICS.values()]
            out.writerow(row)
            f.flush()
            while not stop and time.time() < t0 + args.interval:
                time.sleep(0.1)


def median_rss(rows, lo, hi):
    """Median RSS of the rows in [lo, hi), widened forward to at least 3 rows."""
    inside = [r for r in rows if lo <= r["unix_time"] < hi]
    if len(inside) < 3:
        inside = [r for r in rows if r["unix_time"] >= lo][:3]
    return statistics.median(r["rss_bytes"] for r in inside) if inside else None


def verdict(args):
    with open(args.client) as f:
        client = json.load(f)
    with open(args.samples) as f:
        rows = [{k: float(v) if v != "" else None for k, v in r.items()} for r in csv.DictReader(f)]
    start, end = client["started_unix"], client["churn_ended_unix"]
    churn = [r for r in rows if start <= r["unix_time"] <= end]
    duration = end - start
    window = max(duration * 0.1, 1.0)
    warm_end = start + args.warmup
    rss_warm = median_rss(churn, warm_end, warm_end + window)
    last = [r for r in churn if r["unix_time"] >= end - window]
    last = last if len(last) >= 3 else churn[-3:]
    rss_end = statistics.median(r["rss_bytes"] for r in last) if last else None

    checks, failures = [], []

    def check(name, ok, text):
        checks.append({"check": name, "ok": ok, "detail": text})
        if not ok:
            failures.append("%s: %s" % (name, text))

    if rss_warm is None or rss_end is None:
        check("rss", False, "too few samples during the churn (%d)" % len(churn))
        drift = None
    else:
        drift = (rss_end - rss_warm) / rss_warm
        check("rss", drift <= args.max_drift,
              "RSS %.1f MiB after the %.0f s warm-up, %.1f MiB at the end of the churn: %+.1f%% (limit +%.0f%%)" % (
                  rss_warm / 2**20, args.warmup, rss_end / 2**20, 100 * drift, 100 * args.max_drift))
    check("fds", args.fds_after <= args.fds_baseline,
          "%d open fds before the churn, %d once it stopped" % (args.fds_baseline, args.fds_after))
    counts = client["counts"]
    violations = {k[len("violation."):]: n for k, n in counts.items() if k.startswith("violation.")}
    check("loss", not violations,
          "no message lost to a healthy client (%d msgs received; slow readers lost %d)" % (
              counts.get("msgs.received", 0), counts.get("slow.lost", 0)) if not violations else
          "violations: %s; first: %s" % (violations, client["violations"][:3]))
    if args.exit_status is not None:
        check("exit", args.exit_status == 0, "chatd's exit status on SIGTERM: %s" % args.exit_status)

    cpu = [r["cpu_percent"] for r in churn if r["cpu_percent"] is not None]

    def delta(col):
        vals = [r[col] for r in rows if r[col] is not None]
        return vals[-1] - vals[0] if len(vals) >= 2 else None

    summary = {
        "ok": not failures,
        "failures": failures,
        "checks": checks,
        "duration_s": round(duration, 1),
        "warmup_s": args.warmup,
        "samples": len(rows),
        "rss_warm_bytes": rss_warm,
        "rss_end_bytes": rss_end,
        "rss_max_bytes": max((r["rss_bytes"] for r in rows), default=None),
        "rss_drift": None if drift is None else round(drift, 4),
        "fds_baseline": args.fds_baseline,
        "fds_after": args.fds_after,
        "fds_max": max((r["fds"] for r in rows), default=None),
        "cpu_percent_mean": round(statistics.mean(cpu), 1) if cpu else None,
        "cpu_percent_max": max(cpu, default=None),
        "connections_max": max((r["connections"] or 0 for r in rows), default=None),
        "delivered": delta("delivered"),
        "dropped": delta("dropped"),
        "slow_disconnects": delta("slow_disconnects"),
        "client": counts,
        "violations": client["violations"],
    }
    with open(args.out, "w") as f:
        json.dump(summary, f, indent=1)
    for c in checks:
        print("soak: %-4s %-5s %s" % ("ok" if c["ok"] else "FAIL", c["check"], c["detail"]))
    return 0 if not failures else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--metrics-port", type=int, required=True)
    s.add_argument("--interval", type=float, default=2.0)
    s.add_argument("--out", required=True)
    v = sub.add_parser("verdict")
    v.add_argument("--samples", required=True)
    v.add_argument("--client", required=True)
    v.add_argument("--fds-baseline", type=int, required=True)
    v.add_argument("--fds-after", type=int, required=True)
    v.add_argument("--warmup", type=float, required=True, help="seconds")
    v.add_argument("--max-drift", type=float, default=0.05)
    v.add_argument("--exit-status", type=int, help="chatd's exit status after SIGTERM")
    v.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.cmd == "sample":
        sample(args)
        return 0
    return verdict(args)


if __name__ == "__main__":
    sys.exit(main())
