#!/usr/bin/env python3
"""A stored result replays in Prometheus: a tiny results folder with a
synthetic steps.om (the layout loadgen writes, three days old) goes through
scripts/results-to-prometheus.sh --serve; then

- loadgen_step_clients{run=...} comes back over a time range with the exact
  values and timestamps written (raw samples and query_range),
- every query of grafana/dashboards/results.json returns data for that run,
- running the script again does not backfill the run twice,
- the script stops its Prometheus when told to (SIGTERM, as Ctrl-C's INT).
"""

import math
import os
import signal
import time

from obslib import (ROOT, Checks, Prometheus, dashboard_exprs, fail, free_port, load_dashboard, log, main,
                    resolve_variables, substitute, tool, wait_for)

RUN = "20240101T000000Z-ramp-test"
STEPS = [  # clients, sent, received, lost, delivered/s, p50..max (s), rss, cpu s
    (10, 1000, 5000, 0, 5000.5, (0.0004, 0.0009, 0.002, 0.003, 0.004), 12_000_000, 0.25),
    (20, 2000, 20000, 0, 19999.25, (0.0005, 0.001, 0.0025, 0.004, 0.006), 14_500_000, 0.75),
    (30, 3000, 45000, 3, 44000, (0.0006, 0.0012, 0.003, 0.005, 0.009), 17_250_000, 1.5),
]
QUANTILES = ["0.5", "0.9", "0.99", "0.999", "1"]


def steps_om(t0):
    """As loadgen/results/step_series.cc writes it: gauges, run label, a point
    per step at the step's end, seconds with milliseconds, then # EOF."""
    times = [t0 + 10.25 * i for i in range(len(STEPS))]
    lab = f'run="{RUN}"'
    out = []

    def family(name, col):
        out.append(f"# TYPE {name} gauge\n# HELP {name} synthetic")
        for s, t in zip(STEPS, times):
            out.append(f"{name}{{{lab}}} {s[col]} {t:.3f}")
    family("loadgen_step_clients", 0)
    family("loadgen_step_messages_sent", 1)
    family("loadgen_step_deliveries_received", 2)
    family("loadgen_step_lost", 3)
    family("loadgen_step_delivered_per_second", 4)
    out.append("# TYPE loadgen_step_latency_seconds gauge\n# HELP loadgen_step_latency_seconds synthetic")
    for qi, q in enumerate(QUANTILES):
        for s, t in zip(STEPS, times):
            out.append(f'loadgen_step_latency_seconds{{{lab},quantile="{q}"}} {s[5][qi]} {t:.3f}')
    family("loadgen_step_server_rss_bytes", 6)
    family("loadgen_step_server_cpu_seconds", 7)
    out.append("# EOF")
    return "\n".join(out) + "\n", times


def body(work, procs):
    tool("promtool")
    tool("prometheus")
    script = ROOT / "scripts" / "results-to-prometheus.sh"
    t0 = math.floor(time.time()) - 3 * 86400  # old on purpose: retention must not eat it
    text, times = steps_om(t0)
    run_dir = work / "results" / RUN
    run_dir.mkdir(parents=True)
    (run_dir / "steps.om").write_text(text)
    data = work / "tsdb"
    port = free_port()
    c = Checks()

    p = procs.start("results-to-prometheus", [str(script), str(run_dir), "--data-dir", str(data),
                                              "--serve", "--port", str(port)])
    logpath = work / "results-to-prometheus.log"
    wait_for("results-to-prometheus.sh serving",
             lambda: "serving" in logpath.read_text(), 60, proc=p, procs=procs)
    prom = Prometheus(port)
    out = logpath.read_text()
    log(out.strip())

    def link_printed():
        if f"var-run={RUN}" not in out or "/d/chatd-results/" not in out:
            fail("no Grafana link to the results dashboard for the run in the output")
        from_ms = int(out.split("&from=")[1].split("&")[0])
        to_ms = int(out.split("&to=")[1].split()[0])
        if not from_ms <= times[0] * 1000 <= times[-1] * 1000 <= to_ms:
            fail(f"link time range {from_ms}..{to_ms} does not cover the run {times[0]}..{times[-1]}")
        return "covers the run's time range"
    c.run("script prints a Grafana link for the run", link_printed)

    def raw_samples():
        data_ = prom.query(f'loadgen_step_clients{{run="{RUN}"}}[1h]', at=times[-1] + 60)
        if len(data_["result"]) != 1:
            fail(f"expected one series, got {data_['result']}")
        got = [(round(float(t), 3), float(v)) for t, v in data_["result"][0]["values"]]
        want = [(round(t, 3), float(s[0])) for s, t in zip(STEPS, times)]
        if got != want:
            fail(f"samples {got}, wrote {want}")
        return f"{len(got)} samples, exact values and timestamps"
    c.run("loadgen_step_clients raw samples", raw_samples)

    def range_query():
        data_ = prom.api("query_range", query=f'loadgen_step_clients{{run="{RUN}"}}',
                         start=f"{times[0]:.3f}", end=f"{times[-1]:.3f}", step="10.25")
        values = [float(v) for _, v in data_["result"][0]["values"]] if data_["result"] else []
        if values != [float(s[0]) for s in STEPS]:
            fail(f"query_range over the run gave {values}")
        return f"{values}"
    c.run("loadgen_step_clients over a time range", range_query)

    def labels():
        runs = prom.api("label/run/values")
        if runs != [RUN]:
            fail(f"run label values {runs}")
        return "run variable finds the run"
    c.run("label_values(loadgen_step_clients, run)", labels)

    # The results dashboard, as Grafana would query it at the last step.
    dash = load_dashboard("results.json")
    at = times[-1]
    builtins = {"__interval": "1m", "__rate_interval": "1m", "__range": "1h", "__range_s": "3600",
                "__interval_ms": "60000"}
    values, problems = resolve_variables(dash, prom, builtins, at, overrides={"run": RUN})
    if problems:
        c.bad("results.json variables", "; ".join(problems))
        values = None
    if values:
        for where, expr in dashboard_exprs(dash):
            def one(expr=expr):
                q = substitute(expr, values)
                r = prom.query(q, at=at)["result"]
                if not r:
                    fail(f"no series for {q}")
                return f"{len(r)} series, first {r[0].get('value', ['', '?'])[1]}"
            c.run(f"results.json: {where}", one)

        def per_client_rss():
            r = prom.query(substitute(
                'last_over_time(loadgen_step_server_rss_bytes{run="$run"}[$__interval]) / on(run) '
                '(last_over_time(loadgen_step_clients{run="$run"}[$__interval]) > 0)', values), at=at)["result"]
            v = float(r[0]["value"][1])
            if abs(v - STEPS[-1][6] / STEPS[-1][0]) > 1e-6:
                fail(f"RSS per client {v}")
            return f"{v:.0f} bytes"
        c.run("results.json: RSS per client value", per_client_rss)

    # Stop it as Ctrl-C would; Prometheus must go with it.
    children = []
    for task in (f"/proc/{p.pid}/task",):
        for tid in os.listdir(task):
            with open(f"{task}/{tid}/children") as f:
                children += [int(x) for x in f.read().split()]
    os.kill(p.pid, signal.SIGTERM)
    try:
        rc = p.wait(20)
    except Exception:  # noqa: BLE001
        rc = None

    def stopped():
        if rc != 0:
            fail(f"script exited {rc} on SIGTERM")
        left = [pid for pid in children if os.path.exists(f"/proc/{pid}") and
                open(f"/proc/{pid}/stat").read().split()[2] != "Z"]
        if left:
            fail(f"processes left running: {left}")
        if prom.ready():
            fail("Prometheus still answers")
        return "exit 0, Prometheus stopped"
    c.run("SIGTERM stops the script and its Prometheus", stopped)

    def idempotent():
        import subprocess
        blocks = sorted(x.name for x in data.iterdir() if x.is_dir() and len(x.name) == 26)
        r = subprocess.run([str(script), str(run_dir.parent), "--data-dir", str(data)],
                           capture_output=True, text=True, timeout=60)
        after = sorted(x.name for x in data.iterdir() if x.is_dir() and len(x.name) == 26)
        if r.returncode != 0 or "already in" not in r.stdout or after != blocks:
            fail(f"second run: exit {r.returncode}, blocks {blocks} -> {after}\n{r.stdout}{r.stderr}")
        return f"{len(blocks)} block(s), unchanged"
    c.run("a second backfill of the same run adds nothing", idempotent)

    c.finish()


if __name__ == "__main__":
    main(body)
