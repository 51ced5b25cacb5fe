"""Vehicle detector: finds vehicles and, where a model can tell, their type.

Two pluggable back ends behind one class, picked by ``inference.vehicle_detector.type``:

* ``ssd`` (default): Intel's ``vehicle-detection-0200`` (SSD, one class "vehicle",
  output ``1x1xNx7``), then a type classifier on each crop: alprd's own head on the
  plate detector's backbone (``.npz``, car/motorcycle/bus/truck, default) or Intel's
  ``vehicle-attributes-recognition-barrier-0039`` (``.xml``; car/bus/truck/van, van
  counts as car; weak on rear views). A type below ``type_min_confidence`` leaves the
  label "vehicle". Measured numbers in models/README.md.
* ``yolo``: a COCO YOLO (v8/11, e.g. yolo11n exported to IR by ``alprd models export``);
  COCO classes car, motorcycle, bus and truck are kept, the rest dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import openvino as ov

from alprd.config import Config, YoloVehicleDetectorConfig
from alprd.domain.messages import Box, Detection
from alprd.errors import ModelError
from alprd.log import get_logger
from alprd.vision.ov_model import ImageInput, OvModel
from alprd.vision.plate_detector import head_layout
from alprd.vision.preprocess import letterbox, unletterbox_boxes
from alprd.vision.vehicle_type import VehicleTypeClassifier
from alprd.vision.yolo import postprocess

log = get_logger(__name__)

COCO_VEHICLES = {2: "car", 3: "motorcycle", 5: "bus", 7: "truck"}
ATTRIBUTE_TYPES = ("car", "bus", "truck", "car")  # barrier-0039 'type' order: car, bus, truck, van
SSD_INPUT_PX = 256
ATTRIBUTES_INPUT_PX = 72


def decode_ssd(
    output: np.ndarray, min_confidence: float, width_px: int, height_px: int, label: str = "vehicle"
) -> list[Detection]:
    """SSD ``1x1xNx7`` rows [image, label, conf, x0, y0, x1, y1] (0..1) -> boxes in pixels."""
    rows = np.asarray(output, np.float32).reshape(-1, 7)
    rows = rows[(rows[:, 0] >= 0) & (rows[:, 2] >= min_confidence)]
    rows = rows[np.argsort(-rows[:, 2], kind="stable")]
    scale = np.array([width_px, height_px, width_px, height_px], np.float32)
    boxes = rows[:, 3:7].clip(0.0, 1.0) * scale
    return [
        Detection(Box(*map(float, box)), float(conf), label)
        for box, conf in zip(boxes, rows[:, 2])
        if box[2] > box[0] and box[3] > box[1]
    ]


def type_from_scores(scores: np.ndarray, min_confidence: float) -> tuple[str, float]:
    """barrier-0039 type softmax -> (our label, its probability); 'vehicle' when unsure."""
    probs = np.asarray(scores, np.float32).reshape(-1)
    merged: dict[str, float] = {}
    for name, prob in zip(ATTRIBUTE_TYPES, probs):
        merged[name] = merged.get(name, 0.0) + float(prob)
    best, p = max(merged.items(), key=lambda kv: kv[1])
    return (best if p >= min_confidence else "vehicle"), p


def crop(image: np.ndarray, box: Box) -> np.ndarray:
    x1, y1, x2, y2 = box.as_int_list()
    return image[max(0, y1) : max(y1 + 1, y2), max(0, x1) : max(x1 + 1, x2)]


class _Backend(Protocol):
    def detect(self, image: np.ndarray) -> list[Detection]: ...


class TypeClassifier(Protocol):
    def classify(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]: ...


class AttributesTypeClassifier:
    """Intel vehicle-attributes-recognition-barrier-0039 'type' output (weak on rear views)."""

    def __init__(self, model_path: Path, core: ov.Core, device: str, *, min_confidence: float, requests: int) -> None:
        self.min_confidence = min_confidence
        self._model = OvModel(
            model_path,
            core,
            device,
            input_chw=(3, ATTRIBUTES_INPUT_PX, ATTRIBUTES_INPUT_PX),
            image=ImageInput(model_color="BGR", scale=1.0),
            requests=requests,
        )
        if "type" not in self._model.output_names:
            raise ModelError(f"{model_path}: expected a 'type' output (vehicle-attributes-recognition)")
        self._type_index = self._model.output_names.index("type")

    def classify(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        tensors = [cv2.resize(c, (ATTRIBUTES_INPUT_PX, ATTRIBUTES_INPUT_PX))[None] for c in crops]
        outputs = self._model.infer_many(tensors)
        return [type_from_scores(out[self._type_index], self.min_confidence) for out in outputs]


def make_type_classifier(
    path: Path, core: ov.Core, device: str, *, min_confidence: float, backbone_path: Path | None, requests: int
) -> TypeClassifier:
    """A '.npz' head: alprd's classifier on the plate detector's backbone; an '.xml': Intel's."""
    if path.suffix == ".npz":
        if backbone_path is None:
            raise ModelError(f"{path}: alprd's vehicle type head needs the plate detector model as backbone")
        return VehicleTypeClassifier(
            backbone_path, path, core, device, min_confidence=min_confidence, requests=requests
        )
    return AttributesTypeClassifier(path, core, device, min_confidence=min_confidence, requests=requests)


class SsdVehicles:
    """vehicle-detection-0200 (+ optional type classifier)."""

    def __init__(
        self,
        model_path: Path,
        core: ov.Core,
        device: str,
        *,
        confidence: float,
        classifier: TypeClassifier | None,
        requests: int,
    ) -> None:
        self.confidence = confidence
        self._model = OvModel(
            model_path,
            core,
            device,
            input_chw=(3, SSD_INPUT_PX, SSD_INPUT_PX),
            image=ImageInput(model_color="BGR", scale=1.0),
            requests=requests,
        )
        if self._model.output_shapes[0][-1:] != (7,):
            raise ModelError(
                f"{model_path}: not an SSD detector (outputs {self._model.output_shapes}), "
                "expected 1x1xNx7; a COCO YOLO needs type: yolo"
            )
        self._classifier = classifier

    def detect(self, image: np.ndarray) -> list[Detection]:
        height, width = image.shape[:2]
        tensor = cv2.resize(image, (SSD_INPUT_PX, SSD_INPUT_PX))[None]
        found = decode_ssd(self._model.infer(tensor)[0], self.confidence, width, height)
        if self._classifier is None or not found:
            return found
        types = self._classifier.classify([crop(image, d.box) for d in found])
        return [Detection(d.box, d.confidence, label) for d, (label, _) in zip(found, types)]


class YoloCocoVehicles:
    """A COCO-trained YOLO (yolo11n IR): car, motorcycle, bus, truck."""

    def __init__(
        self,
        model_path: Path,
        core: ov.Core,
        device: str,
        *,
        input_size: int,
        confidence: float,
        iou: float,
        requests: int,
    ) -> None:
        self.input_size, self.confidence, self.iou = input_size, confidence, iou
        self._model = OvModel(
            model_path, core, device, input_chw=(3, input_size, input_size), image=ImageInput(), requests=requests
        )
        self._head, self._classes = head_layout(self._model.output_shapes, input_size, self._model.path)
        if self._classes < 8:
            raise ModelError(f"{model_path}: {self._classes} classes; a COCO model (80) is expected")

    def detect(self, image: np.ndarray) -> list[Detection]:
        height, width = image.shape[:2]
        square, lb = letterbox(image, self.input_size)
        raw = postprocess(self._model.infer(square[None])[self._head], self._classes, self.confidence, self.iou)
        boxes = unletterbox_boxes(raw.boxes_xyxy, lb, width, height)
        return [
            Detection(Box(*map(float, box)), float(score), COCO_VEHICLES[int(cls)])
            for box, score, cls in zip(boxes, raw.scores, raw.class_ids)
            if int(cls) in COCO_VEHICLES
        ]


class VehicleDetector:
    """Vehicles in a BGR image, labels car/motorcycle/bus/truck or 'vehicle'. Thread-safe."""

    def __init__(self, backend: _Backend) -> None:
        self._backend = backend

    @classmethod
    def ssd(
        cls,
        model_path: Path,
        core: ov.Core,
        device: str = "AUTO",
        *,
        confidence: float = 0.5,
        classifier_path: Path | None = None,
        type_min_confidence: float = 0.5,
        backbone_path: Path | None = None,
        requests: int = 2,
    ) -> VehicleDetector:
        classifier = (
            None
            if classifier_path is None
            else make_type_classifier(
                Path(classifier_path),
                core,
                device,
                min_confidence=type_min_confidence,
                backbone_path=backbone_path,
                requests=requests,
            )
        )
        return cls(
            SsdVehicles(Path(model_path), core, device, confidence=confidence, classifier=classifier, requests=requests)
        )

    @classmethod
    def yolo(
        cls,
        model_path: Path,
        core: ov.Core,
        device: str = "AUTO",
        *,
        input_size: int = 640,
        confidence: float = 0.5,
        iou: float = 0.45,
        requests: int = 2,
    ) -> VehicleDetector:
        return cls(
            YoloCocoVehicles(
                Path(model_path), core, device, input_size=input_size, confidence=confidence, iou=iou, requests=requests
            )
        )

    @classmethod
    def from_config(cls, config: Config, core: ov.Core) -> VehicleDetector | None:
        """The configured detector, or None (logged) when disabled or its model is missing."""
        cfg = config.inference.vehicle_detector
        model = config.model_path(cfg.model)
        reason = (
            "disabled in config"
            if not cfg.enabled
            else ("" if model.is_file() else f"model not found: {model} (run 'alprd models fetch')")
        )
        if reason:
            log.warning("inference.vehicle_stage_disabled", reason=reason)
            return None
        device, requests = config.inference.device, config.inference.workers
        if isinstance(cfg, YoloVehicleDetectorConfig):
            return cls.yolo(
                model, core, device, input_size=cfg.input_size, confidence=cfg.confidence, requests=requests
            )
        classifier = None if cfg.classifier is None else config.model_path(cfg.classifier)
        if classifier is not None and not classifier.is_file():
            log.warning("inference.vehicle_type_disabled", reason=f"classifier not found: {classifier}")
            classifier = None
        return cls.ssd(
            model,
            core,
            device,
            confidence=cfg.confidence,
            classifier_path=classifier,
            type_min_confidence=cfg.type_min_confidence,
            requests=requests,
            backbone_path=config.model_path(config.inference.plate_detector.model),
        )

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Vehicles in one BGR image, best first, boxes in the image's pixels."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 BGR image, got {image.shape} {image.dtype}")
        return self._backend.detect(image)

    def detect_batch(self, images: Sequence[np.ndarray]) -> list[list[Detection]]:
        return [self.detect(image) for image in images]
