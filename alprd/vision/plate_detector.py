"""Licence plate detector: a one-class YOLO (v8/11, detection or segmentation head) on OpenVINO.

``detect`` letterboxes the BGR image, runs the model through a shared request pool
and returns plates as :class:`~alprd.domain.messages.Detection` in original image pixels.
The model's layout is checked at load: one image input ``1x3xSxS`` (S = input_size)
and a head output ``1 x (4 + 1 [+ 32 mask coefficients]) x anchors(S)``.

``detect_regions`` looks only inside given boxes of a frame (motion regions): each is a
window of the whole frame's letterboxed square, on its 32 px grid (so the model sees the
very pixels, at the scale, of a whole-frame run), run through a second compile of the
model cut before its DFL/anchor steps (the export fixed those to S; the convolutions take
any size); the boxes are decoded in numpy and mapped back to frame pixels.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import openvino as ov

from alprd.config import Config
from alprd.domain.messages import Box, Detection
from alprd.errors import ModelError
from alprd.log import get_logger
from alprd.vision.ov_model import ImageInput, OvModel
from alprd.vision.preprocess import PAD_VALUE, Letterbox, letterbox, unletterbox_boxes
from alprd.vision.yolo import (
    MASK_COEFFICIENTS,
    STRIDES,
    RawDetections,
    anchors_for,
    class_aware_nms,
    decode_levels,
    postprocess,
)

log = get_logger(__name__)

PLATE_LABEL = "plate"
_YOLO_NAME = re.compile(r"\bYOLO[A-Za-z0-9.]*")
# the last convolution of each level's box (cv2) and class (cv3) branch in an ultralytics export
_HEAD_CONV = re.compile(r"/model\.(\d+)/cv([23])\.(\d)/cv[23]\.\d\.2/Conv$")
REGION_MULTIPLE_PX = 32  # a region's window starts and ends on the grid of the largest stride
REGION_STEP_PX = 128  # ... and its sides come in steps of this: few input shapes to prepare


def detector_name(description: str, path: Path) -> str:
    """The architecture a detector file says it is: "YOLOv8n" from "Ultralytics YOLOv8n
    model trained on ...", "YOLO11s" from "... YOLO11s ..."; else the file's stem."""
    found = _YOLO_NAME.search(description)
    return found.group(0) if found else path.stem


def algorithm_name(description: str, path: Path) -> str:
    """What runs, as the API names it: "YOLOv8n (OpenVINO)"."""
    return f"{detector_name(description, path)} (OpenVINO)"


def head_layout(output_shapes: Sequence[tuple[int, ...]], size_px: int, path: Path) -> tuple[int, int]:
    """(index of the head output, number of classes) of a YOLO model; ModelError if not YOLO."""
    anchors = anchors_for(size_px)
    for index, shape in enumerate(output_shapes):
        if len(shape) == 3 and shape[0] == 1 and shape[2] == anchors:
            extra = MASK_COEFFICIENTS if len(output_shapes) > 1 else 0
            classes = shape[1] - 4 - extra
            if classes >= 1:
                return index, classes
    raise ModelError(
        f"{path}: not a YOLO detection model for input {size_px}: outputs "
        f"{[list(s) for s in output_shapes]}, expected 1 x (4 + classes) x {anchors}"
    )


def head_levels(model: ov.Model, path: Path) -> ov.Model:
    """The detector cut before its DFL and anchor steps: outputs the box convolution of each
    level (1 x 64 x h x w), then the class convolution of each (1 x classes x h x w); input
    1 x 3 x any x any (multiples of 32). ModelError when the head is not an ultralytics one."""
    found: dict[tuple[int, str, int], ov.Output] = {}
    for op in model.get_ordered_ops():
        match = _HEAD_CONV.search(op.get_friendly_name())
        if match:
            found[(int(match[1]), match[2], int(match[3]))] = op.output(0)
    last = max((key[0] for key in found), default=-1)
    try:
        outputs = [found[(last, branch, level)] for branch in "23" for level in range(len(STRIDES))]
    except KeyError:
        raise ModelError(f"{path}: no YOLOv8/11 head convolutions found (cannot run on regions)") from None
    cut = ov.Model(outputs, model.get_parameters(), "plate-head-levels")
    cut.reshape({cut.input(0).get_any_name(): ov.PartialShape([1, 3, -1, -1])})
    return cut


@dataclass(frozen=True, slots=True)
class Window:
    """A region's part of the model's letterboxed square: x, y (multiples of 32), w x h px."""

    x: int
    y: int
    w: int
    h: int


def _window_side(lo: float, hi: float, content: tuple[int, int], step_px: int) -> tuple[int, int] | None:
    """(start, size) along one side: lo..hi (model px) snapped out to the 32 px grid, grown
    to a multiple of ``step_px``, at most the content's span (itself on the grid)."""
    grid = REGION_MULTIPLE_PX
    c1, c2 = content[0] // grid * grid, -(-content[1] // grid) * grid
    lo, hi = max(lo, content[0]), min(hi, content[1])
    if hi <= lo:
        return None
    g1, g2 = int(math.floor(lo / grid)) * grid, int(math.ceil(hi / grid)) * grid
    size = min(-(-(g2 - g1) // step_px) * step_px, c2 - c1)
    start = (g1 + g2 - size) // (2 * grid) * grid  # centred on the grid
    start = min(max(start, g2 - size), g1)  # holding lo..hi
    return min(max(start, c1), c2 - size), size


def region_window(region: Box, lb: Letterbox, step_px: int = REGION_STEP_PX) -> Window | None:
    """The window of the letterboxed square (``lb``) that holds a region of the frame: on the
    32 px grid of the whole-frame input, so the model sees the very pixels of a whole-frame
    run there; sides in steps of ``step_px`` (few input shapes, each prepared once by the
    model), never past the picture's span. None for a region outside the picture."""
    xs = _window_side(
        region.x1 * lb.scale + lb.pad_x_px,
        region.x2 * lb.scale + lb.pad_x_px,
        (lb.pad_x_px, lb.pad_x_px + lb.resized_w_px),
        step_px,
    )
    ys = _window_side(
        region.y1 * lb.scale + lb.pad_y_px,
        region.y2 * lb.scale + lb.pad_y_px,
        (lb.pad_y_px, lb.pad_y_px + lb.resized_h_px),
        step_px,
    )
    if xs is None or ys is None:
        return None
    return Window(xs[0], ys[0], xs[1], ys[1])


WINDOW_EDGE_PX = 2  # a box this close to a window's inner side is cut by it


def cut_by_window(boxes_xyxy: np.ndarray, window: Window, lb: Letterbox) -> np.ndarray:
    """Which boxes (N x 4, the window's pixels) touch a side of the window that lies inside
    the picture (not a side of the picture itself): plates the window may have cut."""
    boxes = np.asarray(boxes_xyxy, np.float32).reshape(-1, 4)
    e = WINDOW_EDGE_PX
    left = window.x > lb.pad_x_px
    top = window.y > lb.pad_y_px
    right = window.x + window.w < lb.pad_x_px + lb.resized_w_px
    bottom = window.y + window.h < lb.pad_y_px + lb.resized_h_px
    return (
        (left & (boxes[:, 0] <= e))
        | (top & (boxes[:, 1] <= e))
        | (right & (boxes[:, 2] >= window.w - e))
        | (bottom & (boxes[:, 3] >= window.h - e))
    )


def window_to_square(boxes_xyxy: np.ndarray, window: Window) -> np.ndarray:
    """Boxes (N x 4) in a window's pixels -> the square's pixels, clipped to the window."""
    boxes = np.asarray(boxes_xyxy, np.float32).reshape(-1, 4).copy()
    boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]] + window.x, window.x, window.x + window.w)
    boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]] + window.y, window.y, window.y + window.h)
    return boxes


class PlateDetector:
    """Finds licence plates. ``detect``/``detect_batch`` block and are thread-safe."""

    def __init__(
        self,
        model_path: Path,
        core: ov.Core,
        device: str = "AUTO",
        *,
        input_size: int = 640,
        confidence: float = 0.25,
        iou: float = 0.45,
        requests: int = 2,
        num_threads: int | None = None,
        precision_hint: str | None = None,
        regions: bool = False,
    ) -> None:
        """``regions``: also compile the model for ``detect_regions`` (any input size)."""
        self.input_size = input_size
        self.confidence = confidence
        self.iou = iou
        # Both compiles of the model (the square input, and the cut one for regions) load alike.
        self._load = partial(
            OvModel,
            Path(model_path),
            core,
            device,
            image=ImageInput(model_color="RGB", scale=255.0),
            requests=requests,
            num_threads=num_threads,
            precision_hint=precision_hint,
        )
        self._model = self._load(input_chw=(3, input_size, input_size))
        self._head, self._classes = head_layout(self._model.output_shapes, input_size, self._model.path)
        if self._classes != 1:
            raise ModelError(f"{model_path}: a plate detector has one class, this model has {self._classes}")
        self._regions: OvModel | None = None
        if regions:
            self._regions = self._region_model()

    def _region_model(self) -> OvModel | None:
        """The model cut for regions, warmed up once here (before threads share it); None,
        logged, when it cannot be cut (``detect_regions`` then looks at the whole frame)."""
        try:
            model = self._load(input_chw=(3, None, None), transform=lambda m: head_levels(m, self._model.path))
        except ModelError as exc:
            log.warning("inference.regions_unavailable", error=str(exc))
            return None
        model.infer(np.full((1, REGION_MULTIPLE_PX, REGION_MULTIPLE_PX, 3), PAD_VALUE, np.uint8))
        return model

    @classmethod
    def from_config(cls, config: Config, core: ov.Core) -> PlateDetector:
        cfg = config.inference.plate_detector
        return cls(
            config.model_path(cfg.model),
            core,
            config.inference.device,
            input_size=cfg.input_size,
            confidence=cfg.confidence,
            iou=cfg.iou,
            requests=config.inference.workers,
            regions=True,  # any camera may look at motion regions (motion.regions)
        )

    @property
    def model_path(self) -> Path:
        return self._model.path

    @property
    def algorithm(self) -> str:
        """What runs, as the API names it: "YOLOv8n (OpenVINO)", read from the loaded model."""
        return algorithm_name(self._model.description, self._model.path)

    @property
    def execution_precision(self) -> str:
        """What the device computes in ("f32", "bf16", ...), as OpenVINO reports it."""
        return self._model.execution_precision

    def _prepare(self, image: np.ndarray) -> tuple[np.ndarray, Letterbox]:
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 BGR image, got {image.shape} {image.dtype}")
        square, lb = letterbox(image, self.input_size)
        return square[None], lb

    def _detections(self, outputs: list[np.ndarray], lb: Letterbox, image: np.ndarray) -> list[Detection]:
        return self._in_image(postprocess(outputs[self._head], self._classes, self.confidence, self.iou), lb, image)

    def _in_image(self, raw: RawDetections, lb: Letterbox, image: np.ndarray) -> list[Detection]:
        """Detections in the square's pixels -> in the image's pixels."""
        height, width = image.shape[:2]
        boxes = unletterbox_boxes(raw.boxes_xyxy, lb, width, height)
        return [
            Detection(Box(*map(float, box)), float(score), PLATE_LABEL)
            for box, score in zip(boxes, raw.scores)
            if box[2] > box[0] and box[3] > box[1]
        ]

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Plates in one BGR image, best first, boxes in the image's pixels."""
        tensor, lb = self._prepare(image)
        return self._detections(self._model.infer(tensor), lb, image)

    def detect_batch(self, images: Sequence[np.ndarray]) -> list[list[Detection]]:
        """``detect`` for several images, overlapped on the request pool; same order."""
        prepared = [self._prepare(image) for image in images]
        outputs = self._model.infer_many([tensor for tensor, _ in prepared])
        return [self._detections(out, lb, img) for out, (_, lb), img in zip(outputs, prepared, images)]

    @property
    def runs_regions(self) -> bool:
        """Whether ``detect_regions`` really looks at regions only (else at the whole frame)."""
        return self._regions is not None

    def _in_windows(self, square: np.ndarray, windows: Sequence[Window]) -> list[tuple[RawDetections, Window]]:
        """Each window's plates (after NMS), in the window's pixels."""
        assert self._regions is not None
        tensors = [np.ascontiguousarray(square[:, w.y : w.y + w.h, w.x : w.x + w.w]) for w in windows]
        outputs = self._regions.infer_many(tensors)
        return [
            (class_aware_nms(decode_levels(out[:3], out[3:], self.confidence), self.iou), w)
            for out, w in zip(outputs, windows)
        ]

    def detect_regions(self, image: np.ndarray, regions: Sequence[Box]) -> list[Detection]:
        """Plates inside the regions (frame pixels) of one BGR frame, best first, boxes in
        frame pixels: each region's window of the letterboxed frame through the region model."""
        if self._regions is None:
            return self.detect(image)
        square, lb = self._prepare(image)
        windows = [w for w in (region_window(r, lb) for r in regions) if w is not None]
        found = self._in_windows(square, windows)
        if any(cut_by_window(r.boxes_xyxy, w, lb).any() for r, w in found):
            # a plate cut by a window's inner side (its box and so its read would be wrong):
            # the whole picture instead, this time
            whole = region_window(Box(0.0, 0.0, float(image.shape[1]), float(image.shape[0])), lb)
            found = self._in_windows(square, [whole] if whole is not None else [])
        raw = RawDetections(
            np.concatenate([window_to_square(r.boxes_xyxy, w) for r, w in found] or [np.zeros((0, 4), np.float32)]),
            np.concatenate([r.scores for r, _ in found] or [np.zeros(0, np.float32)]),
            np.concatenate([r.class_ids for r, _ in found] or [np.zeros(0, np.int64)]),
        )
        raw = class_aware_nms(raw, self.iou)  # across windows too: overlapping ones see a plate twice
        return self._in_image(raw, lb, image)
