"""Motion gating: run the detectors only when something moves (Frigate's idea, simplified).

:class:`MotionDetector` works on a small grey copy of the frame (every n-th pixel,
about ``width_px`` wide, blurred): it compares it with a running average of past frames, thresholds the
difference, and reports the share of the picture that changed. A sudden change of most
of the picture (a zoom jump, lights switched on, a camera's exposure step) is motion too,
and the average is reset to the new picture at once.

:class:`MotionGate` decides per analysed frame whether the detectors run: when there is
motion; while a plate is being tracked (a vehicle that stops in front of a barrier stays
tracked, so it keeps being read); every ``refresh_s`` while the last detection found a
vehicle or a plate without a read (a car that stopped before its plate was read is read
once it can be: Frigate's periodic check of stationary objects); and every
``idle_refresh_s`` in an empty scene, as a safety net. A camera that sees nothing pays
for the small motion check and a rare refresh. Both are deterministic: time comes from
the frames.

Motion regions (Frigate's regions, simplified) say *where* to look: the changed blobs of
the small mask as boxes in frame pixels (:func:`mask_boxes`), padded, grown to a minimum
size, clipped and merged (:func:`detection_regions`, pure box maths below), together with
the recently tracked plates' boxes. The plate detector then runs on those crops only;
when they cover most of the picture, on a refresh, or when there is no mask yet, on the
whole frame (``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from alprd.domain.messages import Box

RESET_SHARE = 0.5  # more than this share of the picture changed at once: a new scene


@dataclass(frozen=True, slots=True)
class MotionSettings:
    width_px: int = 160  # the frame is scaled to this width for the check
    threshold: int = 25  # grey-level change (0-255) that counts as a changed pixel
    min_share: float = 0.002  # share of the picture that must change to be motion
    alpha: float = 0.2  # weight of a new frame in the running average
    refresh_s: float = 2.0  # the detectors run at least this often while a vehicle or plate is in view
    idle_refresh_s: float = 10.0  # ... and this often when the last detection found nothing
    min_blob_px: int = 16  # changed pixels (of the small mask, after dilation) a blob needs to count
    region_pad: float = 0.25  # a motion box grows by this share of its size on each side
    plate_pad: float = 1.0  # a tracked plate's box grows by this share of its size on each side
    region_min_share: float = 0.25  # a region is at least this share of the frame's longer side, each way
    region_max_share: float = 0.6  # regions covering more of the frame than this: the whole frame instead


class MotionDetector:
    """Changed share of the picture against a running average (one camera, one thread)."""

    def __init__(self, settings: MotionSettings = MotionSettings()) -> None:
        self.settings = settings
        self._average: np.ndarray | None = None
        self._previous: np.ndarray | None = None
        self._changed: np.ndarray | None = None  # the last frame's moving pixels (small), None: a new scene
        self._step = 1

    def _small(self, image: np.ndarray) -> np.ndarray:
        """Every n-th pixel (about ``width_px`` across; a strided view costs nothing), grey, blurred."""
        step = self._step = max(1, image.shape[1] // self.settings.width_px)
        small = np.ascontiguousarray(image[::step, ::step])
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        return cv2.GaussianBlur(grey, (5, 5), 0).astype(np.float32)

    def changed_share(self, image: np.ndarray) -> float:
        """The share (0..1) of the picture that changed; 1.0 for the first frame."""
        small = self._small(image)
        previous, self._previous = self._previous, small
        if self._average is None or self._average.shape != small.shape or previous is None:
            self._average, self._changed = small.copy(), None
            return 1.0
        changed = np.abs(small - self._average) > self.settings.threshold
        share = float(changed.mean())
        if share > RESET_SHARE:
            self._average, self._changed = small.copy(), None
        else:
            cv2.accumulateWeighted(small, self._average, self.settings.alpha)
            # where it moves now: changed against the average and against the previous frame
            # (the average alone keeps a fading trail behind a vehicle for a few frames)
            self._changed = changed & (np.abs(small - previous) > self.settings.threshold)
        return share

    def boxes(self) -> list[Box] | None:
        """The last frame's changed blobs as boxes in frame pixels; None after a new scene."""
        if self._changed is None:
            return None
        return mask_boxes(self._changed, self._step, self.settings.min_blob_px)


Reason = Literal["", "motion", "tracking", "refresh"]


@dataclass(slots=True)
class MotionGate:
    """Whether the detectors run on a frame: motion, live tracks, or a refresh due."""

    settings: MotionSettings = MotionSettings()
    last_run_s: float | None = None
    last_full_s: float | None = None  # the last run on the whole frame
    skipped: int = 0

    def due(self, t_s: float, changed_share: float, tracking: bool, occupied: bool = True) -> bool:
        """``tracking``: a plate is followed now; ``occupied``: the last detection found a
        vehicle or a plate (a car standing there, its plate not read yet)."""
        return bool(self.reason(t_s, changed_share, tracking, occupied))

    def reason(self, t_s: float, changed_share: float, tracking: bool, occupied: bool = True) -> Reason:
        """Why the detectors run on this frame ("" when they do not). "refresh": look at the
        whole frame (also due every ``refresh_s`` while motion or tracking keeps them
        running, so a vehicle standing beside a moving one is seen); "motion", "tracking":
        the regions may be enough."""
        refresh_s = self.settings.refresh_s if occupied else self.settings.idle_refresh_s
        reason: Reason = ""
        if _due(t_s, self.last_run_s, refresh_s) or _due(t_s, self.last_full_s, self.settings.refresh_s):
            reason = "refresh"
        if changed_share >= self.settings.min_share:
            reason = reason or "motion"
        elif tracking:
            reason = reason or "tracking"
        elif reason and not _due(t_s, self.last_run_s, refresh_s):
            reason = ""  # nothing moves, nothing tracked: only the refresh of the occupancy counts
        if reason:
            self.last_run_s = t_s
        if reason == "refresh":
            self.last_full_s = t_s
        if not reason:
            self.skipped += 1
        return reason


def _due(t_s: float, last_s: float | None, every_s: float) -> bool:
    """Never done, ``every_s`` passed, or time went back (a looped file: start again)."""
    return last_s is None or t_s - last_s >= every_s or t_s < last_s


# -- regions: pure box maths in frame pixels ----------------------------------------------


def mask_boxes(changed: np.ndarray, step: int, min_blob_px: int = 1) -> list[Box]:
    """Bounding boxes (frame pixels: small pixels x ``step``) of the blobs of a changed-pixel
    mask, dilated once so that the broken edges of one moving object join up."""
    mask = cv2.dilate(changed.astype(np.uint8), np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return [
        Box(float(x * step), float(y * step), float((x + w) * step), float((y + h) * step))
        for x, y, w, h, area in stats[1:count].tolist()
        if area >= min_blob_px
    ]


def pad_box(box: Box, share: float) -> Box:
    """The box grown by ``share`` of its width and height on each side."""
    dx, dy = box.width * share, box.height * share
    return Box(box.x1 - dx, box.y1 - dy, box.x2 + dx, box.y2 + dy)


def clip_box(box: Box, width_px: int, height_px: int) -> Box:
    """The part of the box inside a width x height frame (may be empty)."""
    return Box(
        min(max(box.x1, 0.0), width_px),
        min(max(box.y1, 0.0), height_px),
        min(max(box.x2, 0.0), width_px),
        min(max(box.y2, 0.0), height_px),
    )


def grow_to(box: Box, min_px: float, width_px: int, height_px: int) -> Box:
    """The box at least ``min_px`` wide and high (never more than the frame), around its
    centre, shifted back inside the frame where it would stick out."""

    def span(lo: float, hi: float, limit: int) -> tuple[float, float]:
        size = min(max(hi - lo, min_px), limit)
        start = min(max((lo + hi - size) / 2.0, 0.0), limit - size)
        return start, start + size

    x1, x2 = span(box.x1, box.x2, width_px)
    y1, y2 = span(box.y1, box.y2, height_px)
    return Box(x1, y1, x2, y2)


def overlaps(a: Box, b: Box) -> bool:
    return a.x1 < b.x2 and b.x1 < a.x2 and a.y1 < b.y2 and b.y1 < a.y2


def merge_boxes(boxes: Sequence[Box]) -> list[Box]:
    """Overlapping boxes replaced by their union until none overlap (order: first kept first)."""
    merged = list(boxes)
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                a, b = merged[i], merged[j]
                if overlaps(a, b):
                    merged[i] = Box(min(a.x1, b.x1), min(a.y1, b.y1), max(a.x2, b.x2), max(a.y2, b.y2))
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return merged


# Where the vehicle of a plate is, when the vehicle detector did not find it: a car is
# about 3.5 plate widths wide and 13 plate heights high, the plate low in its middle.
AROUND_PLATE_WIDTHS = 1.25  # each side
AROUND_PLATE_HEIGHTS_UP = 10.0
AROUND_PLATE_HEIGHTS_DOWN = 2.0


def vehicle_around(plate: Box) -> Box:
    """The box a vehicle carrying this plate would fill (generous: it only says whose motion is
    whose; a vehicle's box from the vehicle detector is used where there is one)."""
    dx, h = plate.width * AROUND_PLATE_WIDTHS, plate.height
    return Box(
        plate.x1 - dx, plate.y1 - h * AROUND_PLATE_HEIGHTS_UP, plate.x2 + dx, plate.y2 + h * AROUND_PLATE_HEIGHTS_DOWN
    )


def mostly_inside(box: Box, outer: Box, share: float = 0.5) -> bool:
    """At least ``share`` of the box's area lies in ``outer`` (a point box: when inside)."""
    ix = max(0.0, min(box.x2, outer.x2) - max(box.x1, outer.x1))
    iy = max(0.0, min(box.y2, outer.y2) - max(box.y1, outer.y1))
    if box.area == 0:
        return outer.contains_point(box.x1, box.y1)
    return ix * iy >= share * box.area


def detection_regions(
    motion: Sequence[Box],
    plates: Sequence[Box],
    width_px: int,
    height_px: int,
    settings: MotionSettings = MotionSettings(),
    explained: Sequence[Box] = (),
) -> list[Box] | None:
    """Where the plate detector looks: motion boxes and tracked plates' boxes, padded, at least
    the minimum size, clipped, merged; None (the whole frame) when they cover more than
    ``region_max_share`` of it. Motion mostly inside an ``explained`` box (padded: a vehicle
    whose plate was just read, so its plate's box is among ``plates``) needs no region of its own."""
    known = [pad_box(b, settings.region_pad) for b in explained]
    motion = [b for b in motion if not any(mostly_inside(b, k) for k in known)]
    min_px = settings.region_min_share * max(width_px, height_px)
    grown = [pad_box(b, settings.region_pad) for b in motion] + [pad_box(b, settings.plate_pad) for b in plates]
    boxes = [grow_to(clip_box(b, width_px, height_px), min_px, width_px, height_px) for b in grown]
    regions = merge_boxes(boxes)
    if sum(r.area for r in regions) > settings.region_max_share * width_px * height_px:
        return None
    return regions
