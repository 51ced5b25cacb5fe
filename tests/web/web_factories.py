"""Builders of hand-made ImageResults for the REST tests."""

from __future__ import annotations

import cv2
import numpy as np

from alprd.domain.messages import Box, Detection, ImageResult, OcrResult, PlateRead


def make_read(
    text: str, box: Box, vehicle: Detection | None, confidence: float = 0.9, background: str = "Black"
) -> PlateRead:
    return PlateRead(
        plate=Detection(box, 0.8, "plate"),
        ocr=OcrResult(text, confidence),
        vehicle=vehicle,
        text_color="White",
        background_color=background,
    )


def make_result(*plates: tuple[str, str], loose_plate: str | None = None, plateless: int = 0) -> ImageResult:
    """An ImageResult of (plate text, vehicle class) pairs, plus optional extras."""
    vehicles: list[Detection] = []
    reads: list[PlateRead] = []
    for i, (text, cls) in enumerate(plates):
        v = Detection(Box(10 + 100 * i, 10, 90 + 100 * i, 90), 0.95, cls)
        vehicles.append(v)
        reads.append(make_read(text, Box(20 + 100 * i, 60, 60 + 100 * i, 75), v))
    for j in range(plateless):
        vehicles.append(Detection(Box(5, 100 + 10 * j, 50, 150 + 10 * j), 0.7, "truck"))
    if loose_plate:
        reads.append(make_read(loose_plate, Box(300, 150, 360, 170), None, background="Yellow"))
    return ImageResult(width=400, height=200, vehicles=tuple(vehicles), reads=tuple(reads))


class FixedPipeline:
    """A stand-in for the reader's ImagePipeline: one car with a plate, one plateless truck."""

    algorithm = "FixedDetector (test)"

    def __init__(self) -> None:
        self.calls = 0

    def read_image(self, image: np.ndarray) -> ImageResult:
        self.calls += 1
        h, w = image.shape[:2]
        car = Detection(Box(40, 40, 200, 200), 0.98, "car")
        truck = Detection(Box(210, 20, 300, 120), 0.7, "truck")
        return ImageResult(w, h, (car, truck), (make_read("B 123 ABC", Box(80, 150, 160, 180), car, 0.97),))

    def annotate(self, image: np.ndarray, result: ImageResult) -> np.ndarray:
        out = image.copy()
        for v in result.vehicles:
            cv2.rectangle(out, (int(v.box.x1), int(v.box.y1)), (int(v.box.x2), int(v.box.y2)), (0, 0, 255), 2)
        return out
