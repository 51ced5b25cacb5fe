"""Vehicle detector: SSD decoding and type mapping (table-driven), real OpenVINO on photos."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
import structlog

from alprd.config import Config, InferenceConfig, SsdVehicleDetectorConfig
from alprd.domain.messages import Box
from alprd.errors import ModelError
from alprd.vision.vehicle_detector import VehicleDetector, decode_ssd, type_from_scores
from tests.thirdparty import OMZ, needs_omz

REPO_MODELS = Path(__file__).resolve().parents[2] / "models"

DETECTOR = OMZ / "vehicle-detection-0200.xml"
ATTRIBUTES = OMZ / "vehicle-attributes-recognition-barrier-0039.xml"


@pytest.mark.parametrize(
    ("rows", "min_conf", "expected"),
    [
        ([[0, 1, 0.9, 0.1, 0.2, 0.5, 0.6]], 0.5, [((100, 100, 500, 300), 0.9)]),
        ([[0, 1, 0.4, 0.1, 0.2, 0.5, 0.6]], 0.5, []),  # below threshold
        ([[-1, 0, 0.0, 0, 0, 0, 0], [0, 1, 0.9, 0.1, 0.2, 0.5, 0.6]], 0.5, [((100, 100, 500, 300), 0.9)]),
        # coordinates outside 0..1 are clipped; best first
        (
            [[0, 1, 0.6, -0.1, 0.0, 1.2, 0.5], [0, 1, 0.8, 0.0, 0.0, 0.1, 0.1]],
            0.5,
            [((0, 0, 100, 50), 0.8), ((0, 0, 1000, 250), 0.6)],
        ),
        ([[0, 1, 0.9, 0.5, 0.5, 0.5, 0.7]], 0.5, []),  # zero width dropped
    ],
)
def test_decode_ssd(rows: list, min_conf: float, expected: list) -> None:
    out = np.asarray(rows, np.float32).reshape(1, 1, -1, 7)
    got = decode_ssd(out, min_conf, width_px=1000, height_px=500)
    assert [(tuple(round(v) for v in d.box.as_int_list()), round(d.confidence, 3)) for d in got] == [
        (box, conf) for box, conf in expected
    ]
    assert all(d.label == "vehicle" for d in got)


@pytest.mark.parametrize(
    ("scores", "min_conf", "label"),
    [
        ([0.9, 0.05, 0.03, 0.02], 0.5, "car"),
        ([0.3, 0.0, 0.1, 0.6], 0.5, "car"),  # van counts as car: 0.9
        ([0.1, 0.7, 0.2, 0.0], 0.5, "bus"),
        ([0.1, 0.1, 0.8, 0.0], 0.9, "vehicle"),  # truck but unsure
        ([0.0, 0.0, 1.0, 0.0], 0.9, "truck"),
    ],
)
def test_type_from_scores(scores: list, min_conf: float, label: str) -> None:
    assert type_from_scores(np.asarray(scores), min_conf)[0] == label


@pytest.fixture(scope="module")
def vehicles(ov_core) -> VehicleDetector:
    return VehicleDetector.ssd(
        DETECTOR, ov_core, "CPU", confidence=0.5, classifier_path=ATTRIBUTES, type_min_confidence=0.0
    )


@pytest.mark.parametrize("name", ["eu1", "eu2", "eu10"])
@needs_omz
def test_finds_the_vehicle_around_the_plate(vehicles: VehicleDetector, datasets_dir: Path, name: str) -> None:
    folder = datasets_dir / "openalpr-eu"
    image = cv2.imread(str(folder / f"{name}.jpg"))
    _, x, y, w, h, _ = (folder / f"{name}.txt").read_text().split("\t")
    plate = Box(float(x), float(y), float(x) + float(w), float(y) + float(h))
    found = vehicles.detect(image)
    assert found, "no vehicle found"
    assert any(d.box.contains_point(*plate.center) and d.confidence >= 0.5 for d in found)
    assert all(d.label in ("car", "bus", "truck") for d in found)  # threshold 0: always typed
    assert all(0 <= d.box.x1 < d.box.x2 <= image.shape[1] and 0 <= d.box.y1 < d.box.y2 <= image.shape[0] for d in found)


@needs_omz
def test_no_vehicle_in_a_blank_image(vehicles: VehicleDetector) -> None:
    assert vehicles.detect(np.full((480, 640, 3), 255, np.uint8)) == []


@needs_omz
def test_yolo_backend_rejects_an_ssd_model(ov_core) -> None:
    with pytest.raises(ModelError, match="input shape"):
        VehicleDetector.yolo(DETECTOR, ov_core, "CPU", input_size=640)


def _config(tmp_path: Path, **vehicle) -> Config:
    return Config(
        base_dir=tmp_path,
        inference=InferenceConfig(models_dir=OMZ, vehicle_detector=SsdVehicleDetectorConfig(**vehicle)),
    )


@needs_omz
def test_from_config_loads_the_model_and_classifier(ov_core, tmp_path: Path, datasets_dir: Path) -> None:
    detector = VehicleDetector.from_config(
        _config(
            tmp_path,
            model=Path("vehicle-detection-0200.xml"),
            classifier=Path("vehicle-attributes-recognition-barrier-0039.xml"),
            type_min_confidence=0.0,
        ),
        ov_core,
    )
    assert detector is not None
    found = detector.detect(cv2.imread(str(datasets_dir / "openalpr-eu" / "eu3.jpg")))
    assert found and found[0].label != "vehicle"


@needs_omz
def test_default_config_uses_alprds_type_head(ov_core, tmp_path: Path, datasets_dir: Path) -> None:
    """Default: alprd's head (.npz) on the plate detector's backbone; EU photos are cars."""
    config = Config(
        base_dir=tmp_path,
        inference=InferenceConfig(models_dir=REPO_MODELS, vehicle_detector=SsdVehicleDetectorConfig(model=DETECTOR)),
    )
    detector = VehicleDetector.from_config(config, ov_core)
    assert detector is not None
    labels = [
        detector.detect(cv2.imread(str(datasets_dir / "openalpr-eu" / f"{n}.jpg")))[0].label
        for n in ("eu1", "eu2", "eu3", "eu5", "eu6")
    ]
    assert labels.count("car") >= 4, labels


@pytest.mark.parametrize(
    ("vehicle", "reason"),
    [({"model": Path("missing.xml")}, "model not found"), ({"enabled": False}, "disabled in config")],
)
def test_from_config_disables_the_stage(ov_core, tmp_path: Path, vehicle: dict, reason: str) -> None:
    with structlog.testing.capture_logs() as logs:
        assert VehicleDetector.from_config(_config(tmp_path, **vehicle), ov_core) is None
    events = [e for e in logs if e["event"] == "inference.vehicle_stage_disabled"]
    assert (
        events
        and reason in events[0]["reason"]
        and events[0]["log_level"] == logging.getLevelName(logging.WARNING).lower()
    )


def test_yolo_backend_needs_a_coco_model(ov_core) -> None:
    """A one-class YOLO (the plate detector) is not a COCO vehicle model."""
    plate_model = Path(__file__).resolve().parents[2] / "models" / "plate-detector" / "plate-yolov8n.xml"
    with pytest.raises(ModelError, match="COCO model"):
        VehicleDetector.yolo(plate_model, ov_core, "CPU", input_size=640)
