"""The workloads of scripts/bench.sh: each client's arguments, and the knee test.

  fanout        1 room x 1000 members, every member publishing, open loop at a
                given total rate (loadgen); swept for the knee
  fanout-check  the same at a target's knee from fanout_client (the second client),
                beside loadgen at the same rate: the agreement check
  closed-wW     1 room x 1000 members, 4 of them publishing with W messages in
                flight each, closed loop (fanout_client: loadgen has every client
                publish, so it cannot offer this shape)
  rooms         1000 users in 25 rooms at 5,000 msg/s, open loop (loadgen's
                scenario basic, shortened); rooms-check the same from fanout_client
  p2p           whispers between random pairs, closed loop (loadgen --whisper)
"""
import math

MEMBERS = 1000
SIZE = 64
# The knee: the highest offered rate with nothing lost, at least 99% of the
# offered deliveries/s delivered, and p99 within 50 ms.
KNEE_P99_MS = 50.0
KNEE_DELIVERED = 0.99


def fanout_msgs(rate, span):
    """Messages per member so that the run sends for about `span` seconds."""
    return max(1, round(rate * span / MEMBERS))


def fanout_args(rate, span):
    msgs = fanout_msgs(rate, span)
    timeout = max(10, math.ceil(3 * msgs * MEMBERS / rate))
    return ["--ramp", str(MEMBERS), "--steps", "1", "--rooms", "1", "--rate", str(rate), "--msgs", str(msgs),
            "--size", str(SIZE), "--step-timeout", f"{timeout}s"], timeout + 15


def fanout_check_args(rate, span, warmup):
    """fanout_client sending for as long as loadgen's step at the same rate does
    (its whole-run figures are what the agreement check compares)."""
    seconds = fanout_msgs(rate, span) * MEMBERS / rate
    warmup = min(warmup, seconds / 3)
    return ["--members", str(MEMBERS), "--rate", str(rate), "--seconds", f"{seconds:g}",
            "--warmup", f"{warmup:g}", "--size", str(SIZE)], seconds + 40


def closed_args(window, publishers, seconds, warmup):
    return ["--members", str(MEMBERS), "--publishers", str(publishers), "--window", str(window),
            "--seconds", f"{seconds + warmup:g}", "--warmup", f"{warmup:g}", "--size", str(SIZE)], \
        seconds + warmup + 40


ROOMS_USERS, ROOMS_ROOMS, ROOMS_RATE = 1000, 25, 5000


def rooms_args(seconds):
    return ["--scenario", "basic", "--duration", f"{seconds:g}s"], seconds + 40


def rooms_check_args(seconds, warmup):
    warmup = min(warmup, seconds / 3)
    return ["--members", str(ROOMS_USERS), "--rooms", str(ROOMS_ROOMS), "--rate", str(ROOMS_RATE),
            "--seconds", f"{seconds:g}", "--warmup", f"{warmup:g}", "--size", str(SIZE)], seconds + 40


def p2p_args(clients, msgs):
    return ["--whisper", "--ramp", str(clients), "--steps", "1", "--msgs", str(msgs), "--rooms", "25",
            "--size", str(SIZE), "--step-timeout", "60s"], 90


def steady_delivered_per_s(row):
    """Deliveries/s while the step was sending. loadgen divides by first send ->
    last delivery, which adds the last message's time in flight to a short
    step; taking the median latency off leaves the sending time when the server
    keeps up, and still shows a backlog that grows (its late messages' latency
    is far above the median)."""
    seconds = row["traffic_seconds"] - (row.get("p50_ms") or 0) / 1000
    return row["received"] / seconds if seconds > 0 else 0.0


def knee_verdict(row, rate):
    """(ok, reason) for one fan-out step at `rate` msg/s."""
    if row.get("failed"):
        return False, row["failed"]
    offered = rate * MEMBERS
    steady = steady_delivered_per_s(row)
    row["offered_per_s"] = offered
    row["steady_delivered_per_s"] = round(steady)
    if row["lost"] > 0 or row["timed_out"]:
        return False, f"lost {row['lost']}" + (" (timed out)" if row["timed_out"] else "")
    if steady < KNEE_DELIVERED * offered:
        return False, f"delivered {steady / offered:.1%} of the offered deliveries/s"
    if (row["p99_ms"] or 0) > KNEE_P99_MS:
        return False, f"p99 {row['p99_ms']:.1f} ms > {KNEE_P99_MS:.0f} ms"
    return True, "ok"
