"""The best view of a plate in a pass: the picture that is stored with its event.

Not simply the most confident read: the view that shows the plate best, scored as
plate width (pixels) x sharpness x frontality, among the views whose read gave the
event's text (so the stored crop shows what was reported). Sharpness is the variance of
the Laplacian of the crop scaled to a fixed height (so size is not counted twice),
mapped to 0..1; frontality is the box's width/height ratio against the widest ratio
seen in the pass (a plate seen at an angle looks narrower). Pure functions and a small
per-pass picker; only the best frame of at most :data:`MAX_VIEWS` texts is kept, and none
once the pass is decided, so memory stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from alprd.domain.messages import Box, Frame, PlateRead

SHARP_HEIGHT_PX = 32  # crops are scaled to this height before measuring sharpness
SHARP_HALF = 150.0  # Laplacian variance that counts as half sharp
MAX_VIEWS = 5  # texts a pass keeps a view of (each holds a whole frame): the best-scored ones


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian of the grey crop scaled to ``SHARP_HEIGHT_PX`` high (0 if empty)."""
    if crop.size == 0 or crop.shape[0] < 2 or crop.shape[1] < 2:
        return 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    h, w = grey.shape[:2]
    width = max(2, round(w * SHARP_HEIGHT_PX / h))
    grey = cv2.resize(grey, (width, SHARP_HEIGHT_PX), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_32F).var())


def plate_crop(image: np.ndarray, box: Box) -> np.ndarray:
    h, w = image.shape[:2]
    x1, y1 = max(0, int(box.x1)), max(0, int(box.y1))
    x2, y2 = min(w, int(round(box.x2))), min(h, int(round(box.y2)))
    return image[y1:y2, x1:x2]


def aspect(box: Box) -> float:
    return box.width / box.height if box.height > 0 else 0.0


def view_score(box: Box, sharp: float, max_aspect: float) -> float:
    """Width x sharpness (0..1) x frontality (0..1): higher is a better picture."""
    frontal = min(1.0, aspect(box) / max_aspect) if max_aspect > 0 else 1.0
    return box.width * (sharp / (sharp + SHARP_HALF)) * frontal


@dataclass(slots=True)
class _View:
    read: PlateRead
    frame: Frame
    sharp: float


@dataclass(slots=True)
class ViewPicker:
    """Keeps the best view per read text of one pass."""

    max_aspect: float = 0.0
    views: dict[str, _View] = field(default_factory=dict)

    def offer(self, read: PlateRead, frame: Frame) -> None:
        box = read.plate.box
        self.max_aspect = max(self.max_aspect, aspect(box))
        view = _View(read, frame, sharpness(plate_crop(frame.image, box)))
        current = self.views.get(read.ocr.text)
        if current is None or self._score(view) > self._score(current):
            self.views[read.ocr.text] = view
            self._bound()

    def clear(self) -> None:
        """Forget every view (the pass's events are decided: its frames are not needed)."""
        self.views = {}

    def _bound(self) -> None:
        while len(self.views) > MAX_VIEWS:
            del self.views[min(self.views, key=lambda t: self._score(self.views[t]))]

    def merge(self, other: ViewPicker) -> None:
        self.max_aspect = max(self.max_aspect, other.max_aspect)
        for text, view in other.views.items():
            current = self.views.get(text)
            if current is None or self._score(view) > self._score(current):
                self.views[text] = view
        self._bound()

    def best(self, text: str) -> tuple[PlateRead, Frame]:
        """The best view whose read was ``text``; else the best of any read."""
        view = self.views.get(text) or max(self.views.values(), key=self._score)
        return view.read, view.frame

    def _score(self, view: _View) -> float:
        return view_score(view.read.plate.box, view.sharp, self.max_aspect)
