#!/usr/bin/env python3
"""What a `hello` costs with auth on versus off, end to end (docs/auth.md "Cost").

For each repetition, auth off and auth on alternate, each on a fresh chatd:
N connections are opened first (not timed), then every one sends its hello at
once and the script waits for all N welcomes. Timed: that phase only. Reported
per hello: chatd's CPU time (its threads' schedstat, the robust figure) and
the wall time (which includes this script's own loop, the same in both modes).
Tokens are minted here with Python's hmac, independently of chatd's code.

  bench/hello_cost.py build/chatd [--hellos 2000] [--reps 5] [--shards 1]

With --shards 1 no hello moves to another shard, so the difference is the
verification alone; with more shards most hellos are verified twice (where
accepted and again at home, docs/auth.md).
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time

KEY = b"hello-cost-bench-key-0123456789abcdef"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(user, exp):
    head = b64url(b'{"alg":"HS256","typ":"JWT"}')
    body = b64url(json.dumps({"sub": user, "exp": exp}, separators=(",", ":")).encode())
    signing_input = f"{head}.{body}"
    sig = hmac.new(KEY, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(sig)}"


def cpu_seconds(pid):
    # Every thread's time on CPU in ns (/proc/PID/task/TID/schedstat), not /proc/PID/stat's
    # 10 ms clock ticks: a hello costs microseconds.
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
            total += int(f.read().split()[0])
    return total / 1e9


def start_chatd(chatd, shards, key_file):
    args = [chatd, "--port", "0", "--metrics-port", "0", "--bind", "127.0.0.1", "--shards", str(shards)]
    if key_file:
        args += ["--auth-secret-file", key_file]
    p = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    line = ""
    while "chatd ready" not in line:
        line = p.stderr.readline()
        if not line:
            sys.exit("chatd did not start")
    return p, int(re.search(r"port=(\d+)", line).group(1))


def run_once(chatd, shards, hellos, key_file, rep):
    proc, port = start_chatd(chatd, shards, key_file)
    try:
        exp = int(time.time()) + 3600
        users = [f"u{rep}_{i}" for i in range(hellos)]
        frames = []
        for u in users:
            msg = {"op": "hello", "user": u}
            if key_file:
                msg["token"] = mint(u, exp)
            frames.append((json.dumps(msg, separators=(",", ":")) + "\n").encode())
        socks = [socket.create_connection(("127.0.0.1", port)) for _ in users]
        for s in socks:
            s.setblocking(False)
        sel = selectors.DefaultSelector()
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        time.sleep(0.2)  # the accepts are processed
        cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
        for s, f in zip(socks, frames):
            s.send(f)
        got = {s: b"" for s in socks}
        pending = len(socks)
        while pending:
            ready = sel.select(timeout=10)
            if not ready:
                sys.exit(f"{pending} of {hellos} hellos unanswered after 10 s")
            for key, _ in ready:
                s = key.fileobj
                data = s.recv(4096)
                if not data:
                    sys.exit("chatd closed a connection: " + got[s].decode())
                got[s] += data
                if b"\n" in got[s]:
                    if b'"welcome"' not in got[s]:
                        sys.exit("not welcomed: " + got[s].decode())
                    sel.unregister(s)
                    pending -= 1
        wall, cpu = time.perf_counter() - t0, cpu_seconds(proc.pid) - cpu0
        for s in socks:
            s.close()
        return wall / hellos, cpu / hellos
    finally:
        proc.kill()
        proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("chatd")
    ap.add_argument("--hellos", type=int, default=2000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--shards", type=int, default=1)
    a = ap.parse_args()
    with tempfile.NamedTemporaryFile("wb", suffix=".key", delete=False) as f:
        f.write(KEY + b"\n")
        key_file = f.name
    try:
        results = {"off": [], "on": []}
        for rep in range(a.reps):
            for mode in ("off", "on"):
                results[mode].append(run_once(a.chatd, a.shards, a.hellos, key_file if mode == "on" else None, rep))
        print(f"{a.hellos} hellos at once, {a.shards} shard(s), median of {a.reps} (chatd CPU / wall per hello):")
        med = {}
        for mode, rows in results.items():
            wall = statistics.median(r[0] for r in rows) * 1e6
            cpu = statistics.median(r[1] for r in rows) * 1e6
            med[mode] = (wall, cpu)
            print(f"  auth {mode:3}: {cpu:6.2f} us CPU, {wall:6.2f} us wall")
        print(f"  auth costs: {med['on'][1] - med['off'][1]:+.2f} us CPU, {med['on'][0] - med['off'][0]:+.2f} us wall"
              " per hello")
    finally:
        os.unlink(key_file)


if __name__ == "__main__":
    main()
