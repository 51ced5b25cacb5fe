"""One camera's analysis of one frame: the step a live worker and ``eval-video`` share.

frame -> motion gate (skip the detectors when nothing moves) -> pipeline (plates read)
-> plate checks (whole, in the ROI, outside the mask, plate-shaped, wide enough) ->
passes (tracker, grouping, event decisions) -> plate events. Time comes from the
frame's timestamp, so the same frames give the same events.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from alprd.config import CameraConfig
from alprd.domain.messages import Frame, ImageResult, PlateEvent
from alprd.gate.events import EventPolicy
from alprd.gate.motion import MotionDetector, MotionGate, MotionSettings
from alprd.gate.passes import PassBuilder
from alprd.gate.plate_filter import PlateRules, counting
from alprd.gate.vote import Vote
from alprd.meters import LatencyHistogram


class PlateReader(Protocol):
    def read_image(self, image: np.ndarray) -> ImageResult: ...


# (vote, first_seen_s, last_seen_s) of a final dropped for lack of support
UnsureSink = Callable[[Vote, float, float], None]


@dataclass(frozen=True, slots=True)
class GateStats:
    frames: int  # frames taken
    detected: int  # frames the detectors ran on
    skipped_no_motion: int
    unsure_dropped: int  # finals dropped for lack of support
    duplicates_merged: int  # passes merged into an earlier report of their plate


def plate_rules(camera: CameraConfig) -> PlateRules:
    return PlateRules(
        min_plate_width_px=camera.min_plate_width_px,
        roi=camera.roi,
        mask=camera.mask,
        plate_aspect_min=camera.plate_aspect_min,
        plate_aspect_max=camera.plate_aspect_max,
        plate_text_mixed=camera.plate_text_mixed,
    )


def motion_settings(camera: CameraConfig) -> MotionSettings:
    m = camera.motion
    return MotionSettings(
        threshold=m.threshold, min_share=m.min_share, refresh_s=m.refresh_s, idle_refresh_s=m.idle_refresh_s
    )


class CameraGate:
    def __init__(
        self,
        camera_id: str,
        camera: CameraConfig,
        reader: PlateReader,
        fits: Callable[[str], bool] | None,
        on_unsure: UnsureSink | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.camera = camera
        self._reader = reader
        self._rules = plate_rules(camera)
        self.builder = PassBuilder(camera_id, EventPolicy.from_camera(camera), fits, on_unsure)
        settings = motion_settings(camera)
        self._motion = MotionDetector(settings) if camera.motion.enabled else None
        self._gate = MotionGate(settings)
        self._frames = 0
        self._detected = 0
        self._occupied = True  # a vehicle or plate in the last detection (unknown at start)
        self.latency = LatencyHistogram()  # of the frames the detectors ran on

    def on_frame(self, frame: Frame) -> list[PlateEvent]:
        """Events decided on this frame; the detectors run only when the motion gate says so."""
        self._frames += 1
        if self._motion is not None:
            share = self._motion.changed_share(frame.image)
            if not self._gate.due(frame.timestamp_s, share, self.builder.tracking, self._occupied):
                return self.builder.on_frame(frame, ())  # time moves on: passes may end
        self._detected += 1
        started = time.perf_counter()
        result = self._reader.read_image(frame.image)
        self.latency.observe(time.perf_counter() - started)
        self._occupied = bool(result.vehicles or result.reads)
        return self.builder.on_frame(frame, counting(result.reads, result.width, result.height, self._rules))

    def flush(self, t_s: float) -> list[PlateEvent]:
        return self.builder.flush(t_s)

    def stats(self) -> GateStats:
        return GateStats(self._frames, self._detected, self._gate.skipped, self.builder.unsure, self.builder.suppressed)
