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
    RegionCrop,
    head_levels,
    region_crop,
    region_tensor,
    region_to_frame,
)
from alprd.vision.yolo import decode_levels
from tests.vision.test_plate_detector import MODEL, PHOTOS, truth


@pytest.mark.parametrize(
    ("region", "scale", "expected"),
    [
        # 400 x 300 px -> 200 x 150 model px -> a 256 x 256 input: the crop grows to 512 x 512 px
        (Box(100, 50, 500, 350), 0.5, RegionCrop(44, 0, 556, 512, 0.5, 0.5, 256, 256)),
        (Box(-20.4, -3, 200.2, 100.9), 1.0, RegionCrop(0, 0, 256, 128, 1.0, 1.0, 256, 128)),  # clipped first
        (Box(1200, 700, 1400, 800), 0.5, RegionCrop(1024, 464, 1280, 720, 0.5, 0.5, 128, 128)),  # shifted inside
        (Box(0, 0, 3, 3), 0.5, RegionCrop(0, 0, 256, 256, 0.5, 0.5, 128, 128)),
        (Box(300, 240, 900, 560), 0.5, RegionCrop(216, 144, 984, 656, 0.5, 0.5, 384, 256)),
        # the whole frame: 640 x 360 model px in a 640 x 384 input (not the 640 square)
        (Box(0, 0, 1280, 720), 0.5, RegionCrop(0, 0, 1280, 720, 0.5, 0.5, 640, 384)),
        (Box(0, 0, 1280, 720), 1.0, RegionCrop(0, 0, 1280, 720, 1.0, 1.0, 1280, 736)),
        (Box(1300, 10, 1400, 20), 0.5, None),  # outside the frame
        (Box(10, 10, 10, 50), 0.5, None),  # no width
    ],
)
def test_region_crop(region: Box, scale: float, expected: RegionCrop | None) -> None:
    assert region_crop(region, scale, 1280, 720) == expected


@pytest.mark.parametrize(
    ("crop", "shape", "size"),
    [
        (RegionCrop(100, 50, 500, 350, 0.5, 0.5, 256, 256), (1, 256, 256, 3), (200, 150)),
        (RegionCrop(0, 0, 64, 32, 1.0, 1.0, 64, 32), (1, 32, 64, 3), (64, 32)),
        (RegionCrop(0, 0, 1280, 720, 0.5, 0.5, 640, 384), (1, 384, 640, 3), (640, 360)),
    ],
)
def test_region_tensor_is_the_scaled_crop_padded_grey(crop: RegionCrop, shape: tuple, size: tuple) -> None:
    image = np.zeros((720, 1280, 3), np.uint8)
    image[crop.y1 : crop.y2, crop.x1 : crop.x2] = 200
    tensor = region_tensor(image, crop)
    assert tensor.shape == shape and tensor.dtype == np.uint8
    w, h = size
    assert (tensor[0, :h, :w] == 200).all()  # the crop, top left
    assert (tensor[0, h:] == 114).all() and (tensor[0, :, w:] == 114).all()  # YOLO's grey padding


@pytest.mark.parametrize(
    ("boxes", "crop", "expected"),
    [
        ([[10, 20, 30, 40]], RegionCrop(100, 50, 500, 350, 0.5, 0.5, 256, 256), [[120, 90, 160, 130]]),
        ([[10, 20, 30, 40]], RegionCrop(0, 0, 64, 64, 1.0, 1.0, 64, 64), [[10, 20, 30, 40]]),
        ([[-5, -5, 300, 30]], RegionCrop(100, 50, 500, 350, 0.5, 0.5, 256, 256), [[100, 50, 500, 110]]),  # clipped
        ([], RegionCrop(0, 0, 64, 64, 1.0, 1.0, 64, 64), np.zeros((0, 4))),
    ],
)
def test_region_to_frame(boxes: list, crop: RegionCrop, expected: list) -> None:
    np.testing.assert_allclose(region_to_frame(np.array(boxes, np.float32), crop), np.array(expected, np.float32))


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
        # a few pixels apart at most (IoU 0.88-0.95 on these 8), about as close to the truth
        # (IoU -0.07 .. +0.07 of the whole frame's)
        assert best.box.iou(whole.box) >= 0.85, (plate, whole.box, best.box)
        assert best.box.iou(plate) >= whole.box.iou(plate) - 0.1
        assert abs(best.confidence - whole.confidence) < 0.15
        # the whole frame as one region: the same plates as the square model's run
        (same,) = [d for d in detector.detect_regions(image, [Box(0, 0, width, height)]) if d.box.iou(plate) >= 0.5]
        assert same.box.iou(whole.box) >= 0.85


def test_a_region_away_from_the_plate_does_not_find_it(detector: PlateDetector, photos: list) -> None:
    image, plate = photos[0]  # eu1: 1000 x 750, the plate at y 340-386
    corner = Box(0, 0, 100, 100)  # grown to fill a 128 px input: 200 x 200 px
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
