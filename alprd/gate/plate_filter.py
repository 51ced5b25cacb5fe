"""Which plate reads of a frame count: pure geometry and shape checks, per camera.

A read counts when its plate is whole (not cut by the frame border), wide enough, inside
the camera's ``roi`` (if any), outside every polygon of its ``mask`` (overlay text,
a clock, a shop sign), shaped like a plate (width/height between ``plate_aspect_min`` and
``plate_aspect_max``: a caption line is far wider than any plate), its text is no
longer than :data:`MAX_TEXT_LENGTH` and, with ``plate_text_mixed`` (the default), mixes
letters and digits (an overlay's clock, date or caption does not; switch it off where
plates of only digits or only letters are issued). On-screen text that passes all of
these (a label like "CAM01" placed where plates are) is what ``mask`` is for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alprd.domain.messages import Box, PlateRead
from alprd.gate.roi import Point, point_in_polygon

EDGE_MARGIN_PX = 2.0  # a plate touching the frame border is cut off: its read is partial
MAX_TEXT_LENGTH = 10  # the longest plate texts (KL31K3137, B1234ABC) are 8-9 characters


@dataclass(frozen=True, slots=True)
class PlateRules:
    min_plate_width_px: int = 40
    roi: tuple[Point, ...] | None = None
    mask: tuple[tuple[Point, ...], ...] = ()
    plate_aspect_min: float = 0.8
    plate_aspect_max: float = 6.5
    plate_text_mixed: bool = True


def inside_frame(box: Box, width: int, height: int, margin_px: float = EDGE_MARGIN_PX) -> bool:
    return box.x1 > margin_px and box.y1 > margin_px and box.x2 < width - margin_px and box.y2 < height - margin_px


def masked(box: Box, mask: Sequence[Sequence[Point]]) -> bool:
    """The box's centre lies in one of the mask's polygons."""
    cx, cy = box.center
    return any(point_in_polygon(cx, cy, polygon) for polygon in mask)


def plate_shaped(box: Box, aspect_min: float, aspect_max: float) -> bool:
    return box.height > 0 and aspect_min <= box.width / box.height <= aspect_max


def why_not(read: PlateRead, width: int, height: int, rules: PlateRules) -> str | None:
    """The first reason the read does not count, or None when it counts."""
    box = read.plate.box
    if not inside_frame(box, width, height):
        return "cut_by_border"
    if box.width < rules.min_plate_width_px:
        return "too_small"
    if rules.roi is not None and not point_in_polygon(*box.center, rules.roi):
        return "outside_roi"
    if masked(box, rules.mask):
        return "masked"
    if not plate_shaped(box, rules.plate_aspect_min, rules.plate_aspect_max):
        return "not_plate_shaped"
    text = read.ocr.text
    if len(text) > MAX_TEXT_LENGTH:
        return "text_too_long"
    if rules.plate_text_mixed and not (any(c.isalpha() for c in text) and any(c.isdigit() for c in text)):
        return "not_letters_and_digits"
    return None


def counting(reads: Sequence[PlateRead], width: int, height: int, rules: PlateRules) -> tuple[PlateRead, ...]:
    return tuple(r for r in reads if why_not(r, width, height, rules) is None)
