#!/usr/bin/env python3
"""scripts/bench.sh's driver (run it through scripts/bench.sh, which builds what
it needs first). Phases, every one interleaved (rep 1 of every target, then rep
2, ...), each target in a fresh server per repetition:

  1. knee search: per target, fan-out at geometric rates until a step fails the
     knee test, then bisection between the last good and the first bad rate;
  2. fixed rows: fan-out at each checked target's median knee from loadgen and
     from fanout_client (the agreement check), closed loop W=16/64, many rooms
     (and its check), point to point;
  3. bench/fanout_limit at chatd's measured events per sendmsg.

Then bench/report.py writes the tables. Every row's exact commands are in
rows.jsonl and reproduce.md.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402
import workloads as wl  # noqa: E402
from plans import plan_for  # noqa: E402
from session import Context, Session  # noqa: E402


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Budget:
    """The run's time limit. The rows after the knee search have a known cost
    (reserved); the searches share the rest evenly, each getting an equal part
    of what is left when it starts, so a late repetition is not searched more
    coarsely than an early one."""

    def __init__(self, seconds, reserve):
        self.start = time.monotonic()
        self.deadline = self.start + seconds
        self.reserve = reserve
        self.sweep_deadline = self.deadline - reserve
        self.cut = []

    def begin_sweep(self, sweeps_left):
        now = time.monotonic()
        self.sweep_deadline = now + max(0.0, self.deadline - self.reserve - now) / sweeps_left

    def sweep_allows(self, step_seconds):
        return time.monotonic() + step_seconds < self.sweep_deadline

    def elapsed(self):
        return time.monotonic() - self.start


def knee_search(session, plan, budget):
    """Sweeps fan-out on one server; returns the knee record."""
    steps = []
    step_seconds = lambda rate: wl.fanout_msgs(rate, plan.fanout_span) * wl.MEMBERS / rate + 3

    def step(rate):
        args, timeout = wl.fanout_args(rate, plan.fanout_span)
        row = session.run("loadgen", "fanout", str(rate), args, timeout, rate=rate, phase="sweep")
        ok, why = wl.knee_verdict(row, rate)
        row.update(ok=ok, why=why)
        steps.append((rate, ok))
        log(f"  {session.target.name} r{session.rep} fanout {rate} msg/s: {'good' if ok else 'bad'} ({why}), "
            f"p99 {row.get('p99_ms')} ms")
        return ok

    good = bad = None
    cut = False
    if plan.fanout_rates:
        for rate in plan.fanout_rates:
            if step(rate):
                good = rate
            else:
                bad = rate
                break
    else:
        rate = plan.fanout_start
        for _ in range(plan.fanout_max_steps):
            if not budget.sweep_allows(step_seconds(rate)):
                cut = True
                break
            if step(rate):
                good, rate = rate, rate * plan.fanout_factor
            else:
                bad = rate
                break
        rate = plan.fanout_start // plan.fanout_factor
        while good is None and bad is not None and rate >= 25 and budget.sweep_allows(step_seconds(rate)):
            if step(rate):
                good = rate
            else:
                bad, rate = rate, rate // plan.fanout_factor
        for _ in range(plan.bisect_steps):
            if good is None or bad is None:
                break
            mid = int(round((good + bad) / 2, -1))
            if mid <= good or mid >= bad:
                break
            if not budget.sweep_allows(step_seconds(mid)):
                cut = True
                break
            if step(mid):
                good = mid
            else:
                bad = mid
    if cut:
        budget.cut.append(f"{session.target.name} r{session.rep}")
    return {"target": session.target.name, "rep": session.rep, "knee": good, "first_bad": bad,
            "steps": steps, "cut_by_budget": cut}


def median_knees(knees):
    by_target = {}
    for k in knees:
        by_target.setdefault(k["target"], []).append(k)
    out = {}
    for t, ks in by_target.items():
        values = [k["knee"] for k in ks if k["knee"] is not None]
        out[t] = {"median": statistics.median(values) if values else None,
                  "min": min(values) if values else None, "max": max(values) if values else None,
                  "reps": len(ks), "saturated_every_rep": all(k["first_bad"] is not None for k in ks),
                  "knees": [k["knee"] for k in ks]}
    return out


def outcome(row, field, unit):
    if row.get("failed"):
        return f"failed: {row['failed']}"
    return f"{row.get(field) or 0:,.0f} {unit}" if unit else f"{row.get(field)} ms"


def fixed_rows(session, plan, knee, rep):
    """Every fixed-rate row for one target in one repetition."""
    name = session.target.name
    if name in plan.check_targets and knee:
        rate = int(knee)
        lg_args, lg_timeout = wl.fanout_args(rate, plan.fanout_span)
        fc_args, fc_timeout = wl.fanout_check_args(rate, plan.fanout_span, plan.warmup)
        runs = [("loadgen", lg_args, lg_timeout), ("fanout_client", fc_args, fc_timeout)]
        for client, args, timeout in (runs if rep % 2 else runs[::-1]):  # alternate which goes first
            row = session.run(client, "fanout-check", f"{rate}-{client}", args, timeout, rate=rate, phase="fixed")
            log(f"  {name} r{rep} fanout-check {rate} msg/s ({client}): {outcome(row, 'delivered_per_s', '/s')}, "
                f"p50 {row.get('p50_ms')} ms")
    # The closed loop is fanout_client's; a target it cannot speak (chatd-ws) has no such rows.
    for w in plan.closed_windows if session.target.wire else ():
        args, timeout = wl.closed_args(w, plan.closed_publishers, plan.closed_seconds, plan.warmup)
        row = session.run("fanout_client", f"closed-w{w}", "", args, timeout, window=w, phase="fixed")
        log(f"  {name} r{rep} closed W={w}: {outcome(row, 'delivered_per_s', 'deliveries/s')}")
    args, timeout = wl.rooms_args(plan.rooms_seconds)
    row = session.run("loadgen", "rooms", "", args, timeout, phase="fixed")
    log(f"  {name} r{rep} rooms: p99 {outcome(row, 'p99_ms', '')}")
    if name in plan.check_targets:
        args, timeout = wl.rooms_check_args(plan.rooms_seconds, plan.warmup)
        row = session.run("fanout_client", "rooms-check", "", args, timeout, phase="fixed")
        log(f"  {name} r{rep} rooms-check: p99 {outcome(row, 'p99_ms', '')}")
    args, timeout = wl.p2p_args(plan.p2p_clients, plan.p2p_msgs)
    row = session.run("loadgen", "p2p", "", args, timeout, phase="fixed")
    log(f"  {name} r{rep} p2p: {outcome(row, 'delivered_per_s', 'whispers/s')}")


def loadgen_ceiling(ctx, plan):
    """Messages/s (sent + received) one loadgen thread handles against its sink,
    the sink on the server CPU: docs/loadgen.md's ceiling, measured now."""
    sink = subprocess.Popen(["taskset", "-c", str(ctx.server_cpu), "./build/loadgen/loadgen", "--sink-port", "0",
                             "--threads", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = sink.stdout.readline()
        port = line.split("port=")[1].split()[0]
        out = os.path.join(ctx.runs, "loadgen-sink")
        args = ["--ramp", "100", "--msgs", str(plan.sink_msgs), "--steps", "1", "--rooms", "100", "--window", "64"]
        subprocess.run(["taskset", "-c", ",".join(map(str, ctx.client_cpus)), "./build/loadgen/loadgen", "--threads",
                        str(ctx.clients.threads), "--no-progress", "--port", port, "--out", out] + args,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        step = json.load(open(os.path.join(out, "summary.json")))["steps"][0]
        return step["sent_per_second"] + step["delivered_per_second"]
    except (OSError, IndexError, KeyError, ValueError, subprocess.TimeoutExpired) as e:
        log(f"loadgen ceiling not measured: {e}")
        return None
    finally:
        sink.kill()
        sink.wait()


def chatd_per_send(rows, knees):
    """chatd-uring's deliveries per sendmsg in fan-out: at its knee in each
    repetition, else (no knee) in the fan-out check rows. (median, where from)."""
    knee = {k["rep"]: k["knee"] for k in knees if k["target"] == "chatd-uring"}
    mine = [r for r in rows if r["target"] == "chatd-uring" and r.get("deliveries_per_send")]
    at_knee = [r["deliveries_per_send"] for r in mine if r.get("phase") == "sweep" and r.get("rate") == knee.get(r["rep"])]
    if at_knee:
        return statistics.median(at_knee), "its knee"
    check = [r["deliveries_per_send"] for r in mine if r["workload"] == "fanout-check" and r["client"] == "loadgen"]
    if check:
        return statistics.median(check), "the fan-out check rate (it had no knee)"
    return None, None


def fanout_limit(ctx, plan, per_sends):
    results = []
    for k in per_sends:
        argv = ["./build/bench/fanout_limit", "--members", "1000", "--seconds", str(plan.limit_seconds),
                "--per-send", str(k), "--sender-cpu", str(ctx.server_cpu), "--reader-cpu", str(ctx.client_cpus[0])]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        with open(os.path.join(ctx.out, "fanout_limit.txt"), "a") as f:
            f.write(p.stdout + p.stderr)
        for line in p.stdout.splitlines():
            if line.startswith("fanout_limit "):
                kv = dict(x.split("=", 1) for x in line.split()[1:])
                results.append({"per_send": k, "cmd": " ".join(argv), **kv})
    return results


def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=5).stdout
        except OSError:
            return ""
    model = next((l.split(":", 1)[1].strip() for l in sh(["lscpu"]).splitlines() if l.startswith("Model name")), "?")
    first = lambda cmd: (sh(cmd).strip().splitlines() or ["missing"])[0]
    return {"cpu_model": model, "cpus": os.cpu_count(), "kernel": platform.release(),
            "loadavg_start": open("/proc/loadavg").read().split()[:3],
            "versions": {"chatd": first(["./build/chatd", "--version"]),
                         "loadgen": first(["./build/loadgen/loadgen", "--version"]),
                         "redis": first(["redis-server", "--version"]),
                         "nats": first(["nats-server", "--version"])}}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="scripts/bench.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="one repetition, shorter steps (under 5 minutes)")
    p.add_argument("--smoke", action="store_true", help="development check: chatd-uring and redis, 2 rates, 1 rep")
    p.add_argument("--out", help="results folder (default results/<UTC>-bench[-quick|-smoke])")
    p.add_argument("--targets", help="comma-separated subset of chatd-uring,chatd-epoll,chatd-ws,chatd-all,redis,nats "
                   "(and chatd-before-uring,chatd-before-epoll when CHATD_BEFORE_BIN names an older chatd)")
    p.add_argument("--reps", type=int, help="repetitions (default: 3 full, 1 quick/smoke)")
    p.add_argument("--no-perf", action="store_true", help="do not count the servers' sendmsg calls with perf")
    p.add_argument("--no-readme", action="store_true", help="a full run does not rewrite README.md's table")
    return p.parse_args(argv)


def main(argv):
    a = parse_args(argv)
    mode = "smoke" if a.smoke else "quick" if a.quick else "full"
    plan = plan_for(mode, a.targets.split(",") if a.targets else None, a.reps)
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu = cpus[1] if len(cpus) > 1 else cpus[0]
    client_cpus = [c for c in cpus if c != server_cpu] or [server_cpu]
    os.sched_setaffinity(0, client_cpus)  # this driver and its meter share the client's CPUs
    out = a.out or os.path.join("results", time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) +
                                ("-bench" if mode == "full" else f"-bench-{mode}"))
    count_sends = not a.no_perf and subprocess.run(["sh", "-c", "command -v perf"], capture_output=True).returncode == 0
    ctx = Context(out, plan, server_cpu, client_cpus, cpus, count_sends, log)
    log(f"{mode} run into {out}: servers on CPU {server_cpu}, clients on CPU {client_cpus} "
        f"(loadgen --threads {ctx.clients.threads}); targets {', '.join(plan.targets)}; {plan.reps} rep(s)")
    info = {"mode": mode, "command": "scripts/bench.sh " + " ".join(argv), "plan": plan.__dict__,
            "server_cpu": server_cpu, "client_cpus": client_cpus, "loadgen_threads": ctx.clients.threads,
            "counted_sends": count_sends, "machine": machine(), "started_unix": time.time()}
    ctx.loadgen_ceiling = loadgen_ceiling(ctx, plan)
    info["loadgen_ceiling"] = ctx.loadgen_ceiling
    log(f"loadgen ceiling (sink, sent + received): {ctx.loadgen_ceiling or 0:,.0f} messages/s")

    budget = Budget(plan.budget_seconds, plan.estimate_fixed_seconds() + plan.limit_seconds * 2 + 10)
    knees = []
    sweeps_left = plan.reps * len(plan.targets)
    for rep in range(1, plan.reps + 1):
        for t in plan.targets:
            log(f"knee search: {t}, repetition {rep}")
            budget.begin_sweep(sweeps_left)
            sweeps_left -= 1
            with Session(ctx, t, rep) as s:
                knees.append(knee_search(s, plan, budget))
    info["knees"] = knees
    info["knee"] = median_knees(knees)
    for t, k in info["knee"].items():
        if k["median"] is None:  # bad at every rate: check the clients at the lowest rate tried
            k["check_rate"] = min((rate for kk in knees if kk["target"] == t for rate, _ in kk["steps"]), default=None)
        else:
            k["check_rate"] = k["median"]
    info["budget_cut"] = budget.cut

    for rep in range(1, plan.reps + 1):
        for t in plan.targets:
            log(f"fixed rows: {t}, repetition {rep}")
            with Session(ctx, t, rep) as s:
                fixed_rows(s, plan, info["knee"].get(t, {}).get("check_rate"), rep)

    per_send, source = chatd_per_send(report.load_rows(out), knees)
    k = max(1, min(1024, round(per_send))) if per_send else None
    info["chatd_uring_deliveries_per_send"] = per_send
    info["chatd_uring_deliveries_per_send_from"] = source
    info["fanout_limit"] = fanout_limit(ctx, plan, [1] + ([k] if k and k > 1 else []))
    info["finished_unix"] = time.time()
    info["elapsed_seconds"] = round(budget.elapsed())
    info["machine"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    with open(os.path.join(out, "run.json"), "w") as f:
        json.dump(info, f, indent=1)
    report.report(out)
    if plan.update_readme and not a.no_readme:
        report.update_readme(out, "README.md")
        log("README.md's table rewritten from this run")
    log(f"done in {info['elapsed_seconds']} s: {out}/table.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
