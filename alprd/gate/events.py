"""The event policy of one camera, and the direction (entry/exit) of a plate's motion.

The decisions themselves (passes, previews, finals, duplicates) are in
:mod:`alprd.gate.passes`; what each setting means is in :class:`~alprd.config.CameraConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass

from alprd.config import CameraConfig
from alprd.domain.messages import Direction
from alprd.gate.tracker import Track

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
            preview_min_reads=camera.preview_min_reads,
            pass_gap_s=camera.pass_gap_s,
            final_min_reads=camera.final_min_reads,
            final_min_agreeing=camera.final_min_agreeing,
            final_min_confidence=camera.final_min_confidence,
            stationary_memory_s=camera.stationary_memory_s,
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
