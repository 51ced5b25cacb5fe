"""Views of a crop (views.py): the view maths and the vote table-driven, then the
pipeline reading real Indonesian crops through the real plate model with and without them."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import openvino as ov
import pytest

from alprd.config import Config, InferenceConfig, PlateOcrConfig, ocr_config, ocr_config_as
from alprd.domain.messages import OcrResult
from alprd.vision.pipeline import ImagePipeline
from alprd.vision.views import crop_views, vote

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


@pytest.mark.parametrize(
    ("hw", "shapes"),
    [
        ((40, 120), [(40, 120), (40 - 2 * 3, 120 - 2 * 4), (40 + 2 * 4, 120 + 2 * 6)]),
        ((25, 50), [(25, 50), (25 - 2 * 2, 50 - 2 * 2), (25 + 2 * 2, 50 + 2 * 2)]),
        ((7, 60), [(7, 60)]),  # too small for other views
    ],
)
def test_views_are_the_crop_a_tighter_and_a_looser_copy(hw: tuple[int, int], shapes: list[tuple[int, int]]) -> None:
    crop = np.random.default_rng(1).integers(0, 255, (*hw, 3), np.uint8)
    views = crop_views(crop)
    assert [v.shape[:2] for v in views] == shapes
    assert views[0] is crop
    if len(views) == 3:
        h, w = hw
        dx, dy = int(w * 0.04), int(h * 0.08)
        assert np.array_equal(views[1], crop[dy : h - dy, dx : w - dx])
        px, py = int(w * 0.05), int(h * 0.10)
        assert np.array_equal(views[2][py : py + h, px : px + w], crop)  # the crop inside its border


def r(text: str, conf: float) -> OcrResult:
    return OcrResult(text=text, confidence=conf, engine="plate")


@pytest.mark.parametrize(
    ("reads", "chosen"),
    [
        ([r("B1234XY", 0.9), r("B1234XY", 0.5), r("B1234XV", 0.95)], 0),  # two weak agree over one strong
        ([r("B1234XV", 0.95), r("B1234XY", 0.5), r("B1234XY", 0.5)], 1),  # the first read of the winner
        ([r("AB12", 0.6), r("CD34", 0.6), r("", 0.0)], 0),  # a tie: the crop as it is
        ([r("", 0.0), r("B12XY", 0.2), r("", 0.0)], 1),  # empty texts never vote
        ([r("", 0.0), r("", 0.0), r("", 0.0)], 0),
        ([r("217YH", 0.99), r("Z17YH", 0.4), r("217YH", 0.97)], 0),  # a sure foreign read keeps its votes
    ],
)
def test_vote(reads: list[OcrResult], chosen: int) -> None:
    assert vote(reads) == chosen


def test_views_setting_belongs_to_the_plate_engine() -> None:
    plate = PlateOcrConfig(views=1, min_confidence=0.4)
    assert PlateOcrConfig().views == 3
    other = ocr_config_as(plate, "ppocr")
    assert other.engine == "ppocr" and other.min_confidence == 0.4 and not hasattr(other, "views")
    assert ocr_config_as(other, "plate").views == 3  # back to the plate engine: its default
    with pytest.raises(ValueError):
        ocr_config(engine="plate", views=2)


@pytest.fixture(scope="module")
def plate_pipeline() -> ImagePipeline:
    config = Config(inference=InferenceConfig(device="CPU", models_dir=MODELS_DIR))
    pipeline = ImagePipeline.from_config(config, ov.Core())
    assert pipeline.views and pipeline.ocr.name == "plate"
    return replace(pipeline, second_opinion=None)


def test_the_pipeline_keeps_the_voted_view_of_real_crops(plate_pipeline: ImagePipeline, datasets_dir: Path) -> None:
    folder = datasets_dir / "indonesia-plate-crops"
    rows = list(csv.reader((folder / "labels.csv").read_text().splitlines()))[1:][:60:3]
    crops = [cv2.imread(str(folder / row[0])) for row in rows]
    alone = replace(plate_pipeline, views=False)
    engine_reads, results = plate_pipeline.read_engine(crops)
    single_reads, _ = alone.read_engine(crops)
    assert [x.text for x in single_reads] == [x.text for x in plate_pipeline.ocr.read_batch(crops)]
    for crop, engine_read, result in zip(crops, engine_reads, results):
        view_reads = plate_pipeline.ocr.read_batch(crop_views(crop))
        assert engine_read in view_reads  # the kept read is one of its views' reads
        ranked = plate_pipeline.reranked(view_reads)
        assert result == ranked[vote(ranked)]
    right = sum(res.text == row[1] for res, row in zip(results, rows))
    assert right >= len(rows) * 0.7, (right, len(rows))
    assert plate_pipeline.read_crops(crops) == results  # without the second opinion: the same reads
