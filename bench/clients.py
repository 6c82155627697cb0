"""Runs one client (loadgen or fanout_client) against a server: one row.

Each run returns a dict of the client's own figures plus `window`, the unix
times its traffic ran between, which the Meter turns into CPU, segments and
sends for the row. Both clients are pinned to the client CPUs.
"""
import json
import os
import subprocess
import time

LOADGEN = "./build/loadgen/loadgen"
FANOUT_CLIENT = "./build/bench-tools/fanout_client"


class Clients:
    def __init__(self, cpus):
        self.cpus = cpus
        # As many loadgen threads as it has CPUs: on a 2-core box that is 1,
        # which the report flags (client-bound rows).
        self.threads = len(cpus)

    def _taskset(self):
        return ["taskset", "-c", ",".join(map(str, self.cpus))]

    def _run(self, argv, out_base, meter, timeout):
        started = time.time()
        with open(out_base + ".txt", "w") as out, open(out_base + ".err", "w") as err:
            proc = subprocess.Popen(argv, stdout=out, stderr=err)
            meter.watch_client(proc.pid)
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
                err.write(f"\nbench: killed after {timeout:.0f} s\n")
        return rc, proc.pid, time.time() - started

    def loadgen(self, server, out_dir, args, meter, timeout):
        argv = self._taskset() + [LOADGEN, "--threads", str(self.threads), "--no-progress", "--connect-timeout",
                                  "10s", "--target", server.target.protocol, "--port", str(server.port),
                                  "--out", out_dir] + list(server.target.loadgen_args) + args
        rc, pid, took = self._run(argv, out_dir, meter, timeout)
        row = {"client": "loadgen", "client_cmd": " ".join(argv), "rc": rc, "client_pid": pid,
               "run_seconds": round(took, 2), "dir": out_dir}
        try:
            with open(os.path.join(out_dir, "summary.json")) as f:
                summary = json.load(f)
        except (OSError, ValueError):
            return {**row, "failed": f"no summary.json (exit {rc}; see {out_dir}.err)"}
        steps = summary.get("steps") or []
        if not steps:
            return {**row, "failed": f"no step completed (exit {rc}; see {out_dir}.err)"}
        step = steps[-1]
        lat = step.get("latency") or {}
        end = step["end_unix_ms"] / 1000
        row.update({
            "sent": step["messages_sent"], "expected": step["deliveries_expected"],
            "received": step["deliveries_received"], "lost": step["lost"],
            "timed_out": bool(step.get("timed_out")), "closed_by_server": step.get("closed_by_server", 0),
            "errors": step.get("errors") or {}, "traffic_seconds": step["traffic_seconds"],
            "delivered_per_s": step["delivered_per_second"], "sent_per_s": step["sent_per_second"],
            "p50_ms": lat.get("p50_ms"), "p90_ms": lat.get("p90_ms"), "p99_ms": lat.get("p99_ms"),
            "p999_ms": lat.get("p999_ms"), "max_ms": lat.get("max_ms"),
            "hgrm": os.path.join(out_dir, "latency.hgrm"),
            "machine": summary.get("machine"), "verdict": summary.get("verdict"),
            # Traffic ran from the first send to the last delivery; loadgen stamps
            # the step's end a few ms after (merging histograms), which is left in.
            "traffic_window": [end - step["traffic_seconds"], end],
        })
        return row

    def fanout_client(self, server, out_base, args, meter, timeout):
        argv = self._taskset() + [FANOUT_CLIENT, "--target", server.target.wire, "--port", str(server.port),
                                  "--hgrm", out_base + ".hgrm"] + args
        rc, pid, took = self._run(argv, out_base, meter, timeout)
        row = {"client": "fanout_client", "client_cmd": " ".join(argv), "rc": rc, "client_pid": pid,
               "run_seconds": round(took, 2), "dir": out_base, "hgrm": out_base + ".hgrm"}
        try:
            line = next(l for l in open(out_base + ".txt") if l.startswith("fanout_client "))
        except (OSError, StopIteration):
            return {**row, "failed": f"no result line (exit {rc}; see {out_base}.err)"}
        kv = dict(part.split("=", 1) for part in line.split()[1:])
        num = lambda k: float(kv[k])
        row.update({
            "sent": int(num("sent")), "expected": int(num("expected")), "received": int(num("received")),
            "lost": int(num("lost")), "timed_out": False, "errors": {"server": int(num("errors"))},
            "traffic_seconds": num("seconds") - num("warmup"),
            "delivered_per_s": num("deliveries_per_second"),
            "p50_ms": num("p50_ms"), "p90_ms": num("p90_ms"), "p99_ms": num("p99_ms"),
            "p999_ms": num("p999_ms"), "max_ms": num("max_ms"),
            "traffic_window": [num("window_start_unix"), num("window_end_unix")],
            # The whole run, as loadgen counts a step: what the agreement check compares.
            "run_delivered_per_s": num("run_deliveries_per_second"), "run_p50_ms": num("run_p50_ms"),
            "run_p99_ms": num("run_p99_ms"),
        })
        return row
