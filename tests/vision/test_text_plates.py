"""Plates found as text: the pure steps table-driven, then PP-OCR's real text detector and
the real pipeline on a real frame whose motorcycle plate the plate detector does not box."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import openvino as ov
import pytest

from alprd.config import Config, RegionsConfig, TextPlatesConfig
from alprd.domain.messages import Box, Detection, OcrResult
from alprd.errors import ModelError
from alprd.vision.pipeline import ImagePipeline
from alprd.vision.text_plates import (
    TextLineDetector,
    box_variants,
    line_boxes,
    network_size,
    new_plates,
    plate_boxes,
    text_plate_read_ok,
    text_rows,
)

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "ppocr" / "ch_PP-OCRv4_det_infer.onnx"
CLIP = REPO.parent / "shared" / "videos" / "id_etle_motorcycles_cilacap.mp4"
# R 2333 RK at the close zoom of that clip (20.0 s): the plate's centre, by eye
PLATE_CENTRE = (318.0, 340.0)


def test_pieces_of_one_line_are_joined_and_far_pieces_are_not() -> None:
    r, digits, letters = Box(10, 100, 22, 120), Box(30, 101, 80, 121), Box(92, 99, 120, 119)
    far = Box(300, 100, 330, 120)  # 180 px away: another line
    rows = sorted(text_rows([r, digits, letters, far]), key=lambda b: b.x1)
    assert rows == [Box(10, 99, 120, 121), far]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # one row, padded by 0.2 of its height each side
        ([Box(100, 100, 200, 120)], [Box(96, 96, 204, 124)]),
        # a smaller row under it (the MM.YY row) is part of the plate
        ([Box(100, 100, 200, 120), Box(130, 124, 170, 134)], [Box(96, 96, 204, 138)]),
        # a row too wide to be a plate (a caption) is no plate
        ([Box(0, 10, 400, 30)], []),
        # a single letter is no plate (narrower than 1.5 row heights)
        ([Box(50, 50, 60, 70)], []),
        # a line shorter than 8 px is no plate
        ([Box(50, 50, 80, 56)], []),
    ],
)
def test_plate_boxes(lines: list[Box], expected: list[Box]) -> None:
    assert plate_boxes(lines) == expected


def test_a_plate_found_by_the_detector_is_not_found_again() -> None:
    found = [Detection(Box(100, 100, 200, 130), 0.9, "plate")]
    inside = Detection(Box(120, 105, 180, 125), 0.8, "plate")
    around = Detection(Box(90, 95, 210, 140), 0.8, "plate")
    elsewhere = Detection(Box(300, 100, 400, 130), 0.8, "plate")
    assert new_plates([inside, around, elsewhere], found) == [elsewhere]


def test_box_clipped_to_the_image() -> None:
    assert Box(-5, -2, 700, 300).clipped(640, 360) == Box(0, 0, 640, 300)
    assert Box(10, 20, 30, 40).clipped(640, 360) == Box(10, 20, 30, 40)


def test_box_variants_grow_left_and_around() -> None:
    variants = box_variants(Box(100, 100, 160, 120))
    assert variants[0] == Box(100, 100, 160, 120)
    assert variants[1] == Box(82, 100, 160, 120)  # the lone first letter the detector misses
    assert all(v.x1 <= 100 and v.x2 >= 160 and v.y1 <= 100 and v.y2 >= 120 for v in variants)


@pytest.mark.parametrize(
    ("text", "conf", "fits", "ok"),
    [
        ("R2333RK", 0.9, True, True),
        ("R2333RK", 0.7, True, False),  # unsure
        ("R2333RK", 0.9, False, False),  # fits no home format
        ("GREENLIGHT", 0.95, True, False),  # letters only: a jacket print
        ("20190213", 0.95, True, False),  # digits only: the overlay's date
        ("B12A", 0.95, True, False),  # too short: badges, stickers
        ("AB1234CDEFG", 0.95, True, False),  # too long
    ],
)
def test_text_plate_read_ok(text: str, conf: float, fits: bool, ok: bool) -> None:
    assert text_plate_read_ok(OcrResult(text, conf), fits, 0.8) is ok


@pytest.mark.parametrize(
    ("h", "w", "side", "expected"),
    [
        (360, 640, 1280, (704, 1280)),
        (1080, 1920, 1280, (704, 1280)),
        (224, 224, 640, (640, 640)),
        (10, 10, 32, (32, 32)),
    ],
)
def test_network_size_scales_the_longer_side_in_steps_of_32(
    h: int, w: int, side: int, expected: tuple[int, int]
) -> None:
    assert network_size(h, w, side) == expected


def test_line_boxes_keep_sure_blobs_grown_and_scaled() -> None:
    prob = np.zeros((64, 64), np.float32)
    prob[10:20, 10:40] = 0.9  # a sure line
    prob[40:44, 10:30] = 0.35  # above the pixel threshold, mean below the box threshold
    (box, score), *rest = line_boxes(prob, 2.0, 2.0)
    assert rest == []
    assert score == pytest.approx(0.9)
    d = 300 * 1.6 / (2 * 40)  # DB's unclip distance: area x ratio / perimeter
    assert box == Box((10 - d) * 2, (10 - d) * 2, (40 + d) * 2, (20 + d) * 2)


def test_config_default_is_off_and_bad_values_are_refused() -> None:
    assert Config().inference.text_plates.enabled is False
    with pytest.raises(ValueError):
        TextPlatesConfig(input_side=1000)  # not a multiple of 32
    assert TextPlatesConfig().switched("on").enabled and not TextPlatesConfig(enabled=True).switched("off").enabled


def test_a_missing_model_is_a_clear_error(ov_core: ov.Core, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="model file not found"):
        TextLineDetector(tmp_path / "absent.onnx", ov_core, "CPU")


needs_model = pytest.mark.skipif(not MODEL.is_file(), reason=f"{MODEL} absent: alprd models fetch ppocr-det")
needs_clip = pytest.mark.skipif(not CLIP.is_file(), reason="../shared/videos not present")


@pytest.fixture(scope="module")
def cilacap_frame() -> np.ndarray:
    """The clip's frame at 20.0 s, read in order (seeking is not exact)."""
    capture = cv2.VideoCapture(str(CLIP))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frame = None
    for _ in range(int(round(20.0 * fps)) + 1):
        ok, frame = capture.read()
        assert ok
    capture.release()
    assert frame is not None
    return frame


def pipeline(core: ov.Core, text: bool, packs: tuple[str, ...]) -> ImagePipeline:
    config = Config(base_dir=(REPO / "config").resolve())
    inference = config.inference.model_copy(update={"text_plates": TextPlatesConfig(enabled=text)})
    config = config.model_copy(update={"inference": inference, "regions": RegionsConfig(packs=packs)})
    return ImagePipeline.from_config(config, core)


def reads_at_plate(p: ImagePipeline, frame: np.ndarray) -> list[str]:
    return [r.ocr.text for r in p.read_image(frame).reads if r.plate.box.contains_point(*PLATE_CENTRE)]


@needs_model
@needs_clip
def test_the_text_detector_boxes_a_plate_the_plate_detector_misses(ov_core: ov.Core, cilacap_frame) -> None:
    detector = TextLineDetector(MODEL, ov_core, "CPU", input_side=1280)
    boxes = [d.box for d in detector.plates(cilacap_frame)]
    assert any(b.contains_point(*PLATE_CENTRE) for b in boxes)
    plain = pipeline(ov_core, text=False, packs=("id",))
    assert not any(d.box.contains_point(*PLATE_CENTRE) for d in plain.plates.detect(cilacap_frame))


@needs_model
@needs_clip
def test_the_pipeline_reads_the_motorcycle_plate_only_with_text_plates(ov_core: ov.Core, cilacap_frame) -> None:
    assert reads_at_plate(pipeline(ov_core, text=False, packs=("id",)), cilacap_frame) == []
    with_text = reads_at_plate(pipeline(ov_core, text=True, packs=("id",)), cilacap_frame)
    assert len(with_text) == 1 and with_text[0].startswith("R2333R")
    # without a pack no text-found box is a plate: badges and signs read as plates too often
    assert reads_at_plate(pipeline(ov_core, text=True, packs=()), cilacap_frame) == []


@needs_model
@needs_clip
def test_in_moving_regions_only_the_regions_are_searched(ov_core: ov.Core, cilacap_frame) -> None:
    detector = TextLineDetector(MODEL, ov_core, "CPU", input_side=1280)
    around = detector.new_plates(cilacap_frame, [], [Box(240, 290, 420, 360)])
    assert any(d.box.contains_point(*PLATE_CENTRE) for d in around)
    assert all(d.box.x1 >= 240 and d.box.x2 <= 420 for d in around)
    elsewhere = detector.new_plates(cilacap_frame, [], [Box(0, 0, 200, 150), Box(5, 5, 12, 12)])  # one too small
    assert not any(d.box.contains_point(*PLATE_CENTRE) for d in elsewhere)
    assert detector.new_plates(cilacap_frame, [], []) == []
    # a region holding a plate the detector found is not searched again
    elsewhere_found = [Detection(Box(380, 270, 420, 290), 0.9, "plate")]
    assert detector.new_plates(cilacap_frame, elsewhere_found, [Box(240, 290, 420, 360)]) == around
    assert detector.new_plates(cilacap_frame, elsewhere_found, [Box(240, 260, 420, 360)]) == []


@needs_model
def test_the_text_detector_is_compiled_for_the_cpu_under_auto(ov_core: ov.Core) -> None:
    """AUTO would drop the shape-cache bound, so on a machine without a GPU the model is
    compiled for the CPU plugin itself."""
    from alprd.vision.ov_model import runs_on_cpu

    assert runs_on_cpu(ov_core, "CPU") and not runs_on_cpu(ov_core, "GPU")
    if not runs_on_cpu(ov_core, "AUTO"):
        pytest.skip("a GPU is present: AUTO may pick it")
    detector = TextLineDetector(MODEL, ov_core, "AUTO")
    assert list(detector.model._compiled.get_property("EXECUTION_DEVICES")) == ["CPU"]
