"""Licence plate detector: a one-class YOLO (v8/11, detection or segmentation head) on OpenVINO.

``detect`` letterboxes the BGR image, runs the model through a shared request pool
and returns plates as :class:`~alprd.domain.messages.Detection` in original image pixels.
The model's layout is checked at load: one image input ``1x3xSxS`` (S = input_size)
and a head output ``1 x (4 + 1 [+ 32 mask coefficients]) x anchors(S)``.

``detect_regions`` looks only inside given boxes of a frame (motion regions): each crop is
scaled as the whole frame would be for the S square (so a plate has the size the model
sees on a full-frame run), padded to a multiple of 32 and run through a second compile of
the model cut before its DFL/anchor steps (the export fixed those to S; the convolutions
take any size); the boxes are decoded in numpy and mapped back to frame pixels.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
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
REGION_MULTIPLE_PX = 32  # a region's model input is padded to a multiple of the largest stride
REGION_STEP_PX = 128  # ... and its sides come in steps of this: few shapes to prepare


def detector_name(description: str, path: Path) -> str:
    """The architecture a detector file says it is: "YOLOv8n" from "Ultralytics YOLOv8n
    model trained on ...", "YOLO11s" from "... YOLO11s ..."; else the file's stem."""
    found = _YOLO_NAME.search(description)
    return found.group(0) if found else path.stem


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
class RegionCrop:
    """Where a region's model input came from: frame pixels x1..x2, y1..y2, scaled by
    ``scale_x``/``scale_y`` (model px per frame px), placed at the top left of an
    ``input_w`` x ``input_h`` input (the rest: grey)."""

    x1: int
    y1: int
    x2: int
    y2: int
    scale_x: float
    scale_y: float
    input_w: int
    input_h: int


def _span(lo: int, hi: int, size: int, limit: int) -> tuple[int, int]:
    """lo..hi grown to ``size`` (at most ``limit``) around its middle, shifted into 0..limit."""
    size = min(max(size, hi - lo), limit)
    start = min(max((lo + hi - size) // 2, 0), limit - size)
    return start, start + size


def region_crop(
    region: Box, scale: float, width_px: int, height_px: int, step_px: int = REGION_STEP_PX
) -> RegionCrop | None:
    """The frame pixels a region's model input holds, None for a region with no pixels in the
    frame. The input's sides come in steps of ``step_px`` (up to the whole frame's, rounded up
    to 32): few input shapes, each of which the model prepares once; the crop grows to fill
    its input (more context rather than padding)."""
    x1, y1 = max(0, int(math.floor(region.x1))), max(0, int(math.floor(region.y1)))
    x2, y2 = min(width_px, int(math.ceil(region.x2))), min(height_px, int(math.ceil(region.y2)))
    if x2 <= x1 or y2 <= y1:
        return None

    def side(lo: int, hi: int, limit: int) -> tuple[int, int, int, int]:
        whole = -(-math.ceil(limit * scale) // REGION_MULTIPLE_PX) * REGION_MULTIPLE_PX
        size = min(-(-math.ceil((hi - lo) * scale) // step_px) * step_px, whole)
        lo, hi = _span(lo, hi, int(size / scale), limit)
        return lo, hi, min(size, max(1, round((hi - lo) * scale))), size

    x1, x2, w, input_w = side(x1, x2, width_px)
    y1, y2, h, input_h = side(y1, y2, height_px)
    return RegionCrop(x1, y1, x2, y2, w / (x2 - x1), h / (y2 - y1), input_w, input_h)


def region_tensor(image: np.ndarray, crop: RegionCrop) -> np.ndarray:
    """1 x input_h x input_w x 3 model input: the crop scaled, padded (grey, right and bottom)."""
    pixels = image[crop.y1 : crop.y2, crop.x1 : crop.x2]
    w = round((crop.x2 - crop.x1) * crop.scale_x)
    h = round((crop.y2 - crop.y1) * crop.scale_y)
    if (w, h) != (pixels.shape[1], pixels.shape[0]):
        interpolation = cv2.INTER_AREA if crop.scale_x < 1 else cv2.INTER_LINEAR
        pixels = cv2.resize(pixels, (w, h), interpolation=interpolation)
    out = np.full((1, crop.input_h, crop.input_w, 3), PAD_VALUE, np.uint8)
    out[0, :h, :w] = pixels
    return out


def region_to_frame(boxes_xyxy: np.ndarray, crop: RegionCrop) -> np.ndarray:
    """Boxes (N x 4) in a region's model pixels -> frame pixels, clipped to the region."""
    boxes = np.asarray(boxes_xyxy, np.float32).reshape(-1, 4).copy()
    boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]] / crop.scale_x + crop.x1, crop.x1, crop.x2)
    boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]] / crop.scale_y + crop.y1, crop.y1, crop.y2)
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
        self._model = OvModel(
            Path(model_path),
            core,
            device,
            input_chw=(3, input_size, input_size),
            image=ImageInput(model_color="RGB", scale=255.0),
            requests=requests,
            num_threads=num_threads,
            precision_hint=precision_hint,
        )
        self._head, self._classes = head_layout(self._model.output_shapes, input_size, self._model.path)
        if self._classes != 1:
            raise ModelError(f"{model_path}: a plate detector has one class, this model has {self._classes}")
        self._regions: OvModel | None = None
        if regions:
            self._regions = self._region_model(core, device, requests, num_threads, precision_hint)

    def _region_model(
        self, core: ov.Core, device: str, requests: int, num_threads: int | None, precision_hint: str | None
    ) -> OvModel | None:
        """The model cut for regions, warmed up once here (before threads share it); None,
        logged, when it cannot be cut (``detect_regions`` then looks at the whole frame)."""
        try:
            model = OvModel(
                self._model.path,
                core,
                device,
                input_chw=(3, None, None),
                image=ImageInput(model_color="RGB", scale=255.0),
                requests=requests,
                num_threads=num_threads,
                precision_hint=precision_hint,
                transform=lambda m: head_levels(m, self._model.path),
            )
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
        return f"{detector_name(self._model.description, self._model.path)} (OpenVINO)"

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
        raw = postprocess(outputs[self._head], self._classes, self.confidence, self.iou)
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

    def detect_regions(self, image: np.ndarray, regions: Sequence[Box]) -> list[Detection]:
        """Plates inside the regions (frame pixels) of one BGR frame, best first, boxes in
        frame pixels; each region at the scale the whole frame gets in the model's square."""
        if self._regions is None:
            return self.detect(image)
        self._prepare(image[:1, :1])  # the same checks of the image
        height, width = image.shape[:2]
        scale = min(self.input_size / width, self.input_size / height)
        crops = [c for c in (region_crop(r, scale, width, height) for r in regions) if c is not None]
        outputs = self._regions.infer_many([region_tensor(image, c) for c in crops])
        found = [(decode_levels(out[:3], out[3:], self.confidence), c) for out, c in zip(outputs, crops)]
        raw = RawDetections(
            np.concatenate([region_to_frame(r.boxes_xyxy, c) for r, c in found] or [np.zeros((0, 4), np.float32)]),
            np.concatenate([r.scores for r, _ in found] or [np.zeros(0, np.float32)]),
            np.concatenate([r.class_ids for r, _ in found] or [np.zeros(0, np.int64)]),
        )
        raw = class_aware_nms(raw, self.iou)  # across regions too: overlapping ones see a plate twice
        return [
            Detection(Box(*map(float, box)), float(score), PLATE_LABEL)
            for box, score in zip(raw.boxes_xyxy, raw.scores)
            if box[2] > box[0] and box[3] > box[1]
        ]
