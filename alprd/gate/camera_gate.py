"""One camera's analysis of one frame: the step a live worker and ``eval-video`` share.

frame -> motion gate (skip the detectors when nothing moves; with ``motion.regions``, look
for plates only in the moving regions and around the plates seen within track_timeout_s,
the whole frame on refreshes) -> pipeline (plates read) -> plate checks (whole, in the
ROI, outside the mask, plate-shaped, wide enough) -> passes (tracker, grouping, event
decisions) -> plate events. Time comes from the frame's timestamp, so the same frames
give the same events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

import numpy as np

from alprd.config import CameraConfig
from alprd.domain.messages import Box, Frame, ImageResult, PlateEvent, PlateRead
from alprd.gate.events import EventPolicy
from alprd.gate.motion import (
    MotionDetector,
    MotionGate,
    MotionSettings,
    Reason,
    detection_regions,
    vehicle_around,
)
from alprd.gate.passes import PassBuilder
from alprd.gate.plate_filter import PlateRules, counting
from alprd.gate.vote import Vote
from alprd.meters import LatencyHistogram


class PlateReader(Protocol):
    def read_image(self, image: np.ndarray) -> ImageResult: ...


@runtime_checkable
class RegionReader(Protocol):
    """A reader that can look for plates in parts of the frame only (the pipeline)."""

    def read_regions(self, image: np.ndarray, regions: Sequence[Box]) -> ImageResult: ...


@runtime_checkable
class LateDetailReader(Protocol):
    """A reader whose per-frame reads can leave the plate colours and the vehicle out, to be
    named once per event from its stored view (the pipeline: together they cost more than
    the OCR); it still reports the vehicles of a frame whose plates it did not read."""

    def read_without_details(self, image: np.ndarray, regions: Sequence[Box] | None) -> ImageResult: ...

    def with_details(self, read: PlateRead, image: np.ndarray) -> PlateRead: ...


# (vote, first_seen_s, last_seen_s) of a final dropped for lack of support
UnsureSink = Callable[[Vote, float, float], None]


@dataclass(frozen=True, slots=True)
class GateStats:
    frames: int  # frames taken
    detected: int  # frames the detectors ran on
    skipped_no_motion: int
    in_regions: int  # of the detected frames, those looked at in motion regions only
    unsure_dropped: int  # finals dropped for lack of support
    duplicates_merged: int  # passes merged into an earlier report of their plate


def whole(frame: Frame) -> Box:
    height, width = frame.image.shape[:2]
    return Box(0.0, 0.0, float(width), float(height))


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
        self._regions = reader if camera.motion.regions and isinstance(reader, RegionReader) else None
        self._late_details = reader if isinstance(reader, LateDetailReader) else None
        self._plates: list[tuple[float, Box]] = []  # (seen at s, box) of the last run's plates
        self._read_vehicles: list[Box] = []  # vehicles (or where they would be) whose plate the last run read
        self._frames = 0
        self._detected = 0
        self._in_regions = 0
        self._occupied = True  # a vehicle or plate in the last detection (unknown at start)
        self.latency = LatencyHistogram()  # of the frames the detectors ran on

    def on_frame(self, frame: Frame) -> list[PlateEvent]:
        """Events decided on this frame; the detectors run only when the motion gate says so."""
        self._frames += 1
        regions: list[Box] | None = None
        if self._motion is not None:
            share = self._motion.changed_share(frame.image)
            reason = self._gate.reason(frame.timestamp_s, share, self.builder.tracking, self._occupied)
            if not reason:
                return self._detailed(self.builder.on_frame(frame, ()))  # time moves on: passes may end
            regions = self._regions_of(frame, reason)
        self._detected += 1
        started = time.perf_counter()
        if regions is not None:  # (only with a region reader)
            self._in_regions += not (len(regions) == 1 and regions[0] == whole(frame))
        result = self._read(frame.image, regions)
        self.latency.observe(time.perf_counter() - started)
        self._occupied = bool(result.vehicles or result.reads)
        self._plates = [(frame.timestamp_s, r.plate.box) for r in result.reads] or [
            (t, box) for t, box in self._plates if frame.timestamp_s - t <= self.camera.track_timeout_s
        ]
        self._read_vehicles = [r.vehicle.box if r.vehicle else vehicle_around(r.plate.box) for r in result.reads]
        return self._detailed(
            self.builder.on_frame(frame, counting(result.reads, result.width, result.height, self._rules))
        )

    def _read(self, image: np.ndarray, regions: Sequence[Box] | None) -> ImageResult:
        if self._late_details is not None:
            return self._late_details.read_without_details(image, regions)
        if regions is not None and self._regions is not None:
            return self._regions.read_regions(image, regions)
        return self._reader.read_image(image)

    def _detailed(self, events: list[PlateEvent]) -> list[PlateEvent]:
        """Each event's read with its plate's colours and its vehicle in the event's own view."""
        if self._late_details is None:
            return events
        return [replace(e, read=self._late_details.with_details(e.read, e.frame.image)) for e in events]

    def _regions_of(self, frame: Frame, reason: Reason) -> list[Box] | None:
        """Where the plate detector looks: None without a region reader (the whole frame, in
        the model's square); else the motion regions (a vehicle whose plate the last run read:
        its plate's region only), or the whole frame as one region (a refresh, a new scene,
        most of it moving: padded to a multiple of 32, not to a square)."""
        if self._regions is None or self._motion is None:
            return None
        motion = self._motion.boxes()
        if reason == "refresh" or motion is None:
            return [whole(frame)]
        tracked = [box for t, box in self._plates if frame.timestamp_s - t <= self.camera.track_timeout_s]
        height, width = frame.image.shape[:2]
        found = detection_regions(motion, tracked, width, height, self._gate.settings, self._read_vehicles)
        return [whole(frame)] if found is None else found

    def flush(self, t_s: float) -> list[PlateEvent]:
        return self._detailed(self.builder.flush(t_s))

    def stats(self) -> GateStats:
        return GateStats(
            self._frames,
            self._detected,
            self._gate.skipped,
            self._in_regions,
            self.builder.unsure,
            self.builder.suppressed,
        )
