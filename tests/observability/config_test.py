#!/usr/bin/env python3
"""Static checks of the observability files, no server needed:

- promtool check config prometheus/prometheus.yml (and the rule files it loads)
- promtool check rules prometheus/alerts.yml
- promtool test rules prometheus/alerts_test.yml, and that the tests give every
  alert both a case where it fires and one where it stays quiet
- the dashboards: valid JSON Grafana 9/10 loads (schemaVersion, unique ids and
  uids, panels inside the 24-column grid), a Prometheus "datasource" variable
  used by every panel and query (no fixed datasource uid), the results
  dashboard's `run` variable, and every metric name they or the alerts use is
  one chatd or loadgen exports (a typo would otherwise show as an empty panel)
- the Grafana provisioning files and the scripts' shell syntax
"""

import json
import re
import subprocess

from obslib import (DASHBOARDS, PROMETHEUS_DIR, ROOT, Checks, all_panels, dashboard_exprs, fail,
                    load_dashboard, log, tool)

# The metric names fixed by docs/protocol.md and issue 4 (histograms by family name).
CHATD = {
    "gauge": ["chatd_connections_active", "chatd_users_online", "chatd_rooms_active",
              "chatd_shard_queue_depth", "chatd_jemalloc_allocated_bytes", "chatd_jemalloc_resident_bytes",
              "chatd_build_info", "chatd_max_outbound_bytes", "chatd_memory_limit_bytes",
              "chatd_outbound_queue_bytes", "chatd_outbound_queue_max_messages",
              "process_resident_memory_bytes", "process_open_fds", "process_max_fds",
              "process_start_time_seconds", "chatd_connections_by_mode"],
    "counter": ["chatd_frames_received_total", "chatd_messages_delivered_total", "chatd_messages_dropped_total",
                "chatd_errors_total", "chatd_bytes_received_total", "chatd_bytes_sent_total",
                "chatd_slow_consumer_disconnects_total", "chatd_ring_full_total", "chatd_accept_errors_total",
                "process_cpu_seconds_total", "chatd_http_responses_total"],
    "histogram": ["chatd_broadcast_latency_seconds"],
}
LOADGEN = {
    "gauge": ["loadgen_clients_connected", "loadgen_step"],
    "counter": ["loadgen_messages_sent_total", "loadgen_messages_received_total", "loadgen_errors_total"],
    "histogram": ["loadgen_latency_seconds"],
}
STEPS_OM = ["loadgen_step_clients", "loadgen_step_messages_sent", "loadgen_step_deliveries_received",
            "loadgen_step_lost", "loadgen_step_delivered_per_second", "loadgen_step_latency_seconds",
            "loadgen_step_server_rss_bytes", "loadgen_step_server_cpu_seconds"]
# Prometheus's own series the rules may use.
PROMETHEUS_OWN = ["up"]


def known_names():
    names = set(STEPS_OM) | set(PROMETHEUS_OWN)
    for table in (CHATD, LOADGEN):
        names |= set(table["gauge"]) | set(table["counter"])
        for h in table["histogram"]:
            names |= {h + "_bucket", h + "_sum", h + "_count"}
    return names


METRIC = re.compile(r"\b(?:chatd|loadgen|process)_[a-z0-9_]+\b|\bup\b(?=\s*\{)")


def metric_names(expr):
    # Label names inside {...} and by/on(...) lists are not metrics.
    stripped = re.sub(r"\{[^}]*\}", "{}", expr)
    stripped = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", stripped)
    return set(METRIC.findall(stripped))


def promtool(*args):
    r = subprocess.run([tool("promtool"), *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip()
    if r.returncode != 0:
        fail(f"promtool {' '.join(args)} exited {r.returncode}:\n{out}")
    return out.splitlines()[-1] if out else ""


def alert_tests_cover_each_alert():
    names = re.findall(r"(?m)^\s*-\s*alert:\s*(\S+)", (PROMETHEUS_DIR / "alerts.yml").read_text())
    if not names:
        fail("no alerts in alerts.yml")
    text = (PROMETHEUS_DIR / "alerts_test.yml").read_text()
    fires, quiet = set(), set()
    # Each alert_rule_test entry: `alertname: X` followed by `exp_alerts: []` or a list.
    for m in re.finditer(r"alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*(\[\])?", text):
        (quiet if m.group(2) else fires).add(m.group(1))
    missing = [f"{n} never fires" for n in names if n not in fires] + \
              [f"{n} is never checked quiet" for n in names if n not in quiet]
    unknown = sorted((fires | quiet) - set(names))
    if missing or unknown:
        fail("; ".join(missing + [f"tests name unknown alert {u}" for u in unknown]))
    return f"{len(names)} alerts, each fires and stays quiet"


def check_dashboard(d, uids, name):
    problems = []
    for key in ("title", "uid", "panels", "templating", "schemaVersion", "time"):
        if key not in d:
            problems.append(f"no {key}")
    if not isinstance(d.get("schemaVersion"), int) or not 30 <= d["schemaVersion"] <= 39:
        problems.append(f"schemaVersion {d.get('schemaVersion')} is not one Grafana 9/10 writes (30..39)")
    if d.get("id") is not None:
        problems.append("id must be null (Grafana assigns it)")
    if d.get("uid") in uids:
        problems.append(f"uid {d['uid']} also used by {uids[d['uid']]}")
    uids[d.get("uid")] = name

    variables = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append("no 'datasource' variable of type datasource, query prometheus")
    for v in variables.values():
        if v.get("type") == "query" and v.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(f"variable {v['name']}: datasource is not ${{datasource}}")

    ids = set()
    for p in all_panels(d):
        title = p.get("title", "?")
        if p.get("id") in ids:
            problems.append(f"panel id {p.get('id')} repeated")
        ids.add(p.get("id"))
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "xywh") or g["x"] + g["w"] > 24 or g["w"] < 1:
            problems.append(f"{title}: gridPos {g} is outside the 24-column grid")
        if p.get("type") == "row":
            continue
        if p.get("datasource") != {"type": "prometheus", "uid": "${datasource}"}:
            problems.append(f"{title}: panel datasource is {p.get('datasource')}, not the ${{datasource}} variable")
        refs = set()
        if not p.get("targets"):
            problems.append(f"{title}: no queries")
        for t in p.get("targets", []):
            if t.get("datasource") not in (None, {"type": "prometheus", "uid": "${datasource}"}):
                problems.append(f"{title}: query datasource {t.get('datasource')}")
            if t.get("refId") in refs:
                problems.append(f"{title}: refId {t.get('refId')} repeated")
            refs.add(t.get("refId"))
            if not t.get("expr"):
                problems.append(f"{title}: a query without expr")
    # No datasource uid anywhere but the variable and Grafana's built-in annotations.
    for uid in re.findall(r'"uid":\s*"([^"]*)"', json.dumps(d)):
        if uid not in ("${datasource}", "-- Grafana --", d.get("uid")):
            problems.append(f"hard-coded uid {uid!r}")
    if problems:
        fail("; ".join(sorted(set(problems))))


def alert_exprs():
    """The expr of every rule in alerts.yml (one line, or a `|` block)."""
    lines = (PROMETHEUS_DIR / "alerts.yml").read_text().splitlines()
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)expr:\s*(.*)$", line)
        if not m:
            continue
        indent, rest = len(m.group(1)), m.group(2).strip()
        if rest not in ("|", ">", "|-", ">-"):
            out.append(rest)
            continue
        block = []
        for nxt in lines[i + 1:]:
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                break
            block.append(nxt.strip())
        out.append(" ".join(block).strip())
    if not out:
        fail("no expr in alerts.yml")
    return out


def metric_names_are_exported(dashes):
    known = known_names()
    used = {}
    for name, d in dashes.items():
        for where, expr in dashboard_exprs(d):
            for m in metric_names(expr):
                used.setdefault(m, []).append(f"{name}: {where}")
        for v in d["templating"]["list"]:
            q = v.get("query")
            if v.get("type") == "query":
                for m in metric_names(q if isinstance(q, str) else q.get("query", "")):
                    used.setdefault(m, []).append(f"{name}: variable {v['name']}")
    for expr in alert_exprs():
        for name in metric_names(expr):
            used.setdefault(name, []).append("alerts.yml")
    unknown = {m: w for m, w in used.items() if m not in known}
    if unknown:
        fail("; ".join(f"{m} (used in {w[0]}) is not a metric chatd or loadgen exports" for m, w in unknown.items()))
    # Every exported family is shown somewhere.
    unused = sorted(n for n in known - set(used) - {"up"}
                    if not any(n == h + s for h in CHATD["histogram"] + LOADGEN["histogram"]
                               for s in ("_sum", "_count")))
    if unused:
        fail("exported but on no dashboard or alert: " + ", ".join(unused))
    return f"{len(used)} metric names, all known, every family used"


def provisioning():
    ds = (ROOT / "grafana/provisioning/datasources/prometheus.yaml").read_text()
    dp = (ROOT / "grafana/provisioning/dashboards/chatd.yaml").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    problems = []
    if "apiVersion: 1" not in ds or "type: prometheus" not in ds:
        problems.append("datasource provisioning lacks apiVersion 1 / a prometheus datasource")
    if "url: http://127.0.0.1:9090" not in ds:
        problems.append("the live datasource is not http://127.0.0.1:9090 (observe.sh's and compose's port)")
    m = re.search(r"(?m)^\s*path:\s*(\S+)", dp)
    if not m:
        problems.append("dashboard provisioning has no options.path")
    elif f"./grafana/dashboards:{m.group(1)}" not in compose:
        problems.append(f"docker-compose.yml does not mount ./grafana/dashboards at {m.group(1)}")
    for mount in ("./grafana/provisioning:/etc/grafana/provisioning", "./prometheus:/etc/prometheus"):
        if mount not in compose:
            problems.append(f"docker-compose.yml lacks the mount {mount}")
    if problems:
        fail("; ".join(problems))
    return "datasources, dashboards folder, compose mounts"


def shell_syntax():
    for script in ("scripts/observe.sh", "scripts/results-to-prometheus.sh"):
        r = subprocess.run(["bash", "-n", str(ROOT / script)], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"{script}: {r.stderr.strip()}")
        r = subprocess.run([str(ROOT / script), "--help"], capture_output=True, text=True, timeout=10)
        if r.returncode != 0 or "Usage:" not in r.stdout:
            fail(f"{script} --help exited {r.returncode}: {r.stderr.strip()}")
    return "bash -n and --help"


def main():
    c = Checks()
    log("promtool:")
    c.run("promtool check config prometheus.yml", lambda: promtool("check", "config", "prometheus.yml"))
    c.run("promtool check rules alerts.yml", lambda: promtool("check", "rules", "alerts.yml"))
    c.run("promtool test rules alerts_test.yml", lambda: promtool("test", "rules", "alerts_test.yml"))
    c.run("alerts_test.yml fires and quiets every alert", alert_tests_cover_each_alert)
    log("dashboards:")
    dashes, uids = {}, {}
    for name in ("chatd.json", "loadgen-ramp.json", "results.json"):
        def one(name=name):
            d = load_dashboard(name)
            dashes[name] = d
            check_dashboard(d, uids, name)
            return f"{len(dashboard_exprs(d))} queries"
        c.run(name, one)
    if "results.json" in dashes:
        def run_variable():
            v = {x["name"]: x for x in dashes["results.json"]["templating"]["list"]}.get("run")
            if not v or v.get("query") != "label_values(loadgen_step_clients, run)":
                fail("results.json has no variable run = label_values(loadgen_step_clients, run)")
            return "label_values(loadgen_step_clients, run)"
        c.run("results.json run variable", run_variable)
    if len(dashes) == 3:
        c.run("metric names in dashboards and alerts", lambda: metric_names_are_exported(dashes))
    extra = sorted(p.name for p in DASHBOARDS.glob("*.json"))
    c.run("no other dashboards left unchecked",
          lambda: None if extra == ["chatd.json", "loadgen-ramp.json", "results.json"]
          else fail(f"grafana/dashboards has {extra}: add new ones to the tests"))
    log("provisioning and scripts:")
    c.run("Grafana provisioning and docker-compose.yml", provisioning)
    c.run("scripts", shell_syntax)
    c.finish()


if __name__ == "__main__":
    main()
