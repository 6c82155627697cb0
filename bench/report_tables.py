"""The markdown bench/report.py writes: figures as median [min–max] over the
run's repetitions, ratios of medians against Redis, the two clients'
agreement, the knee searches, and the README's generated section."""
import os
import statistics

AGREE = 0.10  # loadgen and fanout_client agree within 10%
CONTENDED = 0.15  # of a CPU taken by others during a row (session.py flags it)
FLAG = "⚑"    # a repetition of this figure was client-bound
NOISY = "≈"   # a repetition of this figure ran while other work took a share of its CPUs

# (key, label, workload, client, row field, higher is better: ratios read that way)
FIGURES = [
    ("fanout_knee", "fan-out knee, msg/s offered (1 room × 1000, open loop)", None, None, None, True),
    ("fanout_deliveries", "fan-out deliveries/s at the knee", "fanout", "loadgen", "steady_delivered_per_s", True),
    ("fanout_per_cpu", "fan-out deliveries per server CPU-second, at the knee", "fanout", "loadgen",
     "deliveries_per_server_cpu_s", True),
    ("closed16", "closed loop W=16: deliveries/s (4 publishers × 16 in flight)", "closed-w16", "fanout_client",
     "delivered_per_s", True),
    ("closed16_per_cpu", "closed loop W=16: deliveries per server CPU-second", "closed-w16", "fanout_client",
     "deliveries_per_server_cpu_s", True),
    ("closed64", "closed loop W=64: deliveries/s", "closed-w64", "fanout_client", "delivered_per_s", True),
    ("closed64_per_cpu", "closed loop W=64: deliveries per server CPU-second", "closed-w64", "fanout_client",
     "deliveries_per_server_cpu_s", True),
    ("rooms_p99", "many rooms (1000 users / 25 rooms, 5,000 msg/s): p99 ms, loadgen", "rooms", "loadgen",
     "p99_ms", False),
    ("rooms_check_p99", "many rooms: p99 ms, fanout_client", "rooms-check", "fanout_client", "p99_ms", False),
    ("rooms_per_cpu", "many rooms: deliveries per server CPU-second", "rooms", "loadgen",
     "deliveries_per_server_cpu_s", True),
    ("p2p", "point to point: whispers/s", "p2p", "loadgen", "delivered_per_s", True),
    ("p2p_per_cpu", "point to point: whispers per server CPU-second", "p2p", "loadgen",
     "deliveries_per_server_cpu_s", True),
]

DETAIL_FIELDS = [("delivered_per_s", "deliveries/s"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"),
                 ("server_cores", "server cores"), ("client_cores", "client cores"),
                 ("deliveries_per_server_cpu_s", "deliv. per server CPU-s"),
                 ("deliveries_per_segment", "deliv. per TCP segment"), ("deliveries_per_send", "deliv. per sendmsg"),
                 ("ip_bytes_per_delivery", "IP bytes per deliv."), ("others_server_cpu", "others on server CPU (cores)"),
                 ("others_client_cpu", "others on client CPU (cores)")]


def num(v, digits=3):
    """A figure with about `digits` significant digits: 2.41 M, 241 k, 24.1 k, 2,410, 24.1, 0.241."""
    if v is None:
        return "–"
    for div, suffix in ((1e6, " M"), (1e4, " k")):
        if abs(v) >= div:
            v, unit = v / (div if div == 1e6 else 1e3), suffix
            break
    else:
        unit = ""
    if abs(v) >= 10 ** (digits - 1) or (v == int(v) and not unit):
        return f"{v:,.0f}{unit}"
    whole = len(str(int(abs(v)))) if abs(v) >= 1 else 0
    return f"{v:.{max(0, digits - whole)}f}{unit}"


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def cell(s, flagged=False, noisy=False):
    if s is None:
        return "–"
    text = num(s["median"])
    if s["n"] > 1:
        text += f" [{num(s['min'])}–{num(s['max'])}]"
    return text + (f" {FLAG}" if flagged else "") + (f" {NOISY}" if noisy else "")


def knee_rows(run, rows, target):
    """The sweep row at each repetition's knee."""
    knees = {k["rep"]: k["knee"] for k in run.get("knees", []) if k["target"] == target}
    return [r for r in rows if r["target"] == target and r.get("phase") == "sweep" and r.get("rate") == knees.get(r["rep"])
            and not r.get("failed")]


def figure(run, rows, key, target):
    """(spread, client-bound in some repetition, contended in some) of one figure for one target."""
    spec = next(f for f in FIGURES if f[0] == key)
    if key == "fanout_knee":
        k = (run.get("knee") or {}).get(target)
        if not k or k["median"] is None:
            return None, False, False
        noisy = any(r.get("contended") for r in rows if r["target"] == target and r.get("phase") == "sweep")
        return {"median": k["median"], "min": k["min"], "max": k["max"], "n": k["reps"]}, False, noisy
    _, _, workload, client, field, _ = spec
    if workload == "fanout":
        chosen = knee_rows(run, rows, target)
    else:
        chosen = [r for r in rows if r["target"] == target and r["workload"] == workload and r["client"] == client
                  and not r.get("failed")]
    return (spread([r.get(field) for r in chosen]), any(r.get("client_bound") for r in chosen),
            any(r.get("contended") for r in chosen))


def figures(run, rows):
    out = {}
    for key, *_ in FIGURES:
        out[key] = {}
        for t in run["plan"]["targets"]:
            s, flagged, noisy = figure(run, rows, key, t)
            if s:
                out[key][t] = {**s, "client_bound": flagged, "contended": noisy}
    return out


def ratio(a, b):
    if not a or not b or not a["median"] or not b["median"]:
        return "–"
    return f"{a['median'] / b['median']:.2f}×"


def goal_table(run, rows):
    targets = run["plan"]["targets"]
    chatds = [t for t in targets if t.startswith("chatd")] if "redis" in targets else []
    head = ["figure"] + targets + [f"{t[6:] or t} ÷ redis" for t in chatds]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, label, *_ in FIGURES:
        cells, spreads = [], {}
        for t in targets:
            s, flagged, noisy = figure(run, rows, key, t)
            spreads[t] = s
            cells.append(cell(s, flagged, noisy))
        if all(c == "–" for c in cells):
            continue
        ratios = [ratio(spreads[t], spreads.get("redis")) for t in chatds]
        lines.append("| " + " | ".join([label] + cells + ratios) + " |")
    return "\n".join(lines)


def detail_table(rows, targets, workload, client):
    head = ["target"] + [label for _, label in DETAIL_FIELDS] + ["client-bound", "contended"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in targets:
        chosen = [r for r in rows if r["target"] == t and r["workload"] == workload and r["client"] == client
                  and not r.get("failed")]
        if not chosen:
            continue
        flags = [r["client_bound"] for r in chosen if r.get("client_bound")]
        noisy = [r for r in chosen if r.get("contended")]
        lines.append("| " + " | ".join([t] + [cell(spread([r.get(f) for r in chosen])) for f, _ in DETAIL_FIELDS] +
                                       [f"{len(flags)}/{len(chosen)}: {flags[0]}" if flags else "no"] +
                                       [f"{len(noisy)}/{len(chosen)}: {noisy[0]['contended']}" if noisy else "no"])
                     + " |")
    return "\n".join(lines) if len(lines) > 2 else ""


def agreement(rows):
    """loadgen against fanout_client, per target, on the rows both ran."""
    out = []
    for lg_workload, fc_workload in (("fanout-check", "fanout-check"), ("rooms", "rooms-check")):
        for t in sorted({r["target"] for r in rows if r["workload"] == fc_workload}):
            pick = lambda w, c: [r for r in rows if r["target"] == t and r["workload"] == w and r["client"] == c
                                 and not r.get("failed")]
            lg, fc = pick(lg_workload, "loadgen"), pick(fc_workload, "fanout_client")
            if not lg or not fc:
                continue
            item = {"target": t, "workload": fc_workload}
            # fanout_client's whole-run figures, which it counts as loadgen counts a step.
            for field in ("delivered_per_s", "p50_ms", "p99_ms"):
                a = statistics.median([r[field] for r in lg if r.get(field) is not None] or [0])
                b = statistics.median([r[f"run_{field}"] for r in fc if r.get(f"run_{field}") is not None] or [0])
                item[field] = {"loadgen": a, "fanout_client": b, "diff": (b - a) / a if a else None}
            checked = [item[f]["diff"] for f in ("delivered_per_s", "p50_ms")]
            item["agree"] = all(d is not None and abs(d) <= AGREE for d in checked)
            item["client_bound"] = any(r.get("client_bound") for r in lg + fc)
            out.append(item)
    return out


def agreement_table(rows):
    items = agreement(rows)
    if not items:
        return ""
    lines = ["| target | workload | deliveries/s loadgen | fanout_client | diff | p50 ms loadgen | fanout_client "
             "| diff | p99 ms loadgen | fanout_client | within 10%? |", "|" + "---|" * 11]
    for i in items:
        d, p, q = i["delivered_per_s"], i["p50_ms"], i["p99_ms"]
        pct = lambda x: "–" if x is None else f"{x:+.0%}"
        verdict = "yes" if i["agree"] else "**no**" + (" (a client was client-bound)" if i["client_bound"] else "")
        lines.append(f"| {i['target']} | {i['workload']} | {num(d['loadgen'])} | {num(d['fanout_client'])} | "
                     f"{pct(d['diff'])} | {num(p['loadgen'])} | {num(p['fanout_client'])} | {pct(p['diff'])} | "
                     f"{num(q['loadgen'])} | {num(q['fanout_client'])} | {verdict} |")
    return "\n".join(lines)


def knee_table(run):
    lines = ["| target | rep | steps (msg/s: ✓ good, ✗ bad) | knee |", "|---|---|---|---|"]
    for k in run.get("knees", []):
        steps = ", ".join(f"{rate} {'✓' if ok else '✗'}" for rate, ok in k["steps"])
        knee = "none (bad at every rate)" if k["knee"] is None else (
            f"{k['knee']}" if k["first_bad"] is not None else f"≥ {k['knee']} (never saturated)")
        lines.append(f"| {k['target']} | {k['rep']} | {steps} | {knee}{' (cut by budget)' if k['cut_by_budget'] else ''} |")
    return "\n".join(lines)


def limit_text(run, rows):
    limits = run.get("fanout_limit") or []
    if not limits:
        return ""
    knee = figure(run, rows, "fanout_deliveries", "chatd-uring")[0]
    per_cpu = figure(run, rows, "fanout_per_cpu", "chatd-uring")[0]
    k = run.get("chatd_uring_deliveries_per_send")
    where = run.get("chatd_uring_deliveries_per_send_from") or "its knee"
    out = [f"bench/fanout_limit (one prepared 100-byte frame to 1000 loopback sockets per round, batched io_uring, "
           f"sender on CPU {run['server_cpu']}); chatd-uring sent {num(k) if k else 'an unmeasured number of'} "
           f"deliveries per sendmsg at {where}:", ""]
    for lim in limits:
        fps, cpu = float(lim["frames_per_second"]), float(lim["frames_per_sender_cpu_second"])
        line = f"- {lim['per_send']} frame(s) per sendmsg: {num(fps)} frames/s, {num(cpu)} per sender CPU-second"
        if knee and per_cpu:
            line += (f"; chatd-uring's knee is {knee['median'] / fps:.0%} of it, its deliveries per server "
                     f"CPU-second {per_cpu['median'] / cpu:.0%}")
        out.append(line)
    return "\n".join(out)


def hardware(run):
    m = run["machine"]
    return (f"{m['cpu_model']}, {m['cpus']} CPUs, Linux {m['kernel']}; load average {' '.join(m['loadavg_start'])} "
            f"at the start, {' '.join(m.get('loadavg_end', ['?']))} at the end")


def placement(run):
    return (f"servers pinned to CPU {run['server_cpu']} with one thread of work (chatd `--shards 1`, Redis, NATS "
            f"`GOMAXPROCS=1`), except chatd-all (a shard per CPU, not pinned: it shares the clients' CPU); "
            f"clients pinned to CPU {','.join(map(str, run['client_cpus']))}, loadgen with "
            f"`--threads {run['loadgen_threads']}`" + (" — the only CPU left, so loadgen may be the limit: rows where "
                                                        "it was are flagged " + FLAG if run['loadgen_threads'] == 1 else ""))


def full_report(out, run, rows):
    targets = run["plan"]["targets"]
    parts = [f"# scripts/bench.sh {run['mode']} run {os.path.basename(os.path.normpath(out))}", "",
             f"Machine: {hardware(run)}. Placement: {placement(run)}. loadgen's own ceiling against its sink: "
             f"{num(run.get('loadgen_ceiling'))} messages/s (sent + received). {run['plan']['reps']} interleaved "
             f"repetition(s); each figure is the median [min–max]. Only the ratios between targets of this run "
             f"carry to another machine.", "", "## Goals", "", goal_table(run, rows), "",
             f"{FLAG}: at least one repetition was client-bound (client CPU ≥ 90% of its cores, or loadgen at ≥ 90% "
             f"of its sink ceiling); such a figure is a lower bound for the server. {NOISY}: at least one repetition "
             f"ran while other processes took > {CONTENDED:.0%} of a CPU it used (see the contended column).", ""]
    if run.get("budget_cut"):
        parts += [f"Knee searches cut short by the time budget: {', '.join(run['budget_cut'])}.", ""]
    parts += ["## Knee search (fan-out 1 × 1000, open loop)", "",
              "Good: nothing lost, ≥ 99% of the offered deliveries/s delivered, p99 ≤ 50 ms.", "", knee_table(run), ""]
    details = [("fan-out at the knee (loadgen)", "fanout", "loadgen"),
               ("fan-out check at the median knee (loadgen)", "fanout-check", "loadgen"),
               ("fan-out check at the median knee (fanout_client)", "fanout-check", "fanout_client")]
    details += [(f"closed loop W={w} (fanout_client)", f"closed-w{w}", "fanout_client")
                for w in run["plan"]["closed_windows"]]
    details += [("many rooms (loadgen)", "rooms", "loadgen"), ("many rooms (fanout_client)", "rooms-check",
                                                              "fanout_client"),
                ("point to point (loadgen)", "p2p", "loadgen")]
    parts += ["## Every workload", ""]
    for title, workload, client in details:
        if workload == "fanout":
            chosen = [r for t in targets for r in knee_rows(run, rows, t)]
        else:
            chosen = rows
        table = detail_table(chosen, targets, workload, client)
        if table:
            parts += [f"### {title}", "", table, ""]
    agree = agreement_table(rows)
    if agree:
        parts += ["## loadgen against the second client (bench/fanout_client)", "", agree, ""]
    limit = limit_text(run, rows)
    if limit:
        parts += ["## The raw fan-out limit", "", limit, ""]
    failed = [r for r in rows if r.get("failed")]
    if failed:
        parts += ["## Rows that failed", ""] + [f"- {r['name']}: {r['failed']}" for r in failed] + [""]
    noisy = [r for r in rows if r.get("contended")]
    if noisy:
        parts += [f"Contended rows (other processes or kernel threads took > {CONTENDED:.0%} of a CPU the row "
                  f"used; its figures are not this machine's quiet figures): "
                  + ", ".join(r["name"] for r in noisy) + ".", ""]
    parts += [f"Every row's commands: reproduce.md; every figure: rows.csv; latency histograms: runs/*/latency.hgrm "
              f"(loadgen) and runs/*.hgrm (fanout_client). Run took {run.get('elapsed_seconds')} s.", ""]
    return "\n".join(parts)


def readme_section(out, run, rows):
    name = os.path.basename(os.path.normpath(out))
    lines = [f"Generated by `scripts/bench.sh` from its latest full run, [`{out}`]({out}/table.md) "
             f"(`{run['command']}`; do not edit by hand). Machine: {hardware(run)}. Placement: {placement(run)}. "
             f"Each figure is the median of {run['plan']['reps']} interleaved repetitions [min–max]. "
             f"**Only the ratios between targets of the same run carry to another machine**; the absolute figures "
             f"are this box's. Method, knees and client-bound rows: [docs/benchmarks.md](docs/benchmarks.md).", "",
             goal_table(run, rows), "", f"{FLAG}: client-bound in at least one repetition (a lower bound for the "
             f"server). {NOISY}: other work shared the row's CPUs in at least one repetition.", ""]
    agree = agreement(rows)
    if agree:
        ok = [f"{a['target']} {a['workload']}: {'agree' if a['agree'] else 'differ'} "
              f"(deliveries/s {a['delivered_per_s']['diff']:+.0%}, p50 {a['p50_ms']['diff']:+.0%})"
              for a in agree if a["delivered_per_s"]["diff"] is not None and a["p50_ms"]["diff"] is not None]
        lines += ["Second client (bench/fanout_client) against loadgen: " + "; ".join(ok) + ".", ""]
    if os.path.exists(os.path.join(out, "fanout-p99.png")):
        lines += [f"![fan-out p99 against offered rate]({out}/fanout-p99.png)", ""]
    return "\n".join(lines) + "\n"
