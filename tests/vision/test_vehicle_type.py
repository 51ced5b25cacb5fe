"""alprd's vehicle type classifier: pure head maths and real crops of vehicle-types."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import openvino as ov
import pytest

from alprd.errors import ModelError
from alprd.vision.vehicle_type import (
    LinearHead,
    VehicleTypeClassifier,
    backbone_digest,
    cut_to_features,
    feature_output,
    label_from_probabilities,
    pooled,
)

MODELS = Path(__file__).resolve().parents[2] / "models"
HEAD = MODELS / "vehicle-type" / "vehicle-type-head.npz"
BACKBONE = MODELS / "plate-detector" / "plate-yolov8n.xml"
FAST_BACKBONE = MODELS / "plate-detector" / "plate-yolov8n-hs416.xml"
FAST_HEAD = MODELS / "vehicle-type" / "vehicle-type-head-hs416.npz"
CLASSES = ("car", "motorcycle", "bus", "truck")


@pytest.mark.parametrize(
    ("probs", "min_conf", "expected"),
    [
        ([0.7, 0.1, 0.1, 0.1], 0.5, "car"),
        ([0.1, 0.1, 0.2, 0.6], 0.5, "truck"),
        ([0.4, 0.3, 0.2, 0.1], 0.5, "vehicle"),
        ([0.0, 1.0, 0.0, 0.0], 0.99, "motorcycle"),
    ],
)
def test_label_from_probabilities(probs: list, min_conf: float, expected: str) -> None:
    assert label_from_probabilities(np.asarray(probs), CLASSES, min_conf)[0] == expected


def test_linear_head_softmax_and_round_trip(tmp_path: Path) -> None:
    head = LinearHead(
        np.zeros(2, np.float32),
        np.ones(2, np.float32),
        np.array([[1, 0, 0, 0], [0, 1, 0, 0]], np.float32),
        np.zeros(4, np.float32),
        CLASSES,
    )
    probs = head.probabilities(np.array([[10.0, 0.0], [0.0, 10.0]]))
    assert probs.shape == (2, 4) and np.allclose(probs.sum(axis=1), 1.0)
    assert probs.argmax(axis=1).tolist() == [0, 1]
    head.save(tmp_path / "h.npz")
    again = LinearHead.load(tmp_path / "h.npz")
    assert again.classes == CLASSES and np.allclose(again.weights, head.weights)
    with pytest.raises(ModelError):
        LinearHead.load(tmp_path / "missing.npz")


def test_pooled_takes_channel_means() -> None:
    a = np.arange(2 * 4, dtype=np.float32).reshape(1, 2, 2, 2)
    b = np.ones((1, 3, 1, 1), np.float32)
    assert pooled([a, b]).tolist() == [1.5, 5.5, 1.0, 1.0, 1.0]


def toy_backbone(activation: str) -> ov.Model:
    """conv -> activation named like ultralytics' export, for blocks 6 and 9, then a head."""
    from openvino import opset13 as ops

    x = ops.parameter([1, 3, 32, 32], ov.Type.f32, name="images")
    out = x
    for block in (6, 9):
        w = ops.constant(np.full((3, 3, 1, 1), 0.1, np.float32))
        conv = ops.convolution(out, w, [1, 1], [0, 0], [0, 0], [1, 1])
        if activation == "Mul":  # SiLU: x * sigmoid(x), two ops, the Mul is the output
            sig = ops.sigmoid(conv)
            sig.set_friendly_name(f"/model.{block}/cv2/act/Sigmoid")
            out = ops.multiply(conv, sig)
        else:
            out = ops.hswish(conv)
        out.set_friendly_name(f"/model.{block}/cv2/act/{activation}")
    head = ops.relu(out)
    return ov.Model([head], [x], "toy")


@pytest.mark.parametrize("activation", ["Mul", "HardSwish"])
def test_features_are_cut_after_the_activation_whatever_it_is(activation: str) -> None:
    model = toy_backbone(activation)
    out = feature_output(model, "/model.9/cv2/act/")
    assert out is not None and out.get_node().get_friendly_name() == f"/model.9/cv2/act/{activation}"
    cut = cut_to_features(model, size_px=64)
    assert [o.get_node().input_value(0).get_node().get_friendly_name() for o in cut.outputs] == [
        f"/model.6/cv2/act/{activation}",
        f"/model.9/cv2/act/{activation}",
    ]
    assert list(cut.input(0).get_shape()) == [1, 3, 64, 64]


def test_a_model_without_the_blocks_is_refused() -> None:
    from openvino import opset13 as ops

    x = ops.parameter([1, 3, 8, 8], ov.Type.f32)
    with pytest.raises(ModelError, match="/model.6/cv2/act/"):
        cut_to_features(ov.Model([ops.relu(x)], [x]))


@pytest.mark.parametrize("pair", ["default", "fast"])
def test_classifies_real_vehicle_crops(pair: str, ov_core, datasets_dir: Path) -> None:
    backbone, head = (BACKBONE, HEAD) if pair == "default" else (FAST_BACKBONE, FAST_HEAD)
    folder = datasets_dir / "vehicle-types"
    with (folder / "labels.csv").open() as f:
        rows = list(csv.DictReader(f))
    sample = [r for c in CLASSES for r in [x for x in rows if x["class"] == c][::40][:6]]  # 24 crops
    classifier = VehicleTypeClassifier(backbone, head, ov_core, "CPU", min_confidence=0.0)
    labels = [label for label, _ in classifier.classify([cv2.imread(str(folder / r["file"])) for r in sample])]
    correct = sum(label == r["class"] for label, r in zip(labels, sample))
    assert correct >= 16, list(zip(labels, (r["class"] for r in sample)))  # seen in training: a sanity floor
    assert set(labels) <= set(CLASSES) and len(set(labels)) >= 3


def test_the_backbone_may_come_at_any_detector_input_size(ov_core, datasets_dir: Path, tmp_path: Path) -> None:
    """The classifier cuts and reshapes the backbone itself: a 416 export gives the 640 one's features."""
    full = ov_core.read_model(str(BACKBONE))  # its head is fixed to 640; keep the backbone only
    model = ov.Model(
        [feature_output(full, "/model.6/cv2/act/"), feature_output(full, "/model.9/cv2/act/")],
        full.get_parameters(),
        "backbone",
    )
    model.reshape({model.input(0).get_any_name(): ov.PartialShape([1, 3, 416, 416])})
    small = tmp_path / "plate-416.xml"
    ov.save_model(model, str(small))
    folder = datasets_dir / "vehicle-types"
    with (folder / "labels.csv").open() as f:
        crops = [cv2.imread(str(folder / row["file"])) for row in list(csv.DictReader(f))[:3]]
    unpaired = tmp_path / "head.npz"  # a head that records no backbone is not checked
    replace(LinearHead.load(HEAD), backbone_sha256="").save(unpaired)
    big = VehicleTypeClassifier(BACKBONE, HEAD, ov_core, "CPU").features(crops)
    assert np.allclose(VehicleTypeClassifier(small, unpaired, ov_core, "CPU").features(crops), big, atol=1e-3)


def test_each_committed_head_records_its_backbone_and_refuses_the_other(ov_core) -> None:
    assert LinearHead.load(HEAD).backbone_sha256 == backbone_digest(BACKBONE)
    assert LinearHead.load(FAST_HEAD).backbone_sha256 == backbone_digest(FAST_BACKBONE) != backbone_digest(BACKBONE)
    with pytest.raises(ModelError, match="trained on another plate detector's backbone"):
        VehicleTypeClassifier(FAST_BACKBONE, HEAD, ov_core, "CPU")
    with pytest.raises(ModelError, match="vehicle_detector.classifier"):
        VehicleTypeClassifier(BACKBONE, FAST_HEAD, ov_core, "CPU")
