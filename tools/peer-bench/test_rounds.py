"""Unit tests of the latency rounds (rounds.py; standard library only, no runtimes needed):
`python3 -m unittest discover -s tools/peer-bench`."""

import unittest

import rounds as latency


class FakeMachine:
    """A core whose other hardware thread runs during some windows: every runtime timed in
    such a window takes `slowdown` times as long. `busy` lists the busy window indices."""

    def __init__(self, busy, slowdown=1.9):
        self.busy, self.slowdown, self.window, self.calls = set(busy), slowdown, 0, []

    def timer(self, name, fast_ms):
        def time_window():
            self.calls.append(name)
            factor = self.slowdown if self.window in self.busy else 1.0
            self.window += 1
            return fast_ms * factor
        return time_window


class LatencyRoundsTest(unittest.TestCase):
    def test_rounds_time_every_runtime_once_per_round_in_order(self):
        machine = FakeMachine(busy=[])
        timers = {name: machine.timer(name, 1.0) for name in ("edgerun", "LiteRT", "ORT")}
        rounds = latency.interleaved(timers, 4)
        self.assertEqual(machine.calls, ["edgerun", "LiteRT", "ORT"] * 4)
        self.assertEqual({name: len(v) for name, v in rounds.p50_ms.items()},
                         {"edgerun": 4, "LiteRT": 4, "ORT": 4})

    def test_ratio_pairs_windows_of_the_same_round(self):
        # Round k times edgerun in window 2k and LiteRT in window 2k+1. The other thread is busy
        # during edgerun's windows of rounds 0, 1, 2 and both windows of rounds 3..6, so edgerun's
        # median is a slow window while LiteRT's is fast: the ratio of the medians says 1.5x.
        busy = [0, 2, 4] + list(range(6, 14))
        machine = FakeMachine(busy)
        rounds = latency.interleaved({"edgerun": machine.timer("edgerun", 2.9),
                                    "LiteRT": machine.timer("LiteRT", 3.7)}, 9)
        self.assertAlmostEqual(rounds.median("edgerun") / rounds.median("LiteRT"), 2.9 * 1.9 / 3.7)
        # Within a round both ran on the same machine state in 6 of 9 rounds: 2.9 / 3.7.
        self.assertAlmostEqual(rounds.ratio("edgerun", "LiteRT"), 2.9 / 3.7)
        self.assertEqual(len(rounds.ratios("edgerun", "LiteRT")), 9)

    def test_missing_runtime_has_no_latency_or_ratio(self):
        rounds = latency.interleaved({"edgerun": lambda: 1.0}, 3)
        self.assertIsNone(rounds.median("ORT"))
        self.assertIsNone(rounds.ratio("edgerun", "ORT"))
        self.assertEqual(rounds.ratios("edgerun", "ORT"), [])

    def test_runs_fill_the_window(self):
        self.assertEqual(latency.runs_for_window(0.003, 0.1), 33334)
        self.assertEqual(latency.runs_for_window(40.0, 0.1), 50)


if __name__ == "__main__":
    unittest.main()
