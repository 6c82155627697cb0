"""Shared helpers for the observability tests: processes, a real Prometheus,
its HTTP API, and the PromQL found in the dashboards and alert rules.

Standard library only. Nothing is installed here: a missing prometheus or
promtool is a failure that says how to get them.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(os.environ.get("CHATD_SOURCE_ROOT") or Path(__file__).resolve().parents[2])
DASHBOARDS = ROOT / "grafana" / "dashboards"
PROMETHEUS_DIR = ROOT / "prometheus"


class TestFailure(Exception):
    pass


def fail(msg):
    raise TestFailure(msg)


def log(msg):
    print(msg, flush=True)


def tool(name):
    """Path of prometheus or promtool (env PROMETHEUS / PROMTOOL wins)."""
    path = os.environ.get(name.upper()) or shutil.which(name) or f"/usr/bin/{name}"
    if not os.access(path, os.X_OK):
        fail(f"{name} not found: install Debian's 'prometheus' package (scripts/test.sh does); "
             f"or set {name.upper()}=/path/to/{name}")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- processes

class Processes:
    """Children started by a test, each in its own process group, always
    stopped at exit (SIGTERM, then SIGKILL) — also on an exception or a signal."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.procs = []  # (name, Popen, log path)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum, _frame):
        self.stop_all()
        sys.exit(128 + signum)

    def start(self, name, argv, env=None):
        logpath = self.workdir / f"{name}.log"
        out = open(logpath, "wb")
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             env=env, start_new_session=True)
        out.close()
        self.procs.append((name, p, logpath))
        return p

    def log_tail(self, p, lines=30):
        for name, q, path in self.procs:
            if q is p:
                text = path.read_text(errors="replace").splitlines()
                return f"--- last lines of {name}'s output ({path}):\n" + "\n".join(text[-lines:])
        return ""

    def stop(self, p, sig=signal.SIGTERM, timeout=10):
        """Stops p (and its process group); returns its exit status."""
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        # Whatever the leader left behind in its group.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return p.returncode

    def stop_all(self):
        for _, p, _ in reversed(self.procs):
            self.stop(p, timeout=5)


def wait_for(what, check, timeout, interval=0.2, proc=None, procs=None):
    """Polls check() until it returns a true value; fails after timeout, or
    early if proc has exited."""
    deadline = time.monotonic() + timeout
    last_err = None
    while time.monotonic() < deadline:
        try:
            v = check()
            if v:
                return v
        except (OSError, urllib.error.URLError, ValueError) as e:
            last_err = e
        if proc is not None and proc.poll() is not None:
            fail(f"{what}: the process exited with status {proc.returncode}\n"
                 + (procs.log_tail(proc) if procs else ""))
        time.sleep(interval)
    fail(f"{what}: not after {timeout}s" + (f" (last error: {last_err})" if last_err else "")
         + ("\n" + procs.log_tail(proc) if procs and proc is not None else ""))


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode("utf-8", errors="replace")


# --------------------------------------------------------------- Prometheus

class Prometheus:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def api(self, path, **params):
        """GET /api/v1/<path>; returns `data`, raises TestFailure with
        Prometheus's own error text on a bad query."""
        q = urllib.parse.urlencode(params, doseq=True)
        url = f"{self.base}/api/v1/{path}" + (f"?{q}" if q else "")
        try:
            with urllib.request.urlopen(url, timeout=20) as r:
                body = json.loads(r.read())
        except urllib.error.HTTPError as e:
            try:
                body = json.loads(e.read())
            except ValueError:
                raise TestFailure(f"{url}: HTTP {e.code}") from None
        if body.get("status") != "success":
            raise TestFailure(f"{body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr, at=None):
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return self.api("query", **params)

    def ready(self):
        try:
            return http_get(self.base + "/-/ready", timeout=2)[0] == 200
        except (OSError, urllib.error.URLError):
            return False


def prometheus_config(scrape_interval, chatd_target, loadgen_target, rules_path):
    """prometheus/prometheus.yml as shipped, with this test's targets, interval
    and an absolute path to alerts.yml — so the shipped file is what is tested."""
    text = (PROMETHEUS_DIR / "prometheus.yml").read_text()
    for literal, repl in (("'127.0.0.1:9400'", f"'{chatd_target}'"),
                          ("'127.0.0.1:9401'", f"'{loadgen_target}'"),
                          ("- alerts.yml", f"- {rules_path}")):
        if literal not in text:
            fail(f"prometheus/prometheus.yml no longer contains {literal}, which the tests replace")
        text = text.replace(literal, repl)
    text = re.sub(r"(?m)^(  (?:scrape|evaluation)_interval:).*$", rf"\1 {scrape_interval}", text)
    text = re.sub(r"(?m)^(  scrape_timeout:).*$", rf"\1 {scrape_interval}", text)
    return text


def start_prometheus(procs, workdir, config_text, name="prometheus", data_dir=None, extra=()):
    port = free_port()
    cfg = Path(workdir) / f"{name}.yml"
    cfg.write_text(config_text)
    data = data_dir or Path(workdir) / f"{name}-data"
    p = procs.start(name, [tool("prometheus"), f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                           f"--web.listen-address=127.0.0.1:{port}", *extra])
    prom = Prometheus(port)
    wait_for(f"{name} ready on 127.0.0.1:{port}", prom.ready, 30, proc=p, procs=procs)
    return prom, p


# ------------------------------------------------- PromQL in the dashboards

def load_dashboard(name):
    path = DASHBOARDS / name
    try:
        return json.loads(path.read_text())
    except ValueError as e:
        fail(f"{path}: not JSON: {e}")


def all_panels(dash):
    """Every panel, rows' nested panels included."""
    out = []
    for p in dash.get("panels", []):
        out.append(p)
        out.extend(p.get("panels", []))
    return out


def dashboard_exprs(dash):
    """[(where, expr)] for every targets[].expr of every panel."""
    out = []
    for p in all_panels(dash):
        for t in p.get("targets", []):
            if t.get("expr"):
                out.append((f"{p.get('title', '?')} [{t.get('refId', '?')}]", t["expr"]))
    return out


BUILTINS_LIVE = {"__rate_interval": "15s", "__interval": "5s", "__range": "2m", "__range_s": "120",
                 "__interval_ms": "5000"}

_VAR = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")


def substitute(expr, values):
    """Grafana's variable syntaxes ($v, ${v}, ${v:fmt}, [[v]]) replaced from values;
    fails on a variable it does not know."""
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name not in values:
            fail(f"unknown variable ${name} in: {expr}")
        return values[name]
    return _VAR.sub(repl, expr)


def regex_escape(value):
    """As Grafana escapes a multi-value or All variable inside a PromQL regex
    string: the regex escape, doubled for the string literal."""
    return re.sub(r"([\\$^*+?.()|{}\[\]])", r"\\\\\1", value)


_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(.+?)\s*,\s*)?(\w+)\s*\)\s*$")


def resolve_variables(dash, prom, builtins, at, overrides=None):
    """Values for the dashboard's template variables, as Grafana would find
    them: each label_values() query is asked of Prometheus (so each must return
    something) and the first value in the variable's sort order is taken.
    Returns (values, problems); a variable that finds nothing gets a value that
    matches nothing, so the queries using it still run (and come back empty)."""
    values = dict(builtins)
    problems = []
    overrides = overrides or {}
    for var in dash.get("templating", {}).get("list", []):
        name, kind = var["name"], var.get("type")
        values[name] = "unresolved-variable"
        if kind == "datasource":
            values[name] = "unused"
            continue
        if kind != "query":
            problems.append(f"${name}: type {kind!r} is not handled by this test; add it")
            continue
        q = var.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = _LABEL_VALUES.match(q or "")
        if not m:
            problems.append(f"${name}: only label_values(...) queries are handled, not {q!r}")
            continue
        selector, label = m.group(1), m.group(2)
        params = {"start": f"{at - 3600:.3f}", "end": f"{at:.3f}"}
        if selector:
            params["match[]"] = substitute(selector, values)
        found = sorted(set(prom.api(f"label/{label}/values", **params)))
        if var.get("sort") in (2, 4, 6):
            found.reverse()
        if name in overrides:
            if overrides[name] not in found:
                problems.append(f"${name}: {overrides[name]!r} not among {found} ({q})")
                continue
            chosen = overrides[name]
        elif found:
            chosen = found[0]
        else:
            problems.append(f"${name}: {q} returns no values")
            continue
        values[name] = regex_escape(chosen) if (var.get("multi") or var.get("includeAll")) else chosen
    return values, problems


# ------------------------------------------------------ PromQL in the alerts

_COMPARISON = re.compile(r"(==|!=|>=|<=|>|<)(\s*bool)?")


def split_threshold(expr):
    """('left', 'op', 'number') for an expression ending in a top-level
    comparison with a number; None otherwise. Nested comparisons, such as
    `x / (limit > 0)`, stay inside the left side."""
    depth, in_str, last = 0, None, None
    i = 0
    while i < len(expr):
        c = expr[i]
        if in_str:
            if c == "\\":
                i += 2
                continue
            if c == in_str:
                in_str = None
        elif c in "\"'`":
            in_str = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0:
            m = _COMPARISON.match(expr, i)
            if m and not (c == "=" and expr[i:i + 2] == "=~"):
                last = (i, m)
                i = m.end()
                continue
        i += 1
    if not last:
        return None
    i, m = last
    right = expr[m.end():].strip()
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", right):
        return None
    return expr[:i].strip(), m.group(0).strip(), right


def alert_names_in_file():
    return re.findall(r"(?m)^\s*-\s*alert:\s*(\S+)", (PROMETHEUS_DIR / "alerts.yml").read_text())


# ------------------------------------------------------------------ report

class Checks:
    """Collects named checks; prints one line each; the test fails at the end
    if any did, naming them all (not just the first)."""

    def __init__(self):
        self.failed = []
        self.passed = 0

    def ok(self, what, detail=""):
        self.passed += 1
        log(f"  ok    {what}" + (f"  ({detail})" if detail else ""))

    def bad(self, what, why):
        self.failed.append((what, why))
        log(f"  FAIL  {what}: {why}")

    def run(self, what, fn):
        try:
            detail = fn()
            self.ok(what, detail or "")
        except TestFailure as e:
            self.bad(what, str(e))

    def finish(self, notes=()):
        log("")
        for n in notes:
            log(n)
        log(f"{self.passed} passed, {len(self.failed)} failed")
        if self.failed:
            for what, why in self.failed:
                log(f"  - {what}: {why}")
            sys.exit(1)


def main(body):
    """Runs body(workdir, procs) with a temporary directory and cleanup; a
    TestFailure is printed and exits 1."""
    workdir = tempfile.mkdtemp(prefix="chatd-obs-")
    procs = Processes(workdir)
    keep = False
    try:
        body(Path(workdir), procs)
    except TestFailure as e:
        keep = True
        log(f"FAIL: {e}")
        log(f"(logs kept in {workdir})")
        sys.exit(1)
    except SystemExit as e:
        keep = e.code not in (0, None)
        if keep:
            log(f"(logs kept in {workdir})")
        raise
    finally:
        procs.stop_all()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
