#!/usr/bin/env python3
"""Turns a scripts/bench.sh run folder into CSVs, a markdown table and charts.

  report.py saturated RUN_DIR      exit 1 if that loadgen run saturated (lossy,
                                   under 90% of the offered rate, or p99 > 1 s)
  report.py report OUT --targets T... [--command CMD]
"""
import csv
import json
import os
import re
import subprocess
import sys

MEMBERS = 1000  # fan-out room size, as scripts/bench.sh runs it
P99_LIMIT_MS = 1000.0


def load(run_dir):
    try:
        with open(os.path.join(run_dir, "summary.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def first_step(summary):
    steps = (summary or {}).get("steps") or []
    return steps[0] if steps else None


def saturated(run_dir):
    s = load(run_dir)
    step = first_step(s)
    if step is None:
        return True
    rate = (s.get("workload") or {}).get("rate") or 0
    offered = rate * MEMBERS
    lat = step.get("latency") or {}
    return (step.get("lost", 0) > 0 or step.get("timed_out") or
            (lat.get("p99_ms") or 0) > P99_LIMIT_MS or
            (offered and step.get("delivered_per_second", 0) < 0.9 * offered))


def fanout_rows(out, target):
    rows = []
    for name in sorted(os.listdir(os.path.join(out, "runs"))):
        m = re.fullmatch(re.escape(target) + r"-fanout-(\d+)", name)
        if not m:
            continue
        s = load(os.path.join(out, "runs", name))
        step = first_step(s)
        if step is None:
            continue
        rate = int(m.group(1))
        lat = step["latency"]
        rows.append({"target": target, "rate": rate, "offered_per_s": rate * MEMBERS,
                     "delivered_per_s": round(step["delivered_per_second"]), "lost": step["lost"],
                     "p50_ms": lat["p50_ms"], "p99_ms": lat["p99_ms"], "p999_ms": lat["p999_ms"],
                     "saturated": int(bool(saturated(os.path.join(out, "runs", name))))})
    return sorted(rows, key=lambda r: r["rate"])


def step_rows(out, target, workload):
    s = load(os.path.join(out, "runs", f"{target}-{workload}"))
    rows = []
    for step in (s or {}).get("steps") or []:
        lat = step["latency"]
        rows.append({"target": target, "step": step["step"], "clients": step["clients"],
                     "delivered_per_s": round(step["delivered_per_second"]), "lost": step["lost"],
                     "p50_ms": lat["p50_ms"], "p99_ms": lat["p99_ms"], "p999_ms": lat["p999_ms"],
                     "server_rss_bytes": step.get("server_rss_bytes")})
    return rows, s


def write_csv(path, rows):
    if not rows:
        open(path, "w").close()
        return
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=5).stdout.strip().splitlines()[0]
    except Exception:  # a missing peer is reported as such, not fatal
        return None


def fanout_limit(out):
    try:
        text = open(os.path.join(out, "fanout_limit.txt")).read()
    except OSError:
        return None
    m = re.search(r"frames_per_second=([\d.]+)", text)
    return float(m.group(1)) if m else None


def ratio(v, base):
    return f"{v / base:.2f}x" if v and base else "n/a"


def chart(out, name, title, xlabel, ylabel, series, logy=False):
    """series: {label: [(x, y), ...]} -> OUT/NAME.png with gnuplot."""
    data = os.path.join(out, f".{name}.dat")
    with open(data, "w") as f:
        for label, points in series.items():
            f.write(f'"{label}"\n')
            for x, y in points:
                f.write(f"{x} {y}\n")
            f.write("\n\n")
    plots = ", ".join(f'"{data}" index {i} with linespoints title columnheader(1)' for i in range(len(series)))
    script = (f'set terminal pngcairo size 900,520; set output "{os.path.join(out, name)}.png";'
              f'set title "{title}"; set xlabel "{xlabel}"; set ylabel "{ylabel}"; set grid; set key left top;'
              + ("set logscale y;" if logy else "") + f"plot {plots}")
    try:
        subprocess.run(["gnuplot", "-e", script], check=True, capture_output=True, timeout=30)
    except Exception as e:  # charts are a nicety; the CSVs hold the figures
        print(f"report: chart {name}: {e}", file=sys.stderr)
    finally:
        os.remove(data)


def report(out, targets, command):
    fan, rooms, p2p, best = [], [], [], {}
    for t in targets:
        rows = fanout_rows(out, t)
        fan += rows
        ok = [r for r in rows if not r["saturated"]]
        best[t] = {"fanout_sustained_per_s": max((r["delivered_per_s"] for r in ok), default=0),
                   "fanout_saturation_rate": next((r["rate"] for r in rows if r["saturated"]), None)}
        r_rows, _ = step_rows(out, t, "rooms-ramp")
        rooms += r_rows
        good = [r for r in r_rows if r["lost"] == 0 and r["p99_ms"] <= P99_LIMIT_MS]
        best[t]["rooms_max_clients"] = max((r["clients"] for r in good), default=0)
        best[t]["rooms_peak_per_s"] = max((r["delivered_per_s"] for r in good), default=0)
        p_rows, _ = step_rows(out, t, "p2p-whisper")
        p2p += p_rows
        best[t]["p2p_per_s"] = p_rows[0]["delivered_per_s"] if p_rows else 0
        best[t]["p2p_p99_ms"] = p_rows[0]["p99_ms"] if p_rows else None
    write_csv(os.path.join(out, "fanout.csv"), fan)
    write_csv(os.path.join(out, "rooms.csv"), rooms)
    write_csv(os.path.join(out, "p2p.csv"), p2p)

    limit = fanout_limit(out)
    base = best.get("redis", {})
    lines = ["| target | fan-out sustained deliveries/s | vs Redis | rooms: clients before saturation | rooms peak deliveries/s | vs Redis | p2p deliveries/s | vs Redis | p2p p99 ms |",
             "|---|---|---|---|---|---|---|---|---|"]
    for t in targets:
        b = best[t]
        lines.append(f"| {t} | {b['fanout_sustained_per_s']:,} | {ratio(b['fanout_sustained_per_s'], base.get('fanout_sustained_per_s'))} "
                     f"| {b['rooms_max_clients']:,} | {b['rooms_peak_per_s']:,} | {ratio(b['rooms_peak_per_s'], base.get('rooms_peak_per_s'))} "
                     f"| {b['p2p_per_s']:,} | {ratio(b['p2p_per_s'], base.get('p2p_per_s'))} | {b['p2p_p99_ms']} |")
    if limit:
        lines.append("")
        lines.append(f"bench/fanout_limit (one prepared frame per socket per round to 1000 sockets, batched io_uring): "
                     f"{limit:,.0f} frames/s; chatd-uring's sustained fan-out is "
                     f"{100 * best.get('chatd-uring', {}).get('fanout_sustained_per_s', 0) / limit:.0f}% of it. Above 100% "
                     f"means chatd coalesces several queued events into one sendmsg per connection per turn, which "
                     f"the one-frame-per-write limit does not.")
    if "chatd-uring" in best and "chatd-epoll" in best and best["chatd-epoll"]["fanout_sustained_per_s"]:
        lines.append(f"io_uring / epoll fan-out: {ratio(best['chatd-uring']['fanout_sustained_per_s'], best['chatd-epoll']['fanout_sustained_per_s'])}.")
    # p99 at 50% of Redis's saturation rate, per target (issue 5's target).
    sat = base.get("fanout_saturation_rate")
    if sat:
        half = sat / 2
        lines.append("")
        lines.append(f"p99 at the fan-out rate nearest 50% of Redis's saturation rate ({half:.0f} msg/s):")
        for t in targets:
            rows = [r for r in fan if r["target"] == t]
            if rows:
                near = min(rows, key=lambda r: abs(r["rate"] - half))
                lines.append(f"- {t}: {near['p99_ms']} ms at {near['rate']} msg/s")
    table = "\n".join(lines) + "\n"
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(table)

    chart(out, "fanout-p99", "Fan-out: 1 room x 1000 members", "offered msg/s", "p99 latency (ms)",
          {t: [(r["rate"], r["p99_ms"]) for r in fan if r["target"] == t] for t in targets}, logy=True)
    chart(out, "fanout-throughput", "Fan-out: delivered vs offered", "offered msg/s", "deliveries/s",
          {t: [(r["rate"], r["delivered_per_s"]) for r in fan if r["target"] == t] for t in targets})
    chart(out, "rooms-throughput", "Rooms ramp (25 rooms, +100 clients per step)", "clients", "deliveries/s",
          {t: [(r["clients"], r["delivered_per_s"]) for r in rooms if r["target"] == t] for t in targets})
    chart(out, "rooms-p99", "Rooms ramp: p99 latency", "clients", "p99 latency (ms)",
          {t: [(r["clients"], r["p99_ms"]) for r in rooms if r["target"] == t] for t in targets}, logy=True)

    machine = None
    for t in targets:
        _, s = step_rows(out, t, "rooms-ramp")
        if s:
            machine = s.get("machine")
            break
    summary = {
        "command": command,
        "machine": machine,
        "versions": {"chatd": version(["./build/chatd", "--version"]),
                     "loadgen": version(["./build/loadgen/loadgen", "--version"]),
                     "redis": version(["redis-server", "--version"]),
                     "nats": version(["nats-server", "--version"])},
        "server_commands": {t: open(os.path.join(out, "runs", f"{t}.server-cmd")).read().strip()
                            for t in targets if os.path.exists(os.path.join(out, "runs", f"{t}.server-cmd"))},
        "fanout_limit_frames_per_s": limit,
        "best": best,
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(table)


def main(argv):
    if len(argv) >= 2 and argv[0] == "saturated":
        return 1 if saturated(argv[1]) else 0
    if len(argv) >= 2 and argv[0] == "report":
        out = argv[1]
        targets, command = [], ""
        rest = argv[2:]
        while rest:
            if rest[0] == "--targets":
                rest = rest[1:]
                while rest and not rest[0].startswith("--"):
                    targets.append(rest[0])
                    rest = rest[1:]
            elif rest[0] == "--command" and len(rest) > 1:
                command, rest = rest[1], rest[2:]
            else:
                rest = rest[1:]
        report(out, targets, command)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
