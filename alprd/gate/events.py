"""From tracks to plate events: one preview and one final event per vehicle pass.

* **preview**: as soon as the track's vote is confident enough (and fits the format),
  so a gate can open while the car is still there;
* **final**: when the track ends (unseen for ``track_timeout_s``), or at the latest
  ``max_event_delay_s`` after it began;
* the same plate at the same camera within ``dedupe_window_s`` is no new event;
* direction (entry/exit) from the plate's motion, when the camera defines it.

:class:`EventBuilder` is deterministic (time comes from the frames); the helpers are pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from alprd.config import CameraConfig
from alprd.domain.messages import Direction, EventKind, Frame, PlateEvent, PlateRead
from alprd.gate.tracker import PlateTracker, Track
from alprd.gate.vote import Vote, vote

_AXIS = {"down": (1, 1), "up": (1, -1), "right": (0, 1), "left": (0, -1)}  # (axis, sign)


@dataclass(frozen=True, slots=True)
class EventPolicy:
    preview_min_confidence: float = 0.85
    track_timeout_s: float = 1.5
    max_event_delay_s: float = 10.0
    dedupe_window_s: float = 30.0
    entry_direction: str | None = None
    location: str = ""
    min_motion_px: float = 20.0
    min_text_length: int = 3
    preview_min_reads: int = 2
    pass_gap_s: float = 3.0
    final_min_reads: int = 3
    final_min_agreeing: int = 2
    final_min_confidence: float = 0.5
    stationary_memory_s: float = 3600.0

    @classmethod
    def from_camera(cls, camera: CameraConfig) -> EventPolicy:
        return cls(
            preview_min_confidence=camera.preview_min_confidence,
            track_timeout_s=camera.track_timeout_s,
            max_event_delay_s=camera.max_event_delay_s,
            dedupe_window_s=camera.dedupe_window_s,
            entry_direction=camera.entry_direction,
            location=camera.location,
        )


def direction_of(track: Track, entry_direction: str | None, min_motion_px: float) -> Direction:
    """'entry' if the plate moved the entering way by ``min_motion_px``, 'exit' if the other."""
    if entry_direction is None or len(track.observations) < 2:
        return "unknown"
    axis, sign = _AXIS[entry_direction]
    start = track.observations[0].box.center[axis]
    end = track.observations[-1].box.center[axis]
    moved_px = (end - start) * sign
    if moved_px >= min_motion_px:
        return "entry"
    if moved_px <= -min_motion_px:
        return "exit"
    return "unknown"


def is_duplicate(last_final_s: Mapping[str, float], text: str, t_s: float, window_s: float) -> bool:
    """True when ``text`` had a final event less than ``window_s`` before ``t_s``."""
    seen = last_final_s.get(text)
    return seen is not None and 0 <= t_s - seen < window_s


class EventBuilder:
    """The tracker and event decisions of one camera."""

    def __init__(self, camera_id: str, policy: EventPolicy, fits: Callable[[str], bool] | None = None) -> None:
        self.camera_id = camera_id
        self.policy = policy
        self._fits = fits
        self._tracker = PlateTracker(policy.track_timeout_s)
        self._previewed: set[int] = set()  # preview decided (emitted or suppressed)
        self._preview_sent: set[int] = set()  # preview emitted: its final always follows
        self._duplicates: set[int] = set()  # judged a duplicate at preview time: no final either
        self._finalised: set[int] = set()
        self._last_final_s: dict[str, float] = {}
        self.suppressed = 0  # events not emitted because they were duplicates

    def on_frame(self, frame: Frame, reads: Sequence[PlateRead]) -> list[PlateEvent]:
        update = self._tracker.update(frame.timestamp_s, reads, frame)
        events: list[PlateEvent] = []
        for track in update.active:
            events += self._live(track, frame.timestamp_s)
        for track in update.ended:
            events += self._end(track, frame.timestamp_s)
        return events

    def flush(self, t_s: float) -> list[PlateEvent]:
        """Final events for every live track (shutdown: nothing in flight is lost)."""
        return [e for track in self._tracker.flush() for e in self._end(track, t_s)]

    def _end(self, track: Track, t_s: float) -> list[PlateEvent]:
        events = self._final(track, t_s)
        self._finalised.discard(track.track_id)
        self._previewed.discard(track.track_id)
        self._preview_sent.discard(track.track_id)
        self._duplicates.discard(track.track_id)
        return events

    def _vote(self, track: Track) -> Vote | None:
        return vote([o.read.ocr for o in track.observations], self._fits)

    def _live(self, track: Track, t_s: float) -> list[PlateEvent]:
        if track.track_id in self._finalised:
            return []
        if t_s - track.first_seen_s >= self.policy.max_event_delay_s:
            return self._final(track, t_s)
        if track.track_id in self._previewed:
            return []
        result = self._vote(track)
        if (
            result is None
            or not result.fits_format
            or len(result.text) < self.policy.min_text_length
            or result.confidence < self.policy.preview_min_confidence
        ):
            return []
        self._previewed.add(track.track_id)
        if is_duplicate(self._last_final_s, result.text, t_s, self.policy.dedupe_window_s):
            self._duplicates.add(track.track_id)
            return []
        self._preview_sent.add(track.track_id)
        return [self._event(track, result, "preview")]

    def _final(self, track: Track, t_s: float) -> list[PlateEvent]:
        if track.track_id in self._finalised:
            return []
        self._finalised.add(track.track_id)
        result = self._vote(track)
        if result is None or len(result.text) < self.policy.min_text_length:
            return []
        # One decision per pass: made at its preview if it had one, else now.
        duplicate = track.track_id in self._duplicates or (
            track.track_id not in self._preview_sent
            and is_duplicate(self._last_final_s, result.text, t_s, self.policy.dedupe_window_s)
        )
        if duplicate:
            self.suppressed += 1
            return []
        self._last_final_s[result.text] = t_s
        self._forget_old(t_s)
        return [self._event(track, result, "final")]

    def _forget_old(self, t_s: float) -> None:
        window = self.policy.dedupe_window_s
        for text in [k for k, v in self._last_final_s.items() if t_s - v >= window]:
            del self._last_final_s[text]

    def _event(self, track: Track, result: Vote, kind: EventKind) -> PlateEvent:
        return PlateEvent(
            camera_id=self.camera_id,
            track_id=track.track_id,
            kind=kind,
            text=result.text,
            confidence=result.confidence,
            read=track.best_read,
            frame=track.best_frame,
            first_seen_s=track.first_seen_s,
            last_seen_s=track.last_seen_s,
            reads_count=len(track.observations),
            direction=direction_of(track, self.policy.entry_direction, self.policy.min_motion_px),
            location=self.policy.location,
        )
