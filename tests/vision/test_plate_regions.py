"""Plate detection in regions of a frame: the box maths, the head decoding, and real
OpenVINO inference on real photos of ../shared/datasets/openalpr-eu (same plate, same place)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import openvino as ov
import pytest

from alprd.domain.messages import Box
from alprd.errors import ModelError
from alprd.vision.plate_detector import (
    PlateDetector,
    Window,
    cut_by_window,
    head_levels,
    region_window,
    window_to_square,
)
from alprd.vision.preprocess import letterbox_params
from alprd.vision.yolo import decode_levels
from tests.vision.test_plate_detector import MODEL, PHOTOS, truth

LB_720P = letterbox_params(1280, 720, 640)  # scale 0.5, the picture at y 140..500 of the square


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        # the whole frame: 640 x 360 model px, on the grid: rows 128..512 (not the 640 square)
        (Box(0, 0, 1280, 720), Window(0, 128, 640, 384)),
        # 400 x 300 px -> model x 50..250, y 165..315 -> grid 32..256, 160..320 -> 256 x 256,
        # moved down into the picture's rows
        (Box(100, 50, 500, 350), Window(0, 128, 256, 256)),
        (Box(300, 240, 900, 560), Window(96, 224, 384, 256)),  # grid 128..480 x 256..448, centred
        (Box(1200, 700, 1400, 800), Window(512, 384, 128, 128)),  # clipped, shifted inside
        (Box(0, 0, 3, 3), Window(0, 128, 128, 128)),
        (Box(1300, 10, 1400, 20), None),  # outside the frame
        (Box(10, 10, 10, 50), None),  # no width
    ],
)
def test_region_window(region: Box, expected: Window | None) -> None:
    assert region_window(region, LB_720P) == expected


@pytest.mark.parametrize(
    ("boxes", "window", "expected"),
    [
        # a window inside the picture: every side is inner
        ([[0, 50, 60, 70], [100, 100, 120, 110], [200, 1, 250, 30]], Window(128, 224, 256, 256), [True, False, True]),
        ([[230, 240, 256, 250]], Window(128, 224, 256, 256), [True]),  # at the right and bottom sides
        # a window at the picture's left side and above its first row (140): those sides cut
        # nothing; its right side does
        ([[0, 20, 40, 40], [10, 0, 30, 20], [200, 20, 255, 40]], Window(0, 128, 256, 256), [False, False, True]),
        ([[0, 0, 640, 384]], Window(0, 128, 640, 384), [False]),  # the whole picture
    ],
)
def test_cut_by_window(boxes: list, window: Window, expected: list) -> None:
    assert cut_by_window(np.array(boxes, np.float32), window, LB_720P).tolist() == expected


@pytest.mark.parametrize(
    ("boxes", "window", "expected"),
    [
        ([[10, 20, 30, 40]], Window(96, 224, 384, 256), [[106, 244, 126, 264]]),
        ([[-5, -5, 400, 30]], Window(96, 224, 384, 256), [[96, 224, 480, 254]]),  # clipped to it
        ([], Window(0, 0, 64, 64), np.zeros((0, 4))),
    ],
)
def test_window_to_square(boxes: list, window: Window, expected: list) -> None:
    np.testing.assert_allclose(window_to_square(np.array(boxes, np.float32), window), np.array(expected, np.float32))


def one_hot(bins: list[int], h: int, w: int, y: int, x: int) -> np.ndarray:
    """Box logits (64 x h x w) that put each side's distribution on one bin at (y, x)."""
    logits = np.zeros((1, 64, h, w), np.float32)
    for side, b in enumerate(bins):
        logits[0, side * 16 + b, y, x] = 50.0
    return logits


def test_decode_levels() -> None:
    # level 0 (stride 8): 2 x 3 map, a plate at (y 1, x 2): centre (2.5, 1.5) anchor px,
    # sides l t r b = 2, 1, 3, 0 bins -> (0.5, 0.5, 5.5, 1.5) x 8. Level 1 scores too low.
    cls0 = np.full((1, 1, 2, 3), -10.0, np.float32)
    cls0[0, 0, 1, 2] = 4.0
    cls1 = np.full((1, 1, 1, 2), -1.0, np.float32)  # sigmoid 0.27 < 0.3
    raw = decode_levels([one_hot([2, 1, 3, 0], 2, 3, 1, 2), one_hot([1, 1, 1, 1], 1, 2, 0, 0)], [cls0, cls1], 0.3)
    np.testing.assert_allclose(raw.boxes_xyxy, [[4.0, 4.0, 44.0, 12.0]], atol=1e-3)
    np.testing.assert_allclose(raw.scores, [1 / (1 + np.exp(-4.0))], rtol=1e-5)
    assert raw.class_ids.tolist() == [0]
    assert len(decode_levels([one_hot([0, 0, 0, 0], 1, 1, 0, 0)], [np.full((1, 1, 1, 1), -9.0)], 0.3)) == 0


def test_a_model_without_a_yolo_head_cannot_run_on_regions() -> None:
    image = ov.opset13.parameter([1, 3, 64, 64], ov.Type.f32, name="images")
    model = ov.Model([ov.opset13.relu(image)], [image], "not-yolo")
    with pytest.raises(ModelError, match="no YOLOv8/11 head"):
        head_levels(model, Path("not-yolo.xml"))


@pytest.fixture(scope="module")
def detector(ov_core) -> PlateDetector:
    return PlateDetector(MODEL, ov_core, "CPU", input_size=640, confidence=0.25, iou=0.45, regions=True)


@pytest.fixture(scope="module")
def photos(datasets_dir: Path) -> list[tuple[np.ndarray, Box]]:
    folder = datasets_dir / "openalpr-eu"
    return [(cv2.imread(str(folder / f"{n}.jpg")), truth(folder, n)) for n in PHOTOS]


def test_a_plate_in_a_region_is_found_where_the_whole_frame_finds_it(detector: PlateDetector, photos: list) -> None:
    assert detector.runs_regions
    for image, plate in photos:
        height, width = image.shape[:2]
        (whole,) = [d for d in detector.detect(image) if d.box.iou(plate) >= 0.5]
        region = Box(plate.x1 - 150, plate.y1 - 100, plate.x2 + 150, plate.y2 + 100)
        found = detector.detect_regions(image, [region])
        best = max(found, key=lambda d: d.box.iou(plate))
        # a pixel or two apart (IoU 0.96-1.0 on these 8), as close to the truth (-0.03 .. +0.01)
        assert best.box.iou(whole.box) >= 0.9, (plate, whole.box, best.box)
        assert best.box.iou(plate) >= whole.box.iou(plate) - 0.05
        assert abs(best.confidence - whole.confidence) < 0.15
        # the whole frame as one region: the same plates as the square model's run
        (same,) = [d for d in detector.detect_regions(image, [Box(0, 0, width, height)]) if d.box.iou(plate) >= 0.5]
        assert same.box.iou(whole.box) >= 0.95


def test_a_region_away_from_the_plate_does_not_find_it(detector: PlateDetector, photos: list) -> None:
    image, plate = photos[0]  # eu1: 1000 x 750 (scale 0.64), the plate at y 340-386
    corner = Box(0, 0, 100, 100)  # a 128 px window: 200 x 200 px
    assert plate.y1 > 200 and detector.detect_regions(image, [corner]) == []
    assert detector.detect_regions(image, []) == []


def test_overlapping_regions_give_one_plate(detector: PlateDetector, photos: list) -> None:
    image, plate = photos[1]
    a = Box(plate.x1 - 200, plate.y1 - 100, plate.x2 + 50, plate.y2 + 100)
    b = Box(plate.x1 - 50, plate.y1 - 120, plate.x2 + 200, plate.y2 + 80)
    assert len([d for d in detector.detect_regions(image, [a, b]) if d.box.iou(plate) > 0.3]) == 1


def test_without_the_region_model_the_whole_frame_is_searched(ov_core, photos: list) -> None:
    plain = PlateDetector(MODEL, ov_core, "CPU", input_size=640)
    image, _ = photos[2]
    assert not plain.runs_regions
    assert plain.detect_regions(image, [Box(0, 0, 10, 10)]) == plain.detect(image)
