#!/usr/bin/env python3
"""Turns a scripts/bench.sh results folder into tables, CSV and charts.

  report.py RUN_DIR                  rewrite table.md, rows.csv, summary.json,
                                     reproduce.md and the charts from rows.jsonl
                                     and run.json
  report.py --readme RUN_DIR README  also rewrite README's generated section
                                     (between <!-- bench:begin --> and <!-- bench:end -->)

Every figure is the median of the run's repetitions with [min–max]; ratios are
of medians, same run, same box.
"""
import csv
import json
import os
import statistics
import subprocess
import sys

import report_tables as tables

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def load_rows(out):
    path = os.path.join(out, "rows.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def load_run(out):
    with open(os.path.join(out, "run.json")) as f:
        return json.load(f)


CSV_COLUMNS = ["name", "target", "workload", "client", "rep", "phase", "rate", "window", "ok", "why",
               "offered_per_s", "delivered_per_s", "steady_delivered_per_s", "sent", "expected", "received", "lost",
               "timed_out", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "window_seconds", "server_cpu_s",
               "client_cpu_s", "server_cores", "client_cores", "deliveries_per_server_cpu_s",
               "deliveries_per_segment", "segments_per_delivery", "deliveries_per_send", "ip_bytes_per_delivery",
               "retrans_segs", "client_bound", "failed", "hgrm", "server_cmd", "client_cmd"]


def write_csv(out, rows):
    with open(os.path.join(out, "rows.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k) for k in CSV_COLUMNS})


def write_reproduce(out, run, rows):
    lines = [f"# Reproducing {os.path.basename(os.path.normpath(out))}", "",
             f"The whole run: `{run['command']}`. Each row alone: start the server as shown "
             f"(chatd prints its port; the peers take the port given), then run the client "
             f"against that port. Servers on CPU {run['server_cpu']}, clients on CPU "
             f"{','.join(map(str, run['client_cpus']))}.", ""]
    for r in rows:
        lines += [f"## {r['name']}", "", "```", r["server_cmd"], r["client_cmd"], "```", ""]
    for f in run.get("fanout_limit") or []:
        lines += [f"## fanout_limit per_send={f['per_send']}", "", "```", f["cmd"], "```", ""]
    with open(os.path.join(out, "reproduce.md"), "w") as f:
        f.write("\n".join(lines))


def chart(out, name, title, xlabel, ylabel, series, logy=False, extra=""):
    """series: {label: [(x, y), ...]} -> OUT/NAME.png with gnuplot, if it is installed."""
    series = {k: v for k, v in series.items() if v}
    if not series:
        return
    data = os.path.join(out, f".{name}.dat")
    with open(data, "w") as f:
        for label, points in series.items():
            f.write(f'"{label}"\n')
            for x, y in sorted(points):
                f.write(f"{x} {y}\n")
            f.write("\n\n")
    plots = ", ".join(f'"{data}" index {i} with linespoints title columnheader(1)' for i in range(len(series)))
    script = (f'set terminal pngcairo size 900,520; set output "{os.path.join(out, name)}.png";'
              f'set title "{title}"; set xlabel "{xlabel}"; set ylabel "{ylabel}"; set grid; set key left top;'
              + ("set logscale y;" if logy else "") + extra + f"plot {plots}")
    try:
        subprocess.run(["gnuplot", "-e", script], check=True, capture_output=True, timeout=30)
    except Exception as e:  # charts are a nicety; the CSV holds the figures
        print(f"report: chart {name}: {e}", file=sys.stderr)
    finally:
        os.remove(data)


def charts(out, run, rows):
    sweep = [r for r in rows if r.get("phase") == "sweep" and not r.get("failed")]
    targets = run["plan"]["targets"]
    # Median over repetitions at each rate tried.
    def per_rate(t, key):
        by = {}
        for r in sweep:
            if r["target"] == t and r.get(key) is not None:
                by.setdefault(r["rate"], []).append(r[key])
        return [(rate, statistics.median(v)) for rate, v in by.items()]
    chart(out, "fanout-p99", "Fan-out 1 x 1000, open loop: p99 (knee: p99 <= 50 ms)", "offered msg/s",
          "p99 latency (ms)", {t: per_rate(t, "p99_ms") for t in targets}, logy=True,
          extra="set logscale x 2; set arrow from graph 0, first 50 to graph 1, first 50 nohead dt 2;")
    chart(out, "fanout-delivered", "Fan-out 1 x 1000, open loop: delivered vs offered", "offered msg/s",
          "deliveries/s", {t: per_rate(t, "steady_delivered_per_s") for t in targets}, extra="set logscale x 2;")


def summary(run, rows):
    """The figures as data (summary.json): per target the medians the tables show."""
    figs = tables.figures(run, rows)
    return {"mode": run["mode"], "command": run["command"], "machine": run["machine"],
            "server_cpu": run["server_cpu"], "client_cpus": run["client_cpus"],
            "loadgen_threads": run["loadgen_threads"], "loadgen_ceiling": run.get("loadgen_ceiling"),
            "knee": run.get("knee"), "figures": figs, "agreement": tables.agreement(rows),
            "fanout_limit": run.get("fanout_limit"), "elapsed_seconds": run.get("elapsed_seconds")}


def report(out):
    run, rows = load_run(out), load_rows(out)
    write_csv(out, rows)
    write_reproduce(out, run, rows)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary(run, rows), f, indent=1)
    text = tables.full_report(out, run, rows)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(text)
    charts(out, run, rows)
    print(text)


def update_readme(out, readme):
    run, rows = load_run(out), load_rows(out)
    section = tables.readme_section(out, run, rows)
    with open(readme) as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"report: {readme} has no {BEGIN} ... {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(readme, "w") as f:
        f.write(head + BEGIN + "\n" + section + END + tail)


def main(argv):
    if len(argv) == 1:
        report(argv[0])
        return 0
    if len(argv) == 3 and argv[0] == "--readme":
        report(argv[1])
        update_readme(argv[1], argv[2])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
