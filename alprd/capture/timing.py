"""Pure timing helpers for capture: reconnect back-off, analysis-rate gate, fps meter,
latency histogram."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

from alprd.domain.messages import LatencySnapshot


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


@dataclass(slots=True)
class FpsMeter:
    """Frames per second over a sliding window of ``window_s`` seconds."""

    window_s: float = 5.0
    _times: deque[float] = field(default_factory=deque)

    def tick(self, t_s: float) -> None:
        self._times.append(t_s)
        cutoff = t_s - self.window_s
        while self._times and self._times[0] < cutoff:
            self._times.popleft()

    def fps(self, now_s: float) -> float:
        times = [t for t in self._times if t >= now_s - self.window_s]
        if len(times) < 2:
            return 0.0
        span = max(now_s - times[0], times[-1] - times[0])
        return (len(times) - 1) / span if span > 0 else 0.0


LATENCY_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, float("inf"))


@dataclass(slots=True)
class LatencyHistogram:
    """Counts observations per upper bound (``bounds_s`` ascending, the last one ``inf``)."""

    bounds_s: tuple[float, ...] = LATENCY_BUCKETS_S
    counts: list[int] = field(default_factory=list)
    sum_s: float = 0.0

    def observe(self, seconds: float) -> None:
        if not self.counts:
            self.counts = [0] * len(self.bounds_s)
        self.sum_s += seconds
        for i, bound in enumerate(self.bounds_s):
            if seconds <= bound:
                self.counts[i] += 1
                return

    def snapshot(self) -> LatencySnapshot:
        counts = self.counts or [0] * len(self.bounds_s)
        cumulative, total = [], 0
        for bound, n in zip(self.bounds_s, counts):
            total += n
            cumulative.append((bound, total))
        return LatencySnapshot(buckets=tuple(cumulative), sum_s=self.sum_s, count=total)
