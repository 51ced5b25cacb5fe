"""Meters shared by the stages: frames per second over a sliding window and a latency
histogram (capture measures its input rate, the gate its analysis rate and latency, the
web layer serves them). Pure: times are passed in."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from alprd.domain.messages import LatencySnapshot


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
