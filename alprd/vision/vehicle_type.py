"""Vehicle type (car, motorcycle, bus, truck) from a crop: alprd's own small classifier.

The features are the plate detector's own YOLOv8n backbone (COCO-pretrained, then
plate-tuned): its graph is cut after two backbone stages, reshaped to 224x224 and
average-pooled (128 + 256 values). A linear softmax head trained by
``tools/train_vehicle_type.py`` on ``../shared/datasets/vehicle-types`` turns them into
class probabilities. The head is a small ``.npz`` (mean, std, weights, bias, classes);
no second network is shipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openvino as ov

from alprd.errors import ModelError
from alprd.vision.ov_model import ImageInput, OvModel, file_digest
from alprd.vision.preprocess import letterbox

# the activations closing the C2f block 6 and the SPPF (block 9), whatever op the
# activation is: "/model.6/cv2/act/Mul" for SiLU, ".../act/HardSwish" for Hardswish
FEATURE_BLOCKS = ("/model.6/cv2/act/", "/model.9/cv2/act/")
FEATURE_INPUT_PX = 224


def cut_to_features(model: ov.Model, size_px: int = FEATURE_INPUT_PX) -> ov.Model:
    """The YOLO backbone up to FEATURE_BLOCKS, reshaped to a size x size input."""
    outputs = [feature_output(model, block) for block in FEATURE_BLOCKS]
    missing = [block for block, out in zip(FEATURE_BLOCKS, outputs) if out is None]
    if missing:
        raise ModelError(f"not an ultralytics YOLOv8/11 export: no {', '.join(b + '*' for b in missing)}")
    features = ov.Model(outputs, model.get_parameters(), "features")
    features.reshape({features.input(0).get_any_name(): ov.PartialShape([1, 3, size_px, size_px])})
    return features


def feature_output(model: ov.Model, block: str) -> ov.Output | None:
    """The output of the last op named ``block``* (the activation, after its parts), or None."""
    last = None
    for op in model.get_ordered_ops():
        if op.get_friendly_name().startswith(block):
            last = op
    return None if last is None else last.output(0)


def pooled(outputs: Sequence[np.ndarray]) -> np.ndarray:
    """Feature maps (1 x C x H x W each) -> one vector of channel means."""
    return np.concatenate([np.asarray(o, np.float32).reshape(o.shape[1], -1).mean(axis=1) for o in outputs])


def backbone_digest(backbone_path: Path) -> str:
    """sha256 of a backbone's weights: the IR's .bin (the .xml's twin), or the ONNX file."""
    weights = backbone_path.with_suffix(".bin") if backbone_path.suffix == ".xml" else backbone_path
    return file_digest(weights) if weights.is_file() else ""


@dataclass(frozen=True)
class LinearHead:
    mean: np.ndarray
    std: np.ndarray
    weights: np.ndarray  # features x classes
    bias: np.ndarray
    classes: tuple[str, ...]
    backbone_sha256: str = ""  # the weights its features came from ("" = not recorded: not checked)

    @classmethod
    def load(cls, path: Path) -> LinearHead:
        if not path.is_file():
            raise ModelError(f"{path}: vehicle type head not found")
        with np.load(path) as data:
            backbone = str(data["backbone_sha256"]) if "backbone_sha256" in data.files else ""
            return cls(
                data["mean"],
                data["std"],
                data["weights"],
                data["bias"],
                tuple(str(c) for c in data["classes"]),
                backbone,
            )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            mean=self.mean,
            std=self.std,
            weights=self.weights,
            bias=self.bias,
            classes=np.array(self.classes),
            backbone_sha256=np.array(self.backbone_sha256),
        )

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """N x F features -> N x classes probabilities (softmax)."""
        z = ((np.atleast_2d(features) - self.mean) / self.std) @ self.weights + self.bias
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)


def label_from_probabilities(probs: np.ndarray, classes: Sequence[str], min_confidence: float) -> tuple[str, float]:
    best = int(np.argmax(probs))
    p = float(probs[best])
    return (classes[best] if p >= min_confidence else "vehicle"), p


class VehicleTypeClassifier:
    """Type of each BGR vehicle crop; thread-safe."""

    def __init__(
        self,
        backbone_path: Path,
        head_path: Path,
        core: ov.Core,
        device: str = "AUTO",
        *,
        min_confidence: float = 0.5,
        requests: int = 2,
    ) -> None:
        self.head = LinearHead.load(head_path)
        self.min_confidence = min_confidence
        # any square detector input: the backbone is cut and reshaped to FEATURE_INPUT_PX
        self._model = OvModel(
            backbone_path,
            core,
            device,
            input_chw=(3, None, None),
            image=ImageInput(),
            requests=requests,
            transform=cut_to_features,
        )
        # after loading: a missing backbone gets OvModel's 'not found' error, not a mismatch
        if self.head.backbone_sha256 and self.head.backbone_sha256 != backbone_digest(Path(backbone_path)):
            raise ModelError(
                f"{head_path}: this vehicle type head was trained on another plate detector's backbone "
                f"(weights {self.head.backbone_sha256[:12]}…), not {backbone_path}: set "
                f"inference.vehicle_detector.classifier to the head trained for this detector "
                f"(models/README.md) or train one with tools/train_vehicle_type.py --backbone"
            )

    def features(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        tensors = [letterbox(c, FEATURE_INPUT_PX)[0][None] for c in crops]
        return np.stack([pooled(out) for out in self._model.infer_many(tensors)]) if crops else np.zeros((0, 1))

    def classify(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        probs = self.head.probabilities(self.features(crops))
        return [label_from_probabilities(p, self.head.classes, self.min_confidence) for p in probs]
