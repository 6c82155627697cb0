#!/usr/bin/env python3
"""An independent client that checks loadgen's figures (issue 3: "the figures
agree with an independent client measuring the same workload").

It shares no code with loadgen: Python 3 standard library only, chatd's JSON
mode as docs/protocol.md describes it. It logs in to chatd, joins one room, and
records every `msg` it receives there: its seq (which must run on from the
room's last seq at join, with no gap, repeat or reordering) and its latency,
time.monotonic_ns() at receipt minus the message's `ts` (loadgen writes ts from
CLOCK_MONOTONIC, which is what time.monotonic_ns() reads on Linux; like
loadgen, it reads the clock once per received chunk). It then prints counts
and latency percentiles (exact, nearest rank).

Run it before loadgen, in a room loadgen will use (loadgen --room-prefix P
names its rooms P0, P1, ...):

    independent_observer.py --port 7000 --room obs-0 --idle 3 &
    loadgen --ramp 100 --msgs 100 --steps 3 --room-prefix obs-

and compare its count with loadgen's summary.json (rooms[].messages_sent for
that room) and its percentiles with loadgen's. It stops when --expect N
messages have arrived, after --idle seconds without a message, at --timeout,
on SIGINT/SIGTERM, or (--stdin) once an "expect N" line on stdin is met or
--grace seconds after it.

Exit status: 0 when everything received was in order (and, with an expected
count, exactly that many arrived), 1 otherwise, 2 when chatd could not be
reached or refused the login.
"""

import argparse
import json
import os
import selectors
import signal
import socket
import sys
import time


def percentile(sorted_values, p):
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil(n * p / 100)
    return sorted_values[min(len(sorted_values), int(rank)) - 1]


class Observer:
    def __init__(self, room):
        self.room = room
        self.joined_seq = None  # the room's last seq when we joined
        self.next_seq = None
        self.received = 0
        self.gaps = 0           # seqs skipped
        self.repeats = 0        # a seq at or below one already seen
        self.foreign = 0        # msg events without an integer ts
        self.first_seq = None
        self.last_seq = None
        self.latencies_ns = []
        self.by_step = {}       # loadgen's id is "<step>.<sender>.<n>": latencies per step
        self.senders = {}
        self.first_at = None
        self.last_at = None

    def on_msg(self, ev, now_ns):
        seq = ev.get("seq")
        if not isinstance(seq, int):
            self.foreign += 1
            return
        if seq < self.next_seq:
            self.repeats += 1
            return
        if seq > self.next_seq:
            self.gaps += seq - self.next_seq
        self.next_seq = seq + 1
        if self.first_seq is None:
            self.first_seq = seq
        self.last_seq = seq
        self.received += 1
        sender = ev.get("from", "?")
        self.senders[sender] = self.senders.get(sender, 0) + 1
        ts = ev.get("ts")
        if isinstance(ts, int) and not isinstance(ts, bool):
            self.latencies_ns.append(now_ns - ts)
            step = str(ev.get("id", "")).split(".")[0]
            self.by_step.setdefault(int(step) if step.isdigit() else 0, []).append(now_ns - ts)
        else:
            self.foreign += 1
        self.first_at = self.first_at or now_ns
        self.last_at = now_ns

    def summary(self, expected):
        ms = lambda v: None if v is None else round(v / 1e6, 3)

        def figures(values):
            lat = sorted(values)
            return {"count": len(lat), "p50": ms(percentile(lat, 50)), "p90": ms(percentile(lat, 90)),
                    "p99": ms(percentile(lat, 99)), "p999": ms(percentile(lat, 99.9)),
                    "max": ms(lat[-1] if lat else None)}

        in_order = self.gaps == 0 and self.repeats == 0
        return {
            "room": self.room,
            "joined_seq": self.joined_seq,
            "received": self.received,
            "expected": expected,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "gaps": self.gaps,
            "repeats": self.repeats,
            "foreign": self.foreign,
            "senders": len(self.senders),
            "in_order": in_order,
            "exact": in_order and (expected is None or self.received == expected),
            "latency_ms": figures(self.latencies_ns),
            "latency_ms_by_step": {str(k): figures(v) for k, v in sorted(self.by_step.items())},
        }


def login(sock, user, room, deadline):
    """hello + join; returns (joined event, bytes read past it)."""
    sock.sendall((json.dumps({"op": "hello", "user": user}) + "\n" +
                  json.dumps({"op": "join", "room": room}) + "\n").encode())
    buf = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("chatd closed the connection during login")
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                ev = json.loads(line)
            except ValueError:
                continue  # the text-mode prompt, if chatd greeted us before our first byte
            if ev.get("ev") == "error":
                raise ConnectionError(f"chatd refused {ev.get('op')}: {ev.get('code')} {ev.get('msg', '')}")
            if ev.get("ev") == "joined" and ev.get("room") == room:
                return ev, buf
    raise TimeoutError("no joined reply from chatd")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=7000)
    ap.add_argument("--room", required=True, help="the room to watch (loadgen: <--room-prefix><k>)")
    ap.add_argument("--user", default=f"observer-{os.getpid()}")
    ap.add_argument("--expect", type=int, help="stop once this many messages have arrived")
    ap.add_argument("--idle", type=float, default=0, help="stop after this many seconds without a message "
                    "(once one has arrived); 0: never")
    ap.add_argument("--timeout", type=float, default=120, help="stop after this many seconds in all")
    ap.add_argument("--stdin", action="store_true", help="read 'expect N' lines from stdin")
    ap.add_argument("--grace", type=float, default=5, help="with --stdin: how long to wait for the rest "
                    "once 'expect N' has come")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = ap.parse_args()

    stop = {"now": False}
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.update(now=True))

    started = time.monotonic()
    deadline = started + args.timeout
    try:
        sock = socket.create_connection((args.host, args.port), timeout=5)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        joined, rest = login(sock, args.user, args.room, min(deadline, time.monotonic() + 5))
    except (OSError, ConnectionError, TimeoutError) as e:
        print(f"independent_observer: cannot watch {args.room} on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 2
    obs = Observer(args.room)
    obs.joined_seq = joined.get("seq", 0)
    obs.next_seq = obs.joined_seq + 1
    # The driver (or a person) starts loadgen after this line.
    print(f"ready: {args.user} in {args.room} (members {joined.get('members')}, seq {obs.joined_seq})",
          file=sys.stderr, flush=True)

    expected = args.expect
    expect_deadline = None
    sel = selectors.DefaultSelector()
    sock.setblocking(False)
    sel.register(sock, selectors.EVENT_READ, "chatd")
    if args.stdin:
        sel.register(sys.stdin, selectors.EVENT_READ, "stdin")
    buf = rest
    last_activity = time.monotonic()

    def take_lines(now_ns):
        nonlocal buf
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                return
            line, buf = buf[:nl], buf[nl + 1:]
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("ev") == "msg" and ev.get("room") == args.room:
                obs.on_msg(ev, now_ns)

    take_lines(time.monotonic_ns())
    closed = False
    while not stop["now"] and not closed:
        now = time.monotonic()
        if expected is not None and obs.received >= expected:
            break
        if now >= deadline or (expect_deadline is not None and now >= expect_deadline):
            break
        if args.idle > 0 and obs.received > 0 and now - last_activity >= args.idle:
            break
        for key, _ in sel.select(timeout=0.05):
            if key.data == "chatd":
                try:
                    chunk = sock.recv(1 << 20)
                except BlockingIOError:
                    continue
                now_ns = time.monotonic_ns()  # once per chunk, as loadgen does
                if not chunk:
                    closed = True
                    break
                buf += chunk
                last_activity = time.monotonic()
                take_lines(now_ns)
            else:
                line = sys.stdin.readline()
                if not line:
                    sel.unregister(sys.stdin)
                    continue
                words = line.split()
                if len(words) == 2 and words[0] == "expect" and words[1].isdigit():
                    expected = int(words[1])
                    expect_deadline = time.monotonic() + args.grace
    try:
        sock.sendall(b'{"op":"bye"}\n')
    except OSError:
        pass
    sock.close()

    s = obs.summary(expected)
    s["closed_by_server"] = closed
    if args.json:
        print(json.dumps(s))
    else:
        l = s["latency_ms"]
        print(f"room {s['room']}: received {s['received']}" +
              (f" of {expected} expected" if expected is not None else "") +
              f", seq {s['first_seq']}..{s['last_seq']} (joined at {s['joined_seq']}), gaps {s['gaps']}, "
              f"repeats/reordered {s['repeats']}, from {s['senders']} senders")
        print(f"latency ms: p50 {l['p50']} p90 {l['p90']} p99 {l['p99']} p99.9 {l['p999']} max {l['max']} "
              f"({l['count']} samples)")
        for step, l in s["latency_ms_by_step"].items():
            print(f"  step {step}: {l['count']} msgs, p50 {l['p50']} p90 {l['p90']} p99 {l['p99']} max {l['max']} ms")
    return 0 if s["exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
