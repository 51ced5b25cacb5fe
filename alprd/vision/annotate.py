"""Draw what the pipeline found: vehicle boxes, plate boxes and the plate text.

A pure function: the input image is not modified, a copy is returned.
"""

from __future__ import annotations

import cv2
import numpy as np

from alprd.domain.messages import Box, ImageResult

VEHICLE_BGR = (255, 160, 0)
PLATE_BGR = (0, 200, 0)
LABEL_TEXT_BGR = (0, 0, 0)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def _thickness_px(image: np.ndarray) -> int:
    return max(2, round(max(image.shape[:2]) / 400))


def _rect(image: np.ndarray, box: Box, color: tuple[int, int, int], thickness: int) -> None:
    x1, y1, x2, y2 = box.as_int_list()
    cv2.rectangle(image, (x1, y1), (x2, y2), color, thickness, cv2.LINE_AA)


def _label(image: np.ndarray, text: str, x: int, y: int, color: tuple[int, int, int], scale: float) -> None:
    """Text on a filled box whose bottom-left corner is (x, y), kept inside the image."""
    thickness = max(1, round(scale * 2))
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thickness)
    h, w = image.shape[:2]
    x = min(max(0, x), max(0, w - tw - 4))
    y = max(th + base + 4, min(y, h))
    cv2.rectangle(image, (x, y - th - base - 4), (x + tw + 4, y), color, cv2.FILLED)
    cv2.putText(image, text, (x + 2, y - base - 2), FONT, scale, LABEL_TEXT_BGR, thickness, cv2.LINE_AA)


def annotate(image: np.ndarray, result: ImageResult) -> np.ndarray:
    """A copy of ``image`` with vehicles, plates and plate texts drawn."""
    out = image.copy()
    thickness = _thickness_px(out)
    scale = max(0.5, max(out.shape[:2]) / 1400)
    for vehicle in result.vehicles:
        _rect(out, vehicle.box, VEHICLE_BGR, thickness)
        x1, y1, _, _ = vehicle.box.as_int_list()
        _label(out, f"{vehicle.label} {vehicle.confidence:.2f}", x1, y1, VEHICLE_BGR, scale * 0.8)
    for read in result.reads:
        _rect(out, read.plate.box, PLATE_BGR, thickness)
        x1, y1, _, _ = read.plate.box.as_int_list()
        _label(out, f"{read.ocr.text} {read.ocr.confidence:.2f}", x1, y1 - thickness, PLATE_BGR, scale)
    return out
