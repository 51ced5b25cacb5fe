"""Pure timing helpers for capture: reconnect back-off and the analysis-rate gate (the
fps meter and latency histogram every stage shares are in ``alprd.meters``)."""

from __future__ import annotations

import random
from dataclasses import dataclass


def backoff_delay_s(
    attempt: int, min_s: float, max_s: float, jitter: float = 0.2, rand: random.Random | None = None
) -> float:
    """Exponential back-off ``min_s * 2**attempt`` capped at ``max_s``, +/- ``jitter`` share.

    ``attempt`` counts failures since the last good frame, from 0.
    """
    base = min(max_s, min_s * (2 ** min(attempt, 30)))
    r = (rand or random).uniform(-jitter, jitter)
    return max(0.0, min(max_s, base * (1.0 + r)))


@dataclass(slots=True)
class RateGate:
    """Lets through at most ``fps`` events per second, on a fixed schedule.

    ``due(t_s)`` is true when ``t_s`` reached the next slot; the schedule then moves on
    by one period (or restarts from ``t_s`` after a long gap), so the long-run rate is
    ``fps`` even when frames arrive at an unrelated rate.
    """

    fps: float
    next_s: float | None = None

    def due(self, t_s: float) -> bool:
        period = 1.0 / self.fps
        if self.next_s is None or t_s >= self.next_s + period:
            self.next_s = t_s + period
            return True
        if t_s >= self.next_s:
            self.next_s += period
            return True
        return False
