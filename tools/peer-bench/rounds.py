"""Latency rounds of the peer bench: every runtime timed back to back in each round, ratios
taken within a round. Standard library only, so its unit tests (test_peers.py) run without the
peers' virtualenv."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional


@dataclass
class Rounds:
    """Per-round p50 latency (ms) of each runtime; entry k of every list is from round k."""
    p50_ms: Dict[str, List[float]]

    def median(self, name: str) -> Optional[float]:
        rounds = self.p50_ms.get(name)
        return statistics.median(rounds) if rounds else None

    def ratios(self, a: str, b: str) -> List[float]:
        """a / b within each round (both timed back to back on the same machine state)."""
        if a not in self.p50_ms or b not in self.p50_ms:
            return []
        return [x / y for x, y in zip(self.p50_ms[a], self.p50_ms[b]) if y > 0]

    def ratio(self, a: str, b: str) -> Optional[float]:
        ratios = self.ratios(a, b)
        return statistics.median(ratios) if ratios else None


def interleaved(timers: Dict[str, Callable[[], float]], rounds: int) -> Rounds:
    """Calls every timer once per round, in the given order, for `rounds` rounds."""
    p50 = {name: [] for name in timers}
    for _ in range(rounds):
        for name, timer in timers.items():
            p50[name].append(timer())
    return Rounds(p50)


def runs_for_window(estimate_ms: float, seconds: float, least: int = 50) -> int:
    """edgerun bench runs that fill about `seconds` at `estimate_ms` per inference."""
    return max(least, math.ceil(seconds * 1e3 / max(estimate_ms, 1e-6)))
