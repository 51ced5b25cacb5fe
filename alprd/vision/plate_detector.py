"""Licence plate detector: a one-class YOLO (v8/11, detection or segmentation head) on OpenVINO.

``detect`` letterboxes the BGR image, runs the model through a shared request pool
and returns plates as :class:`~alprd.domain.messages.Detection` in original image pixels.
The model's layout is checked at load: one image input ``1x3xSxS`` (S = input_size)
and a head output ``1 x (4 + 1 [+ 32 mask coefficients]) x anchors(S)``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import openvino as ov

from alprd.config import Config
from alprd.domain.messages import Box, Detection
from alprd.errors import ModelError
from alprd.vision.ov_model import ImageInput, OvModel
from alprd.vision.preprocess import Letterbox, letterbox, unletterbox_boxes
from alprd.vision.yolo import MASK_COEFFICIENTS, anchors_for, postprocess

PLATE_LABEL = "plate"
_YOLO_NAME = re.compile(r"\bYOLO[A-Za-z0-9.]*")


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
    ) -> None:
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
