#!/usr/bin/env python3
"""Steady churn against one chatd for scripts/soak.sh, checking that no healthy client loses a message.

    perf/soak_client.py --port 7000 --duration 60 --out client.json

A fixed number of slots each run one session after another until --duration has
passed: connect, log in, join rooms, send messages and whispers, leave and join
rooms, and end (leave everything and `bye`, a plain close, or a reset in the
middle of a frame), then a short pause and a new session with a new name. The
session kinds:

  healthy  reads as fast as it can and stays connected: it must receive every
           `msg` of every room it is in, in `seq` order with no gap, from
           `joined` to `left` (docs/protocol.md, "Guarantees"); its own echoes
           must all arrive before its `left`; every whisper acknowledged to
           someone else must reach it if it stays connected long enough.
  slow     a 4 KiB receive buffer, and it stops reading for seconds at a time:
           gaps are allowed (counted as slow.lost), reordering is not; it may be
           closed with slow_consumer (counted).
  pump     a healthy session that sends 1.5 KB messages to the busy room
           (soak-0) every 50 ms, so slow readers there overflow their bound.
  text     a text-mode session (name line, /join, lines, /exit): churn only.

The last line on stderr is a summary; --out gets the whole result as JSON:
counters, the violations (the first 100 in detail), and the run's unix start
and end times, which scripts/soak.sh lines up with its samples. Exit status 0
unless the harness itself failed; judging the run is perf/soak_monitor.py's job.
Python 3 standard library only.
"""
import argparse
import asyncio
import collections
import json
import random
import socket
import struct
import sys
import time

ROOMS = ["soak-%d" % i for i in range(6)]  # the keeper stays in these: they live all run
BUSY_ROOM = ROOMS[0]
EPHEMERAL_ROOMS = ["soak-x0", "soak-x1"]  # nobody stays: created and dropped again and again
CHURN_ROOMS = ROOMS[1:] + EPHEMERAL_ROOMS
HISTORY = 1000  # chatd's --history default: the prefill fills every kept room's history
REPLY_TIMEOUT = 20.0  # a healthy client's request unanswered this long is a violation
WHISPER_MARGIN = 5.0  # a whisper acknowledged this long before its target left must have arrived


class World:
    """What all sessions share: counters, violations, who is online, whispers."""

    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.counts = collections.Counter()
        self.violations = []
        self.healthy_online = {}  # name -> Session, whisper targets
        self.whispers_acked = {}  # id -> (target name, monotonic time of whisper_sent)
        self.whispers_received = set()
        self.session_end = {}  # name -> (monotonic time it stopped reading, role)
        self.stopping = False

    def violation(self, kind, detail):
        self.counts["violation." + kind] += 1
        if len(self.violations) < 100:
            self.violations.append({"kind": kind, "detail": detail, "t": round(time.time(), 3)})


class RoomState:
    def __init__(self):
        self.state = "joining"  # joining -> member -> leaving -> (removed at `left`)
        self.next_seq = None
        self.pending_echo = set()  # ids of our msgs not yet echoed


class Session:
    def __init__(self, world, name, role):
        self.world, self.name, self.role = world, name, role
        self.rng = random.Random(world.rng.random())
        self.rooms = {}
        self.pending = {}  # rid -> future
        self.next_rid = 0
        self.reading = asyncio.Event()
        self.reading.set()
        self.eof = False
        self.reader = self.writer = self.read_task = None
        self.msg_serial = 0

    @property
    def checked(self):
        return self.role in ("healthy", "pump")

    async def connect(self):
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        if self.role == "slow":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, (self.world.args.host, self.world.args.port)), 10)
        except BaseException:
            sock.close()
            raise
        # A slow reader's stream buffer stays small so that pausing it stalls the socket.
        limit = 32 * 1024 if self.role == "slow" else 256 * 1024
        self.reader, self.writer = await asyncio.open_connection(sock=sock, limit=limit)
        self.read_task = asyncio.create_task(self.read_loop())

    # ---- reading -------------------------------------------------------------

    async def read_loop(self):
        try:
            while True:
                await self.reading.wait()
                line = await self.reader.readline()
                if not line:
                    break
                self.on_line(line)
        except (ConnectionError, OSError):
            self.world.counts["conn.reset_by_server"] += 1
        except ValueError as e:  # a line over the stream limit, or not JSON
            self.world.violation("bad_frame", "%s: %s" % (self.name, e))
        finally:
            self.eof = True
            for fut in self.pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("closed"))
            self.pending.clear()

    def on_line(self, line):
        c = self.world.counts
        if self.role == "text":
            c["text.lines"] += 1
            return
        j = json.loads(line)
        ev = j.get("ev")
        c["ev." + str(ev)] += 1
        if ev == "msg":
            self.on_msg(j)
        elif ev == "joined":
            st = self.rooms.get(j["room"])
            if st is not None and st.state == "joining":
                st.state, st.next_seq = "member", j["seq"] + 1
        elif ev == "left":
            self.on_left(j["room"])
        elif ev == "whisper":
            self.world.whispers_received.add(j.get("id"))
        elif ev == "error" and "rid" not in j:
            code = j.get("code")
            if code == "slow_consumer" and self.role == "slow":
                c["slow.slow_consumer"] += 1
            elif code == "server_shutdown":
                c["conn.server_shutdown"] += 1
            else:
                self.world.violation("unexpected_error", "%s (%s): %s" % (self.name, self.role, line[:200]))
        fut = self.pending.pop(j.get("rid"), None) if "rid" in j else None
        if fut is not None and not fut.done():
            fut.set_result(j)

    def on_msg(self, j):
        c = self.world.counts
        c["msgs.received"] += 1
        room, seq = j["room"], j["seq"]
        st = self.rooms.get(room)
        if st is None or st.state == "joining":
            self.world.violation("msg_outside_membership", "%s got %s seq %d while %s" % (
                self.name, room, seq, "not a member" if st is None else "waiting for joined"))
            return
        if seq == st.next_seq:
            st.next_seq += 1
        elif seq > st.next_seq:
            missing = seq - st.next_seq
            if self.checked:
                self.world.violation("gap", "%s (%s) in %s expected seq %d, got %d (%d lost)" % (
                    self.name, self.role, room, st.next_seq, seq, missing))
                c["healthy.lost"] += missing
            else:
                c["slow.lost"] += missing
            st.next_seq = seq + 1
        else:
            self.world.violation("out_of_order", "%s in %s expected seq %d, got %d" % (
                self.name, room, st.next_seq, seq))
        if j.get("from") == self.name:
            st.pending_echo.discard(j.get("id"))

    def on_left(self, room):
        st = self.rooms.pop(room, None)
        if st is not None and self.checked and st.pending_echo:
            self.world.violation("echo_missing", "%s left %s with %d of its msgs never echoed, e.g. %s" % (
                self.name, room, len(st.pending_echo), sorted(st.pending_echo)[:3]))

    # ---- writing -------------------------------------------------------------

    async def send(self, obj):
        self.writer.write((json.dumps(obj, separators=(",", ":")) + "\n").encode())
        await self.writer.drain()

    async def request(self, obj):
        """Sends obj with a fresh rid and returns its direct reply (None if the connection ended)."""
        self.next_rid += 1
        rid = self.next_rid
        fut = asyncio.get_running_loop().create_future()
        self.pending[rid] = fut
        obj["rid"] = rid
        try:
            await self.send(obj)
            return await asyncio.wait_for(fut, REPLY_TIMEOUT)
        except asyncio.TimeoutError:
            if self.checked:
                self.world.violation("reply_timeout", "%s: no reply to %s in %ds" % (
                    self.name, obj["op"], REPLY_TIMEOUT))
            return None
        except (ConnectionError, OSError):
            return None
        finally:
            self.pending.pop(rid, None)

    async def join(self, room):
        if room in self.rooms:
            return
        self.rooms[room] = RoomState()
        reply = await self.request({"op": "join", "room": room})
        if reply is not None and reply.get("ev") != "joined":
            self.world.violation("join_refused", "%s: %s" % (self.name, reply))

    async def leave(self, room):
        st = self.rooms.get(room)
        if st is None or st.state != "member":
            return
        st.state = "leaving"
        reply = await self.request({"op": "leave", "room": room})
        if reply is not None and reply.get("ev") != "left":
            self.world.violation("leave_refused", "%s: %s" % (self.name, reply))

    async def send_msg(self, room, size):
        st = self.rooms.get(room)
        if st is None or st.state != "member":
            return
        self.msg_serial += 1
        mid = "m%d" % self.msg_serial
        st.pending_echo.add(mid)
        text = ("%s says %d " % (self.name, self.msg_serial)).ljust(size, "x")
        await self.send({"op": "msg", "room": room, "text": text, "id": mid, "ts": int(time.time() * 1000)})
        self.world.counts["msgs.sent"] += 1

    async def whisper(self):
        targets = [n for n in self.world.healthy_online if n != self.name]
        if not targets:
            return
        to = self.rng.choice(targets)
        self.msg_serial += 1
        wid = "%s.w%d" % (self.name, self.msg_serial)
        reply = await self.request({"op": "whisper", "to": to, "text": "psst %d" % self.msg_serial, "id": wid})
        if reply is None:
            return
        if reply.get("ev") == "whisper_sent":
            self.world.whispers_acked[wid] = (to, time.monotonic())
            self.world.counts["whispers.acked"] += 1
        elif reply.get("code") == "no_such_user":  # it left in the meantime
            self.world.counts["whispers.no_such_user"] += 1
        else:
            self.world.violation("whisper_refused", "%s: %s" % (self.name, reply))

    # ---- one session ---------------------------------------------------------

    async def run(self, lifetime):
        w = self.world
        await self.connect()
        w.counts["sessions." + self.role] += 1
        try:
            if self.role == "text":
                await self.run_text(lifetime)
            else:
                await self.run_json(lifetime)
        finally:
            w.healthy_online.pop(self.name, None)
            w.session_end.setdefault(self.name, (time.monotonic(), self.role))
            if not self.writer.is_closing():
                self.writer.close()
            if self.read_task:
                try:
                    await asyncio.wait_for(self.read_task, 5)
                except (asyncio.TimeoutError, ConnectionError, OSError):
                    self.read_task.cancel()

    async def run_json(self, lifetime):
        w = self.world
        welcome = await self.request({"op": "hello", "user": self.name})
        if welcome is None or welcome.get("ev") != "welcome":
            w.violation("hello_refused", "%s: %s" % (self.name, welcome))
            return
        if self.checked:
            w.healthy_online[self.name] = self
        first = [BUSY_ROOM] if self.role in ("pump", "slow") or self.rng.random() < 0.5 else []
        for room in first + self.rng.sample(CHURN_ROOMS, self.rng.randint(1, 2)):
            await self.join(room)
        deadline = time.monotonic() + lifetime
        while time.monotonic() < deadline and not w.stopping and not self.eof:
            if self.role == "pump":
                await self.send_msg(BUSY_ROOM, 1500)
                await asyncio.sleep(0.05)
            else:
                await self.act()
                await asyncio.sleep(self.rng.uniform(0.2, 1.2))
        await self.finish()

    async def act(self):
        r = self.rng.random()
        member_rooms = [k for k, v in self.rooms.items() if v.state == "member"]
        if self.role == "slow" and r < 0.25:
            # Stop reading for a while; send nothing meanwhile (a request's
            # reply could not be read).
            self.reading.clear()
            self.world.counts["slow.pauses"] += 1
            await asyncio.sleep(self.rng.uniform(2, 10))
            self.reading.set()
        elif r < 0.55 and member_rooms:
            await self.send_msg(self.rng.choice(member_rooms), self.rng.randint(10, 400))
        elif r < 0.65:
            await self.whisper()
        elif r < 0.75:
            room = self.rng.choice(CHURN_ROOMS)
            await (self.leave(room) if room in self.rooms else self.join(room))
        elif r < 0.85:
            await self.request({"op": "ping", "ts": int(time.time() * 1000)})
        elif r < 0.9 and member_rooms:
            await self.send({"op": "typing", "room": self.rng.choice(member_rooms), "on": True})
        elif r < 0.95:
            await self.request({"op": self.rng.choice(["users", "rooms"])})
        elif member_rooms:
            # A slow reader's stream buffer holds 32 KiB: its history replies stay small.
            limit = 5 if self.role == "slow" else 20
            await self.request({"op": "history", "room": self.rng.choice(member_rooms), "limit": limit})

    async def finish(self):
        """Ends the session one of three ways; only a graceful end checks echoes."""
        w = self.world
        if self.eof:
            w.counts["end.closed_by_server"] += 1
            return
        how = self.rng.random()
        if self.role == "slow":
            self.reading.set()
        if how < 0.6 or w.stopping:
            w.counts["end.graceful"] += 1
            for room in list(self.rooms):
                await self.leave(room)
            w.healthy_online.pop(self.name, None)
            w.session_end[self.name] = (time.monotonic(), self.role)
            await self.request({"op": "bye"})
        elif how < 0.85:
            w.counts["end.close"] += 1
            w.session_end[self.name] = (time.monotonic(), self.role)
        else:
            # Half a frame, then a reset (SO_LINGER 0): the server must drop
            # the partial line with the connection.
            w.counts["end.reset"] += 1
            w.session_end[self.name] = (time.monotonic(), self.role)
            self.writer.write(b'{"op":"msg","room":"soak-1","te')
            await self.writer.drain()
            sock = self.writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.writer.transport.abort()

    async def run_keeper(self, prefilled):
        """Stays in every kept room all run, so that their histories, once full,
        hold steady: RSS after the warm-up then measures leaks, not history."""
        welcome = await self.request({"op": "hello", "user": self.name})
        if welcome is None or welcome.get("ev") != "welcome":
            self.world.violation("hello_refused", "%s: %s" % (self.name, welcome))
            prefilled.set()
            return
        self.world.healthy_online[self.name] = self
        for room in ROOMS:
            await self.join(room)
        for room in ROOMS:
            for _ in range(HISTORY):
                await self.send_msg(room, 1500 if room == BUSY_ROOM else self.rng.randint(10, 400))
                while len(self.rooms[room].pending_echo) > 100 and not self.eof:
                    await asyncio.sleep(0.01)
        prefilled.set()
        while not self.world.stopping and not self.eof:
            await asyncio.sleep(0.5)
        await self.finish()

    async def run_text(self, lifetime):
        self.writer.write(("%s\n" % self.name).encode())
        await asyncio.sleep(0.2)
        self.writer.write(("/join %s\n" % self.rng.choice(CHURN_ROOMS)).encode())
        deadline = time.monotonic() + lifetime
        n = 0
        while time.monotonic() < deadline and not self.world.stopping and not self.eof:
            n += 1
            self.writer.write(("a line from %s, number %d\n" % (self.name, n)).encode())
            await self.writer.drain()
            await asyncio.sleep(self.rng.uniform(0.5, 2))
        if not self.eof:
            self.writer.write(b"/exit\n")
            await self.writer.drain()


def pick_role(slot, rng):
    if slot < 2:
        return "pump"
    r = rng.random()
    return "slow" if r < 0.12 else "text" if r < 0.18 else "healthy"


async def slot_loop(world, slot, deadline):
    gen = 0
    while time.monotonic() < deadline:
        gen += 1
        role = pick_role(slot, world.rng)
        life = world.rng.uniform(15, 45) if role == "pump" else world.rng.uniform(2, 20)
        life = min(life, max(0.5, deadline - time.monotonic()))
        s = Session(world, "s%dg%d" % (slot, gen), role)
        try:
            await s.run(life)
        except (ConnectionError, OSError, asyncio.TimeoutError) as e:
            world.counts["connect_failed"] += 1
            world.violation("connect_failed", "%s: %r" % (s.name, e))
        await asyncio.sleep(world.rng.uniform(0.05, 0.5))


def check_whispers(world):
    for wid, (to, t_ack) in world.whispers_acked.items():
        end = world.session_end.get(to)
        if wid in world.whispers_received or end is None or end[1] not in ("healthy", "pump"):
            continue
        if end[0] - t_ack > WHISPER_MARGIN:
            world.violation("whisper_lost", "%s to %s, acknowledged %.1f s before it stopped reading" % (
                wid, to, end[0] - t_ack))


async def keeper_run(world, prefilled):
    keeper = Session(world, "keeper", "healthy")
    try:
        await keeper.connect()
        await keeper.run_keeper(prefilled)
    except (ConnectionError, OSError, asyncio.TimeoutError) as e:
        world.violation("connect_failed", "keeper: %r" % e)
    finally:
        prefilled.set()
        world.healthy_online.pop(keeper.name, None)
        world.session_end.setdefault(keeper.name, (time.monotonic(), keeper.role))
        if keeper.writer is not None and not keeper.writer.is_closing():
            keeper.writer.close()


async def main_async(args):
    world = World(args)
    prefilled = asyncio.Event()
    prefill_started = time.time()
    keeper = asyncio.create_task(keeper_run(world, prefilled))
    await prefilled.wait()
    started = time.time()
    prefill_seconds = started - prefill_started
    deadline = time.monotonic() + args.duration
    slots = [asyncio.create_task(slot_loop(world, i, deadline)) for i in range(args.clients)]
    await asyncio.sleep(args.duration)
    world.stopping = True
    done, pending = await asyncio.wait(slots + [keeper], timeout=60)
    for t in pending:
        t.cancel()
        world.violation("session_stuck", "a session did not end within 60 s of the stop")
    for t in done:
        if t.exception() is not None:
            world.violation("harness", repr(t.exception()))
    check_whispers(world)
    return {
        "started_unix": started,
        "churn_ended_unix": started + args.duration,
        "ended_unix": time.time(),
        "clients": args.clients,
        "prefill_seconds": round(prefill_seconds, 1),
        "seed": args.seed,
        "counts": dict(sorted(world.counts.items())),
        "violations": world.violations,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--duration", type=float, required=True, help="seconds of churn")
    ap.add_argument("--clients", type=int, default=40, help="sessions at once [40]")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="where to write the result JSON")
    args = ap.parse_args()
    result = asyncio.run(main_async(args))
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    c = result["counts"]
    v = sum(n for k, n in c.items() if k.startswith("violation."))
    print("soak_client: %d sessions, %d msgs sent, %d received, slow readers lost %d, %d violations" % (
        sum(n for k, n in c.items() if k.startswith("sessions.")), c.get("msgs.sent", 0),
        c.get("msgs.received", 0), c.get("slow.lost", 0), v), file=sys.stderr)


if __name__ == "__main__":
    main()
