#!/usr/bin/env python3
"""Every PromQL expression of the dashboards and alert rules, against real
data in a real Prometheus.

Starts chatd (CHATD_BIN), a real Prometheus on free loopback ports (the
shipped prometheus/prometheus.yml with these ports, a 1s scrape interval and
the shipped alerts.yml), and a short open-loop loadgen ramp (LOADGEN_BIN) with
--metrics-port and --metrics-url. Once Prometheus holds 12s of loadgen's
metrics it fixes an instant T during the ramp and evaluates, at T, through
/api/v1/query:

- every targets[].expr of chatd.json and loadgen-ramp.json, template variables
  resolved as Grafana would (each label_values() variable asked of Prometheus
  and must return a value; $__rate_interval=15s, $__interval=5s, $__range=2m):
  each must parse and return at least one series;
- every alert rule, as Prometheus loaded it from alerts.yml: all rules loaded
  and evaluated without error; each expression as written must parse (it may
  be empty: healthy means not firing), and its value side — the expression
  without its final threshold comparison (`… > 0.8` → `…`) — must return at
  least one series, so a misspelt metric or label cannot hide behind "no alert".

Then it backfills the steps.om that the ramp wrote with
scripts/results-to-prometheus.sh --serve and evaluates every targets[].expr of
results.json at the ramp's last step, for that run.

It also runs `promtool check metrics` on chatd's and loadgen's /metrics.

Without LOADGEN_BIN (loadgen not built), or with a loadgen lacking a piece, it
still evaluates everything it can and then FAILS, naming what is missing.
"""

import os
import subprocess
import time
from pathlib import Path

from obslib import (BUILTINS_LIVE, ROOT, Checks, Prometheus, TestFailure, alert_names_in_file,
                    dashboard_exprs, fail, free_port, http_get, load_dashboard, log, main, prometheus_config,
                    resolve_variables, split_threshold, start_prometheus, substitute, tool, wait_for)

SCRAPE = "1s"
WARMUP = 12  # seconds of scrapes before T: $__rate_interval (15s) windows then hold >= 10 samples
# Open loop, 100 msgs/s: steps of 10, 20, 30 clients x 40 msgs take ~4, 8 and 12 s.
LOADGEN_RAMP = ["--ramp", "10", "--msgs", "40", "--steps", "3", "--rooms", "2", "--rate", "100",
                "--step-timeout", "20s", "--no-progress"]


def check_metrics_text(name, url):
    """promtool check metrics must report nothing."""
    status, body = http_get(url)
    if status != 200:
        fail(f"GET {url}: HTTP {status}")
    r = subprocess.run([tool("promtool"), "check", "metrics"], input=body, capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip()
    if r.returncode != 0 or out:
        fail(f"promtool check metrics on {name}'s /metrics (exit {r.returncode}):\n{out}")
    return f"{len(body.splitlines())} lines, nothing reported"


def evaluate_dashboard(c, prom, name, at, builtins, overrides=None):
    dash = load_dashboard(name)
    values, problems = resolve_variables(dash, prom, builtins, at, overrides)
    shown = ", ".join(f"${k}={v}" for k, v in values.items() if not k.startswith("__") and k != "datasource")
    if problems:
        c.bad(f"{name}: variables", "; ".join(problems) + f" (so: {shown})")
    else:
        c.ok(f"{name}: variables", shown)
    for where, expr in dashboard_exprs(dash):
        def one(expr=expr):
            q = substitute(expr, values)
            try:
                r = prom.query(q, at=at)["result"]
            except TestFailure as e:
                fail(f"{e} — in: {q}")
            if not r:
                fail(f"no series — {q}")
            return f"{len(r)} series"
        c.run(f"{name}: {where}", one)


def evaluate_alerts(c, prom, at):
    names = alert_names_in_file()
    groups = prom.api("rules", type="alert")["groups"]
    rules = [r for g in groups for r in g["rules"]]
    loaded = [r["name"] for r in rules]
    if sorted(loaded) != sorted(names):
        c.bad("alerts.yml: rules loaded", f"Prometheus loaded {loaded}, alerts.yml has {names}")
    else:
        c.ok("alerts.yml: rules loaded", f"{len(loaded)} alerts")
    for r in rules:
        def one(r=r):
            if r.get("health") != "ok":
                fail(f"rule health {r.get('health')}: {r.get('lastError')}")
            expr = r["query"]
            try:
                prom.query(expr, at=at)
            except TestFailure as e:
                fail(f"as written: {e}")
            split = split_threshold(expr)
            inner = split[0] if split else expr
            try:
                res = prom.query(inner, at=at)["result"]
            except TestFailure as e:
                fail(f"{e} — in: {inner}")
            if not res:
                fail(f"value side returns no series — {inner}")
            vals = ", ".join(f"{x['value'][1]}" for x in res[:3])
            return (f"value side {len(res)} series ({vals}) vs threshold {split[1]} {split[2]}"
                    if split else f"{len(res)} series (no threshold to strip)")
        c.run(f"alerts.yml: {r['name']}", one)


def body(work, procs):
    c = Checks()
    notes = []
    tool("promtool")
    tool("prometheus")
    chatd_bin = os.environ.get("CHATD_BIN") or str(ROOT / "build" / "chatd")
    if not os.access(chatd_bin, os.X_OK):
        fail(f"chatd not found at {chatd_bin} (set CHATD_BIN)")
    loadgen_bin = os.environ.get("LOADGEN_BIN", "")
    if not loadgen_bin or not os.access(loadgen_bin, os.X_OK):
        missing = ("LOADGEN_BIN is not set: loadgen is not built (loadgen/meson.build defines no "
                   "'loadgen' executable yet)" if not loadgen_bin else f"LOADGEN_BIN={loadgen_bin} is not executable")
        c.bad("loadgen", missing + " — the loadgen expressions below cannot have data")
        loadgen_bin = ""

    # chatd
    chat_port, chatd_metrics = free_port(), free_port()
    chatd = procs.start("chatd", [chatd_bin, "--bind", "127.0.0.1", "--port", str(chat_port),
                                  "--metrics-port", str(chatd_metrics), "--shards", "2"])
    metrics_url = f"http://127.0.0.1:{chatd_metrics}/metrics"
    wait_for(f"chatd serving {metrics_url}", lambda: "chatd_build_info" in http_get(metrics_url)[1], 20,
             proc=chatd, procs=procs)
    c.run("promtool check metrics: chatd", lambda: check_metrics_text("chatd", metrics_url))

    # Prometheus
    loadgen_metrics = free_port()
    config = prometheus_config(SCRAPE, f"127.0.0.1:{chatd_metrics}", f"127.0.0.1:{loadgen_metrics}",
                               (ROOT / "prometheus" / "alerts.yml").resolve())
    prom, _ = start_prometheus(procs, work, config)
    started = time.time()
    log(f"chatd on 127.0.0.1:{chat_port} (metrics :{chatd_metrics}), Prometheus on {prom.base}")

    # loadgen
    out_dir = work / "results" / "promql-live-ramp"
    loadgen = None
    if loadgen_bin:
        loadgen = procs.start("loadgen", [loadgen_bin, "--host", "127.0.0.1", "--port", str(chat_port),
                                          *LOADGEN_RAMP, "--metrics-port", str(loadgen_metrics),
                                          "--metrics-url", metrics_url, "--out", str(out_dir)])

    # Wait for WARMUP seconds of scrapes of both (loadgen still running), then fix T.
    cond = (f'min_over_time(up{{job="chatd"}}[{WARMUP}s]) == 1 and count_over_time(up{{job="chatd"}}[{WARMUP}s]) >= {WARMUP - 2}')
    lcond = (f'min_over_time(up{{job="loadgen"}}[{WARMUP}s]) == 1 and count_over_time(up{{job="loadgen"}}[{WARMUP}s]) >= {WARMUP - 2}'
             ' and on() sum(loadgen_clients_connected) > 0')
    at = None
    loadgen_checked = False
    deadline = time.time() + 90
    while time.time() < deadline:
        now = time.time()
        ok = bool(prom.query(cond, at=now)["result"])
        if loadgen is not None:
            if not loadgen_checked:
                try:
                    if http_get(f"http://127.0.0.1:{loadgen_metrics}/metrics", timeout=2)[0] == 200:
                        c.run("promtool check metrics: loadgen",
                              lambda: check_metrics_text("loadgen", f"http://127.0.0.1:{loadgen_metrics}/metrics"))
                        loadgen_checked = True
                except OSError:
                    pass
            ok = ok and bool(prom.query(lcond, at=now)["result"])
            if not ok and loadgen.poll() is not None:
                c.bad("loadgen ramp under observation",
                      f"loadgen exited ({loadgen.returncode}) before Prometheus held {WARMUP}s of its metrics "
                      f"with clients connected (is --metrics-port served? is the ramp too short?)\n"
                      + procs.log_tail(loadgen))
                at = now
                break
        elif ok and now - started > WARMUP + 2:
            at = now
            break
        if ok and loadgen is not None:
            at = now
            break
        time.sleep(0.5)
    if at is None:
        fail("Prometheus did not get 12s of scrapes within 90s:\n" + str(prom.api("targets")))
    if loadgen is not None and not loadgen_checked:
        c.bad("promtool check metrics: loadgen", f"loadgen never served http://127.0.0.1:{loadgen_metrics}/metrics")
    log(f"evaluating at T={at:.3f} ({at - started:.1f}s after Prometheus started)")

    # Rules are evaluated every second; give them one round after T.
    wait_for("every alert rule evaluated",
             lambda: all(r.get("health") != "unknown"
                         for g in prom.api("rules", type="alert")["groups"] for r in g["rules"]), 10)
    log("chatd.json:")
    evaluate_dashboard(c, prom, "chatd.json", at, BUILTINS_LIVE)
    log("loadgen-ramp.json:")
    evaluate_dashboard(c, prom, "loadgen-ramp.json", at, BUILTINS_LIVE)
    log("alerts.yml:")
    evaluate_alerts(c, prom, at)

    # The stored ramp, backfilled, through the results dashboard.
    log("results.json (the ramp's steps.om, backfilled):")
    steps = out_dir / "steps.om"
    if loadgen is not None:
        try:
            rc = loadgen.wait(120)
        except subprocess.TimeoutExpired:
            rc = None
        if rc != 0:
            c.bad("loadgen ramp", f"exit status {rc}\n" + procs.log_tail(loadgen))
    if not steps.exists():
        c.bad("results.json", f"no {steps}: " + ("loadgen did not write it" if loadgen_bin else "no loadgen ran")
              + " — the results dashboard's queries are evaluated against nothing")
        serve_and_evaluate_results(c, procs, work, None)
    else:
        serve_and_evaluate_results(c, procs, work, steps)

    notes.append("Alert rules: evaluated as written (must parse; may be empty) and without their final "
                 "threshold comparison (must return >= 1 series).")
    c.finish(notes)


def last_timestamp(om_text):
    ts = [float(line.split()[-1]) for line in om_text.splitlines()
          if line and not line.startswith("#") and len(line.split()) >= 3]
    if not ts:
        fail("steps.om has no samples with timestamps")
    return max(ts)


def serve_and_evaluate_results(c, procs, work, steps):
    if steps is None:
        # Still parse every results.json query in an empty Prometheus, so a
        # syntax error shows now; all of them fail for want of data.
        prom, _ = start_prometheus(procs, work, "global:\n  scrape_interval: 1m\n", name="prometheus-empty")
        evaluate_dashboard(c, prom, "results.json", time.time(),
                           {**BUILTINS_LIVE, "__interval": "1m", "__range": "1h"})
        return
    port = free_port()
    p = procs.start("results-to-prometheus", [str(ROOT / "scripts" / "results-to-prometheus.sh"),
                                              str(steps.parent), "--data-dir", str(work / "tsdb"),
                                              "--serve", "--port", str(port)])
    logpath = Path(work) / "results-to-prometheus.log"
    try:
        wait_for("results-to-prometheus.sh serving", lambda: "serving" in logpath.read_text(), 60,
                 proc=p, procs=procs)
    except TestFailure as e:
        c.bad("results-to-prometheus.sh on the ramp's steps.om", str(e))
        return
    prom = Prometheus(port)
    at = last_timestamp(steps.read_text())
    evaluate_dashboard(c, prom, "results.json", at,
                       {**BUILTINS_LIVE, "__interval": "1m", "__range": "1h"},
                       overrides={"run": steps.parent.name})
    procs.stop(p)


if __name__ == "__main__":
    main(body)
