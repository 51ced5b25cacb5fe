"""Region of interest: which plate detections count, as pure geometry."""

from __future__ import annotations

from collections.abc import Sequence

from alprd.domain.messages import Box

Point = tuple[float, float]


def point_in_polygon(x: float, y: float, polygon: Sequence[Point]) -> bool:
    """Even-odd rule; points on an edge may fall either way."""
    inside = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < x_cross:
                inside = not inside
    return inside


def plate_counts(box: Box, roi: Sequence[Point] | None, min_plate_width_px: int) -> bool:
    """A plate counts when it is wide enough and its centre lies in the ROI (if any)."""
    if box.width < min_plate_width_px:
        return False
    if roi is None:
        return True
    cx, cy = box.center
    return point_in_polygon(cx, cy, roi)
