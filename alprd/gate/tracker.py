"""Plate tracking across frames of one camera: greedy IoU matching with a motion guess.

Pure logic, no camera or model: :func:`match` pairs boxes; :class:`PlateTracker`
keeps the live tracks of one camera and says which ended. Tracks are frozen
dataclasses, replaced (never mutated) on every update; a track keeps every read's
box and OCR result but only its best frame, so memory stays small.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from alprd.domain.messages import Box, Frame, PlateRead


@dataclass(frozen=True, slots=True)
class Observation:
    t_s: float
    read: PlateRead

    @property
    def box(self) -> Box:
        return self.read.plate.box


@dataclass(frozen=True, slots=True)
class Track:
    track_id: int
    observations: tuple[Observation, ...]
    best_read: PlateRead
    best_frame: Frame

    @property
    def first_seen_s(self) -> float:
        return self.observations[0].t_s

    @property
    def last_seen_s(self) -> float:
        return self.observations[-1].t_s

    def predicted_box(self, t_s: float) -> Box:
        """The last box moved on at the speed of the last two observations."""
        last = self.observations[-1]
        if len(self.observations) < 2:
            return last.box
        prev = self.observations[-2]
        dt_s = last.t_s - prev.t_s
        if dt_s <= 0:
            return last.box
        scale = (t_s - last.t_s) / dt_s
        (px, py), (lx, ly) = prev.box.center, last.box.center
        dx, dy = (lx - px) * scale, (ly - py) * scale
        b = last.box
        return Box(b.x1 + dx, b.y1 + dy, b.x2 + dx, b.y2 + dy)


def read_quality(read: PlateRead) -> tuple[float, float]:
    """How good a read is as the track's picture: OCR confidence, then plate width."""
    return (read.ocr.confidence, read.plate.box.width)


def match_score(predicted: Box, detected: Box, min_iou: float, gate_widths: float) -> float:
    """IoU when it reaches ``min_iou``; else a small score for a near centre; else 0."""
    iou = predicted.iou(detected)
    if iou >= min_iou:
        return iou
    (px, py), (dx, dy) = predicted.center, detected.center
    gate_px = gate_widths * max(predicted.width, detected.width, 1.0)
    dist_px = ((px - dx) ** 2 + (py - dy) ** 2) ** 0.5
    return min_iou * 0.5 * (1.0 - dist_px / gate_px) if dist_px < gate_px else 0.0


def match(
    predicted: Sequence[Box], detected: Sequence[Box], min_iou: float = 0.1, gate_widths: float = 1.5
) -> list[tuple[int, int]]:
    """Greedy one-to-one (track index, detection index) pairs, best score first."""
    scored = [
        (match_score(p, d, min_iou, gate_widths), ti, di)
        for ti, p in enumerate(predicted)
        for di, d in enumerate(detected)
    ]
    pairs: list[tuple[int, int]] = []
    used_t: set[int] = set()
    used_d: set[int] = set()
    for score, ti, di in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if score <= 0 or ti in used_t or di in used_d:
            continue
        pairs.append((ti, di))
        used_t.add(ti)
        used_d.add(di)
    return pairs


@dataclass(frozen=True, slots=True)
class TrackUpdate:
    active: tuple[Track, ...]
    ended: tuple[Track, ...]


class PlateTracker:
    """The live plate tracks of one camera; time is passed in, so it is deterministic."""

    def __init__(self, timeout_s: float, min_iou: float = 0.1, gate_widths: float = 1.5) -> None:
        self._timeout_s = timeout_s
        self._min_iou = min_iou
        self._gate_widths = gate_widths
        self._tracks: list[Track] = []
        self._next_id = 1

    def update(self, t_s: float, reads: Sequence[PlateRead], frame: Frame) -> TrackUpdate:
        predicted = [t.predicted_box(t_s) for t in self._tracks]
        pairs = match(predicted, [r.plate.box for r in reads], self._min_iou, self._gate_widths)
        matched_d = {di for _, di in pairs}
        tracks = list(self._tracks)
        for ti, di in pairs:
            tracks[ti] = _extend(tracks[ti], Observation(t_s, reads[di]), frame)
        for di, read in enumerate(reads):
            if di not in matched_d:
                tracks.append(Track(self._next_id, (Observation(t_s, read),), read, frame))
                self._next_id += 1
        ended = tuple(t for t in tracks if t_s - t.last_seen_s > self._timeout_s)
        self._tracks = [t for t in tracks if t not in ended]
        return TrackUpdate(tuple(self._tracks), ended)

    def flush(self) -> tuple[Track, ...]:
        """End every live track (shutdown)."""
        ended, self._tracks = tuple(self._tracks), []
        return ended


MAX_OBSERVATIONS = 300  # a track keeps its first KEEP_FIRST and its latest reads (a car parked all day)
KEEP_FIRST = 30


def bounded(
    observations: tuple[Observation, ...], limit: int = MAX_OBSERVATIONS, keep_first: int = KEEP_FIRST
) -> tuple[Observation, ...]:
    """The observations with the middle ones dropped above ``limit``: where the track began
    (direction), and the latest ones (motion, votes of what is there now)."""
    if len(observations) <= limit:
        return observations
    return observations[:keep_first] + observations[len(observations) - (limit - keep_first) :]


def _extend(track: Track, obs: Observation, frame: Frame) -> Track:
    better = read_quality(obs.read) > read_quality(track.best_read)
    return replace(
        track,
        observations=bounded(track.observations + (obs,)),
        best_read=obs.read if better else track.best_read,
        best_frame=frame if better else track.best_frame,
    )
