"""LazyPipeline: a daemon without cameras (a central) compiles its models on first use."""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from alprd.domain.messages import Box, Detection, ImageResult, OcrResult, PlateRead
from alprd.errors import InferenceUnavailableError, ModelError
from alprd.vision.lazy_pipeline import LazyPipeline, detector_algorithm

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
DETECTOR = MODELS_DIR / "plate-detector" / "plate-yolov8n.xml"


class Counted:
    """A stand-in pipeline that counts how often it was built and reads one fixed plate."""

    builds = 0

    def __init__(self, gate: threading.Event | None = None) -> None:
        if gate is not None:
            gate.wait(5)
        Counted.builds += 1
        self.algorithm = "Counted"
        self.packs = "the built pipeline's packs"

    def read_image(self, image: np.ndarray) -> ImageResult:
        plate = Detection(Box(1, 1, 9, 5), 0.9, "plate")
        return ImageResult(image.shape[1], image.shape[0], (), (PlateRead(plate, OcrResult("B1234XY", 0.9)),))


@pytest.fixture(autouse=True)
def _reset() -> None:
    Counted.builds = 0


def test_nothing_is_built_until_a_photo_is_read_then_once() -> None:
    reads = []
    lazy = LazyPipeline(Counted, lambda: reads.append(1) or "YOLOv8n (OpenVINO)")
    image = np.zeros((20, 30, 3), np.uint8)
    assert lazy.algorithm == "YOLOv8n (OpenVINO)" and not lazy.loaded  # named from the file
    assert lazy.algorithm == "YOLOv8n (OpenVINO)" and reads == [1]  # ... read once
    result = ImageResult(30, 20, (), ())
    assert lazy.annotate(image, result).shape == image.shape and not lazy.loaded  # drawing needs no model
    assert lazy.read_image(image).reads[0].ocr.text == "B1234XY"
    assert lazy.read_image(image).reads[0].ocr.text == "B1234XY"
    assert lazy.loaded and Counted.builds == 1
    assert lazy.algorithm == "Counted"  # once built, the built one names itself
    assert lazy.packs == "the built pipeline's packs"  # anything else goes to the built pipeline


def test_two_threads_at_once_build_it_once() -> None:
    gate = threading.Event()
    lazy = LazyPipeline(partial(Counted, gate), lambda: "")
    image = np.zeros((20, 30, 3), np.uint8)
    threads = [threading.Thread(target=lazy.read_image, args=(image,)) for _ in range(4)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert Counted.builds == 1


def test_a_failed_build_is_a_clear_error_and_is_tried_again() -> None:
    attempts = []

    def build():
        attempts.append(1)
        if len(attempts) == 1:
            raise ModelError("models/plate-detector/plate-yolov8n.xml: not found")
        return Counted()

    lazy = LazyPipeline(build, lambda: "")
    image = np.zeros((20, 30, 3), np.uint8)
    with pytest.raises(InferenceUnavailableError, match="plate-yolov8n.xml: not found"):
        lazy.read_image(image)
    assert not lazy.loaded
    assert lazy.read_image(image).reads  # the models were put in place: the next photo reads
    assert len(attempts) == 2


def test_the_detector_is_named_from_its_file_without_compiling(tmp_path) -> None:
    assert detector_algorithm(DETECTOR) == "YOLOv8n (OpenVINO)"  # as the compiled detector says
    with pytest.raises(ModelError, match="not found"):
        detector_algorithm(tmp_path / "missing.xml")
    lazy = LazyPipeline(Counted, partial(detector_algorithm, tmp_path / "missing.xml"))
    assert lazy.algorithm == ""  # no file: no detector to name, as with no pipeline
