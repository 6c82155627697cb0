#!/usr/bin/env python3
"""Tests for the knee search, the knee test and the report's arithmetic, with a
fake server whose capacity is known (no sockets, a second):

    python3 bench/harness_test.py
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import meter  # noqa: E402
import report_tables  # noqa: E402
import workloads as wl  # noqa: E402
from plans import plan_for  # noqa: E402

harness.log = lambda msg: None


class FakeTarget:
    name = "fake"


class FakeSession:
    """A server that keeps up below `capacity` msg/s: p99 grows past it."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.target = FakeTarget()
        self.rep = 1
        self.rates = []

    def run(self, client, workload, tag, args, timeout, rate, phase):
        self.rates.append(rate)
        ok = rate <= self.capacity
        return {"lost": 0, "timed_out": False, "received": rate * 1000 * 4, "traffic_seconds": 4.005,
                "p50_ms": 5.0, "p99_ms": 20.0 if ok else 400.0}


class Unlimited:
    cut = []

    def sweep_allows(self, seconds):
        return True


class KneeSearch(unittest.TestCase):
    def search(self, capacity, plan=None):
        s = FakeSession(capacity)
        k = harness.knee_search(s, plan or plan_for("full"), Unlimited())
        return k, s.rates

    def test_geometric_then_bisection(self):
        k, rates = self.search(2300)
        self.assertEqual(rates[:4], [400, 800, 1600, 3200])  # 3200 is the first bad
        self.assertEqual(rates[4:], [2400, 2000, 2200])      # three bisections
        self.assertEqual((k["knee"], k["first_bad"]), (2200, 2400))

    def test_bad_at_the_start_goes_down(self):
        k, rates = self.search(150)
        self.assertEqual(rates, [400, 200, 100, 150, 180, 160])
        self.assertEqual((k["knee"], k["first_bad"]), (150, 160))

    def test_never_saturated_says_so(self):
        k, rates = self.search(10 ** 9)
        self.assertEqual(len(rates), plan_for("full").fanout_max_steps)
        self.assertIsNone(k["first_bad"])
        self.assertEqual(k["knee"], 400 * 2 ** 5)

    def test_budget_stops_bisection(self):
        class Spent(Unlimited):
            cut = []

            def __init__(self):
                self.calls = 0

            def sweep_allows(self, seconds):
                self.calls += 1
                return self.calls <= 4  # the four geometric steps only
        s = FakeSession(2300)
        k = harness.knee_search(s, plan_for("full"), Spent())
        self.assertEqual(s.rates, [400, 800, 1600, 3200])
        self.assertTrue(k["cut_by_budget"])
        self.assertEqual(k["knee"], 1600)


class KneeTest(unittest.TestCase):
    def row(self, **kw):
        r = {"lost": 0, "timed_out": False, "received": 2_000_000, "traffic_seconds": 1.01, "p50_ms": 10.0,
             "p99_ms": 30.0}
        r.update(kw)
        return r

    def test_good(self):
        self.assertEqual(wl.knee_verdict(self.row(), 2000), (True, "ok"))

    def test_each_criterion_fails_alone(self):
        self.assertFalse(wl.knee_verdict(self.row(lost=1), 2000)[0])
        self.assertFalse(wl.knee_verdict(self.row(timed_out=True), 2000)[0])
        self.assertFalse(wl.knee_verdict(self.row(p99_ms=50.1), 2000)[0])
        # 2 M deliveries over 1.2 s of sending: 83% of the offered 2 M/s.
        self.assertFalse(wl.knee_verdict(self.row(traffic_seconds=1.21), 2000)[0])


class MeterWindow(unittest.TestCase):
    def test_interpolates_and_holds_briefly_past_the_end(self):
        series = [(0.0, 0.0), (1.0, 10.0), (2.0, 20.0)]
        self.assertEqual(meter._at(series, 0.5), 5.0)
        self.assertEqual(meter._at(series, 2.0 + meter.SAMPLE_SECONDS), 20.0)
        self.assertIsNone(meter._at(series, 2.0 + 3 * meter.SAMPLE_SECONDS))
        self.assertIsNone(meter._at(series, -0.1))


class Formatting(unittest.TestCase):
    def test_num(self):
        cases = {2_412_345: "2.41 M", 241_234: "241 k", 24_123: "24.1 k", 2412: "2,412", 24.12: "24.1",
                 0.2412: "0.241", None: "–"}
        for v, want in cases.items():
            self.assertEqual(report_tables.num(v), want)

    def test_spread_and_cell(self):
        s = report_tables.spread([3.0, 1.0, 2.0, None])
        self.assertEqual((s["median"], s["min"], s["max"], s["n"]), (2.0, 1.0, 3.0, 3))
        self.assertEqual(report_tables.cell(s, flagged=True), "2 [1–3] ⚑")
        self.assertEqual(report_tables.cell(report_tables.spread([2.5]), noisy=True), "2.50 ≈")

    def test_agreement_within_ten_percent(self):
        rows = [{"target": "t", "workload": "fanout-check", "client": "loadgen", "delivered_per_s": 100.0,
                 "p50_ms": 10.0, "p99_ms": 20.0},
                {"target": "t", "workload": "fanout-check", "client": "fanout_client", "run_delivered_per_s": 109.0,
                 "run_p50_ms": 11.5, "run_p99_ms": 20.0}]
        a = report_tables.agreement(rows)[0]
        self.assertFalse(a["agree"])  # p50 is 15% off
        rows[1]["run_p50_ms"] = 10.9
        self.assertTrue(report_tables.agreement(rows)[0]["agree"])


if __name__ == "__main__":
    unittest.main()
