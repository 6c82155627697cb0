"""One server's life in a benchmark run: start it, meter it, run rows against
it, stop it, and only then turn each row's traffic window into CPU, segments
and sends (perf's counts are read when it stops)."""
import json
import os
import time

import meter as meter_mod
import targets as targets_mod
from clients import Clients

CLIENT_BOUND_CPU = 0.9  # of the client's cores
CONTENDED = 0.15  # of a CPU busy with other work than the row's (other processes, kernel threads)
MIN_METERED_SECONDS = 0.5  # 20 samples: below it the CPU and counter figures are left out


class Context:
    """What every session of a run shares."""

    def __init__(self, out, plan, server_cpu, client_cpus, all_cpus, count_sends, log):
        self.out = out
        self.runs = os.path.join(out, "runs")
        self.plan = plan
        self.server_cpu = server_cpu
        self.client_cpus = client_cpus
        self.all_cpus = all_cpus
        self.count_sends = count_sends
        self.clients = Clients(client_cpus)
        self.log = log
        self.loadgen_ceiling = None  # messages/s loadgen handles against its sink (sent + received)
        self.rows_path = os.path.join(out, "rows.jsonl")
        os.makedirs(self.runs, exist_ok=True)


class Session:
    def __init__(self, ctx, target_name, rep):
        self.ctx = ctx
        self.target = targets_mod.TARGETS[target_name]
        self.rep = rep
        self.rows = []
        base = os.path.join(ctx.runs, f"{target_name}-r{rep}")
        self.server = targets_mod.start(self.target, ctx.server_cpu, ctx.all_cpus, base + ".server.log")
        sends = base + ".sends.csv" if ctx.count_sends else None
        self.meter = meter_mod.Meter(self.server.pid, sends).__enter__()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.stop()
        self.meter.__exit__()
        for row in self.rows:
            self._finish(row)
        with open(self.ctx.rows_path, "a") as f:
            for row in self.rows:
                f.write(json.dumps(row) + "\n")

    def run(self, client, workload, tag, args, timeout, **fields):
        """Runs one client; returns its row (the meter's figures come at exit)."""
        name = f"{self.target.name}-{workload}-{tag}-r{self.rep}" if tag else f"{self.target.name}-{workload}-r{self.rep}"
        out = os.path.join(self.ctx.runs, name)
        if client == "loadgen":
            row = self.ctx.clients.loadgen(self.server, out, args, self.meter, timeout)
        else:
            row = self.ctx.clients.fanout_client(self.server, out, args, self.meter, timeout)
        row.update({"target": self.target.name, "workload": workload, "rep": self.rep, "name": name,
                    "server_cmd": self.server.command_line(), **fields})
        self.rows.append(row)
        time.sleep(0.2)  # the previous clients' sockets close before the next row
        return row

    def _finish(self, row):
        if row.get("failed") or "traffic_window" not in row:
            return
        m = self.meter.window(row["traffic_window"][0], row["traffic_window"][1], row["client_pid"])
        w = m["window_seconds"]
        if w < MIN_METERED_SECONDS:
            row["window_seconds"] = round(w, 3)
            row["meter_note"] = f"traffic lasted {w * 1000:.0f} ms: too short to meter"
            return
        deliveries = row["received"] if row["client"] == "loadgen" else row["delivered_per_s"] * w
        row["window_seconds"] = round(w, 3)
        row["deliveries_in_window"] = round(deliveries)
        row["server_cpu_s"] = m.get("server_cpu")
        row["client_cpu_s"] = m.get("client_cpu")
        per = lambda a, b: (a / b) if a is not None and b else None
        row["server_cores"] = per(m.get("server_cpu"), w)
        row["client_cores"] = per(m.get("client_cpu"), w)
        row["deliveries_per_server_cpu_s"] = per(deliveries, m.get("server_cpu"))
        row["deliveries_per_segment"] = per(deliveries, m.get("out_segs"))
        row["segments_per_delivery"] = per(m.get("out_segs"), deliveries)
        row["ip_bytes_per_delivery"] = per(m.get("out_octets"), deliveries)
        row["deliveries_per_send"] = per(deliveries, m.get("server_sends"))
        row["server_sends"] = m.get("server_sends")
        row["retrans_segs"] = m.get("retrans_segs")
        row["cpu_busy"] = {k[:-5]: round(v / w, 3) for k, v in m.items() if k.endswith("_busy") and v is not None}
        row["cpu_softirq"] = {k[:-8]: round(v / w, 3) for k, v in m.items() if k.endswith("_softirq") and v is not None}
        reasons = []
        if row["client_cores"] is not None and row["client_cores"] >= CLIENT_BOUND_CPU * len(self.ctx.client_cpus):
            reasons.append(f"client CPU {row['client_cores']:.2f} of {len(self.ctx.client_cpus)} core(s)")
        handled = (row.get("sent_per_s") or 0) + row["delivered_per_s"]
        if row["client"] == "loadgen" and self.ctx.loadgen_ceiling and handled >= 0.9 * self.ctx.loadgen_ceiling:
            reasons.append(f"loadgen at {handled / self.ctx.loadgen_ceiling:.0%} of its sink ceiling")
        row["client_bound"] = "; ".join(reasons)
        self._contention(row, m, w)

    def _contention(self, row, m, w):
        """How much of the row's CPUs went to anything but the server, the client
        and this driver: on a shared box, the sign that a row was disturbed."""
        busy = lambda cpus: sum((m.get(f"cpu{c}_busy") or 0) for c in cpus) / w
        ours_client = ((m.get("client_cpu") or 0) + (m.get("driver_cpu") or 0)) / w
        if not self.target.pinned:  # spread over every CPU: only the total can be told
            row["others_server_cpu"] = None
            row["others_client_cpu"] = max(0.0, busy(self.ctx.all_cpus) - ours_client - (row["server_cores"] or 0))
        else:
            row["others_server_cpu"] = max(0.0, busy([self.ctx.server_cpu]) - (row["server_cores"] or 0))
            row["others_client_cpu"] = max(0.0, busy(self.ctx.client_cpus) - ours_client)
        worst = [f"{v:.0%} of the {k.split('_')[1]} CPU" for k, v in
                 (("others_server_cpu", row["others_server_cpu"]), ("others_client_cpu", row["others_client_cpu"]))
                 if v is not None and v > CONTENDED]
        row["contended"] = "others took " + " and ".join(worst) if worst else ""
