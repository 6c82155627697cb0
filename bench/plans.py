"""How much scripts/bench.sh runs: the full run (the README's figures), --quick,
and --smoke (a development check that every piece works, in about two minutes).
"""
from dataclasses import dataclass, field, replace

ALL_TARGETS = ["chatd-uring", "chatd-epoll", "chatd-ws", "chatd-all", "redis", "nats"]


@dataclass(frozen=True)
class Plan:
    name: str
    reps: int                       # interleaved repetitions of every row
    targets: list
    budget_seconds: int             # the run's time limit; the knee search stops bisecting to keep it
    fanout_span: float              # seconds of sending per fan-out step
    fanout_start: int = 400         # first rate of the geometric search, msg/s
    fanout_factor: int = 2
    fanout_max_steps: int = 6       # geometric steps before giving up on saturating (12,800 msg/s)
    bisect_steps: int = 3           # between the last good and the first bad rate
    fanout_rates: tuple = ()        # fixed rates instead of the search (smoke)
    warmup: float = 1.0             # fanout_client: first seconds left out of its figures
    closed_windows: tuple = (16, 64)
    closed_publishers: int = 4
    closed_seconds: float = 3.0
    rooms_seconds: float = 8.0
    p2p_clients: int = 1000
    p2p_msgs: int = 200             # per client: long enough (seconds) to meter
    check_targets: tuple = ("chatd-uring", "redis")  # where the second client checks loadgen
    limit_seconds: float = 3.0      # bench/fanout_limit per run
    sink_msgs: int = 20000          # loadgen's ceiling: messages per client against its sink
    update_readme: bool = False
    notes: list = field(default_factory=list)

    def estimate_fixed_seconds(self):
        """The rows after the knee search, per repetition and target (connect,
        send, drain, restart), to reserve their time in the budget."""
        per_target = sum(self.closed_seconds + self.warmup + 2.5 for _ in self.closed_windows)
        per_target += self.rooms_seconds + 3 + 3  # rooms + p2p
        checks = (self.fanout_span + 2.5) + (self.fanout_span + self.warmup + 2.5) + \
                 (self.rooms_seconds + self.warmup + 3)
        return self.reps * (len(self.targets) * (per_target + 1) +
                            len([t for t in self.check_targets if t in self.targets]) * checks)


PLANS = {
    "full": Plan("full", reps=3, targets=ALL_TARGETS, budget_seconds=25 * 60, fanout_span=4.0, update_readme=True),
    "quick": Plan("quick", reps=1, targets=ALL_TARGETS, budget_seconds=5 * 60, fanout_span=2.0, bisect_steps=2,
                  warmup=0.5, closed_seconds=1.5, rooms_seconds=3.0, p2p_msgs=100, limit_seconds=1.0,
                  sink_msgs=5000),
    "smoke": Plan("smoke", reps=1, targets=["chatd-uring", "redis"], budget_seconds=3 * 60, fanout_span=1.0,
                  fanout_rates=(500, 1000), warmup=0.5, closed_windows=(16,), closed_seconds=1.0,
                  rooms_seconds=1.5, p2p_clients=500, p2p_msgs=100, limit_seconds=0.5, sink_msgs=2000),
}


def plan_for(name, targets=None, reps=None):
    plan = PLANS[name]
    if targets:
        plan = replace(plan, targets=list(targets))
    if reps:
        plan = replace(plan, reps=reps)
    return plan
