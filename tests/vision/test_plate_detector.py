"""Plate detector: real OpenVINO inference on real photos of ../shared/datasets/openalpr-eu."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import openvino as ov
import pytest

from alprd.config import Config, InferenceConfig, PlateDetectorConfig
from alprd.domain.messages import Box
from alprd.errors import ModelError
from alprd.vision.plate_detector import PlateDetector, detector_name, head_layout
from tests.thirdparty import OMZ, needs_omz

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS = REPO_ROOT / "models"

MODEL = MODELS / "plate-detector" / "plate-yolov8n.xml"
FAST_MODEL = MODELS / "plate-detector" / "plate-yolov8n-hs416.xml"  # Hardswish, 416
PHOTOS = ("eu1", "eu2", "eu3", "eu7", "eu10", "test_001", "test_017", "test_050")


def truth(folder: Path, name: str) -> Box:
    _, x, y, w, h, _ = (folder / f"{name}.txt").read_text().split("\t")
    return Box(float(x), float(y), float(x) + float(w), float(y) + float(h))


@pytest.fixture(scope="module")
def detector(ov_core) -> PlateDetector:
    return PlateDetector(MODEL, ov_core, "CPU", input_size=640, confidence=0.25, iou=0.45)


@pytest.fixture(scope="module")
def photos(datasets_dir: Path) -> list[tuple[np.ndarray, Box]]:
    folder = datasets_dir / "openalpr-eu"
    return [(cv2.imread(str(folder / f"{n}.jpg")), truth(folder, n)) for n in PHOTOS]


def test_finds_the_plates_at_iou_half(detector: PlateDetector, photos: list) -> None:
    for image, plate in photos:
        found = detector.detect(image)
        assert found and all(d.label == "plate" for d in found)
        assert max(d.box.iou(plate) for d in found) >= 0.5, plate
        best = max(found, key=lambda d: d.box.iou(plate))
        assert best.confidence >= 0.25
        assert [d.confidence for d in found] == sorted((d.confidence for d in found), reverse=True)


def test_the_fast_model_finds_the_plates_too(fast_detector: PlateDetector, photos: list) -> None:
    """Every plate found, its box around the plate's centre (recall at IoU 0.5: the full-set test)."""
    for image, plate in photos:
        best = max(fast_detector.detect(image), key=lambda d: d.box.iou(plate))
        assert best.box.contains_point(*plate.center) and best.box.iou(plate) >= 0.4, (plate, best)


def test_no_plate_in_a_blank_image(detector: PlateDetector) -> None:
    assert detector.detect(np.full((720, 1280, 3), 127, np.uint8)) == []


def test_boxes_are_in_original_pixels_whatever_the_size(detector: PlateDetector, photos: list) -> None:
    image, plate = photos[0]
    big = cv2.resize(image, None, fx=2.0, fy=2.0)
    found = detector.detect(big)
    doubled = Box(plate.x1 * 2, plate.y1 * 2, plate.x2 * 2, plate.y2 * 2)
    assert max(d.box.iou(doubled) for d in found) >= 0.5


def test_batch_and_threads_give_the_same_answers(detector: PlateDetector, photos: list) -> None:
    images = [image for image, _ in photos]
    single = [detector.detect(image) for image in images]
    assert detector.detect_batch(images) == single
    results: dict[int, list] = {}

    def work(index: int) -> None:
        results[index] = [detector.detect(image) for image in images]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[i] == single for i in range(3))


def test_rejects_non_bgr_images(detector: PlateDetector) -> None:
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        detector.detect(np.zeros((100, 100), np.uint8))


def test_input_shape_mismatch_is_a_clear_model_error(ov_core) -> None:
    with pytest.raises(ModelError, match=r"input shape is 1x3x640x640 but 1x3x416x416 is expected"):
        PlateDetector(MODEL, ov_core, "CPU", input_size=416)


@needs_omz
def test_a_model_that_is_not_yolo_is_refused(ov_core) -> None:
    with pytest.raises(ModelError, match="input shape"):
        PlateDetector(OMZ / "vehicle-detection-0200.xml", ov_core, "CPU")


@pytest.mark.parametrize(
    ("shapes", "size", "expected"),
    [
        ([(1, 5, 8400)], 640, (0, 1)),  # detection, one class
        ([(1, 37, 8400), (1, 32, 160, 160)], 640, (0, 1)),  # segmentation: 32 mask coefficients
        ([(1, 84, 3549)], 416, (0, 80)),  # COCO
    ],
)
def test_head_layout(shapes: list, size: int, expected: tuple) -> None:
    assert head_layout(shapes, size, Path("m.xml")) == expected


@pytest.mark.parametrize(("shapes", "size"), [([(1, 5, 8400)], 416), ([(1, 1, 200, 7)], 640)])
def test_head_layout_refuses(shapes: list, size: int) -> None:
    with pytest.raises(ModelError, match="not a YOLO"):
        head_layout(shapes, size, Path("m.xml"))


@pytest.mark.parametrize(("device", "ok"), [("CPU", True), ("AUTO", True), ("NPU", False)])
def test_device_from_config(ov_core, tmp_path: Path, device: str, ok: bool, photos: list) -> None:
    if not ok:
        with pytest.raises(ModelError, match="device must be one of"):
            PlateDetector(MODEL, ov_core, device)
        return
    config = Config(
        base_dir=tmp_path,
        inference=InferenceConfig(device=device, models_dir=MODELS, plate_detector=PlateDetectorConfig(confidence=0.5)),
    )
    detector = PlateDetector.from_config(config, ov_core)
    assert detector.model_path == MODEL and detector.confidence == 0.5
    image, plate = photos[1]
    assert max(d.box.iou(plate) for d in detector.detect(image)) >= 0.5


def test_missing_model_says_how_to_get_it(ov_core, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="alprd models fetch"):
        PlateDetector(tmp_path / "none.xml", ov_core, "CPU")


@pytest.fixture(scope="module")
def fast_detector(ov_core) -> PlateDetector:
    return PlateDetector(FAST_MODEL, ov_core, "CPU", input_size=416, confidence=0.25, iou=0.45)


@pytest.mark.parametrize("which", ["detector", "fast_detector"])
def test_recall_on_every_openalpr_eu_photo(which: str, request: pytest.FixtureRequest, datasets_dir: Path) -> None:
    """Each committed model finds >= 97 % of the 108 plates at IoU 0.5 (99.1 % measured for both)."""
    detector = request.getfixturevalue(which)
    folder = datasets_dir / "openalpr-eu"
    names = sorted(p.stem for p in folder.glob("*.txt"))
    hits = sum(
        any(d.box.iou(truth(folder, n)) >= 0.5 for d in detector.detect(cv2.imread(str(folder / f"{n}.jpg"))))
        for n in names
    )
    assert len(names) == 108 and hits / len(names) >= 0.97, f"{hits}/{len(names)}"


def test_check_input_shape_accepts_any_size_where_told(ov_core) -> None:
    from openvino import opset13 as ops

    from alprd.vision.ov_model import check_input_shape

    x = ops.parameter(ov.PartialShape([1, 3, -1, -1]), ov.Type.f32)
    dynamic = ov.Model([ops.relu(x)], [x])
    assert check_input_shape(dynamic, Path("m.xml"), (3, None, None)).input(0).get_partial_shape().is_dynamic
    assert list(check_input_shape(dynamic, Path("m.xml"), (3, 320, 320)).input(0).get_shape()) == [1, 3, 320, 320]
    static = ov_core.read_model(str(MODEL))
    assert list(check_input_shape(static, MODEL, (3, None, None)).input(0).get_shape()) == [1, 3, 640, 640]
    with pytest.raises(ModelError, match=r"input shape is 1x3x640x640 but 1x1x\?x\? is expected$"):
        check_input_shape(static, MODEL, (1, None, None))


@pytest.mark.parametrize(
    ("description", "name"),
    [
        ("Ultralytics YOLOv8n model trained on /tmp/alprd-train/openlpr-plates.yaml", "YOLOv8n"),
        ("Ultralytics YOLO11s model trained on coco.yaml", "YOLO11s"),
        ("", "plate-x"),  # a model that says nothing: its file name
        ("a detector", "plate-x"),
    ],
)
def test_detector_name(description: str, name: str) -> None:
    assert detector_name(description, Path("models/plate-x.xml")) == name


@pytest.mark.parametrize(("model", "size"), [(MODEL, 640), (FAST_MODEL, 416)])
def test_algorithm_is_read_from_the_loaded_model(model: Path, size: int) -> None:
    detector = PlateDetector(model, ov.Core(), "CPU", input_size=size)
    assert detector.algorithm == "YOLOv8n (OpenVINO)"


@pytest.mark.parametrize("device", ["CPU", "AUTO"])
def test_the_cores_performance_hint_reaches_the_models(device: str, detector: PlateDetector, photos: list) -> None:
    """make_core's hint is every model's (THROUGHPUT: one inference per core, several at
    once, for several cameras); the boxes are the same under either hint."""
    from alprd.vision.ov_model import make_core

    fast = PlateDetector(MODEL, make_core(hint="THROUGHPUT"), device, input_size=640, confidence=0.25, iou=0.45)
    assert fast._model.performance_hint == "THROUGHPUT"
    assert detector._model.performance_hint == "LATENCY"  # make_core's default (the session core)
    for image, _ in photos[:3]:
        assert [d.box for d in fast.detect(image)] == pytest.approx([d.box for d in detector.detect(image)], abs=1.0)


def test_an_unknown_performance_hint_is_a_clear_model_error() -> None:
    from alprd.vision.ov_model import make_core

    with pytest.raises(ModelError, match="LATENCY, THROUGHPUT"):
        make_core(hint="FAST")


@pytest.mark.parametrize(
    "setting, cameras, hint",
    [
        ("auto", 0, "LATENCY"),
        ("auto", 1, "LATENCY"),
        ("auto", 2, "THROUGHPUT"),
        ("auto", 8, "THROUGHPUT"),
        ("latency", 8, "LATENCY"),
        ("throughput", 1, "THROUGHPUT"),
    ],
)
def test_the_daemons_performance_hint(setting: str, cameras: int, hint: str) -> None:
    from alprd.vision.ov_model import performance_hint

    assert performance_hint(InferenceConfig(performance=setting).performance, cameras) == hint
