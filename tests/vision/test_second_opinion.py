"""The second opinion: which crops go to the general engine, and which read is kept."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from alprd.domain.messages import OcrResult
from alprd.errors import ModelError
from alprd.vision.second_opinion import Calibration, SecondOpinion, choose, fit_calibration, load_calibrations

ID_FORMAT = re.compile(r"[A-Z]{1,2}[0-9]{1,4}[A-Z]{0,3}")


def fits(text: str) -> bool:
    return bool(ID_FORMAT.fullmatch(text))


def read(text: str, confidence: float, engine: str = "plate") -> OcrResult:
    return OcrResult(text, confidence, engine=engine)


class CountingEngine:
    """An OcrEngine that answers from a table and counts the crops it was given."""

    name = "ppocr"

    def __init__(self, answers: list[OcrResult]) -> None:
        self.answers, self.seen = answers, 0

    def read_batch(self, crops):
        out = self.answers[self.seen : self.seen + len(crops)]
        self.seen += len(crops)
        return out


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [
        (read("B1234XYZ", 0.5), read("B1234XY2", 0.9, "ppocr"), "B1234XYZ"),  # only the first fits
        (read("DFBRASILIA", 0.9), read("B1234XY", 0.4, "ppocr"), "B1234XY"),  # only the second fits
        (read("B1234XYZ", 0.5), read("B1284XYZ", 0.9, "ppocr"), "B1284XYZ"),  # both fit: likelier
        (read("B1234XYZ", 0.95), read("B1284XYZ", 0.6, "ppocr"), "B1234XYZ"),
        (read("B1234XYZ", 0.5), read("", 0.0, "ppocr"), "B1234XYZ"),  # the second read nothing
        (read("", 0.0), read("AB12", 0.3, "ppocr"), "AB12"),
    ],
)
def test_choose_by_format_then_confidence(first, second, kept):
    assert choose(first, second, fits, {}).text == kept


def test_calibration_decides_between_engines_with_different_scales():
    first, second = read("B1234XYZ", 0.8), read("B1284XYZ", 0.9, "ppocr")
    assert choose(first, second, fits, {}).text == "B1284XYZ"
    # ppocr's 0.9 is worth less than the plate engine's 0.8 once calibrated
    calibrations = {"plate": Calibration(1.0, 1.0), "ppocr": Calibration(1.0, -1.5)}
    assert choose(first, second, fits, calibrations).text == "B1234XYZ"


def test_only_unsure_or_unfit_reads_go_to_the_second_engine():
    engine = CountingEngine([read("B1234XYZ", 0.9, "ppocr"), read("D4321AB", 0.8, "ppocr")])
    opinion = SecondOpinion(engine, below=0.9)
    crops = [np.zeros((20, 60, 3), np.uint8)] * 3
    reads = [read("B1234XY2", 0.99), read("AB77CD", 0.97), read("D4321A8", 0.5)]
    out = opinion.apply(crops, reads, fits, rerank=lambda r: r)
    assert engine.seen == 2  # the sure, fitting read was not read again
    assert [r.text for r in out] == ["B1234XYZ", "AB77CD", "D4321AB"]


def test_the_second_read_is_reranked_before_choosing():
    engine = CountingEngine([read("8123ABC", 0.9, "ppocr")])
    opinion = SecondOpinion(engine, below=0.9)
    fix = lambda r: OcrResult(r.text.replace("8", "B", 1), r.confidence, engine=r.engine)  # noqa: E731
    out = opinion.apply([np.zeros((20, 60, 3), np.uint8)], [read("XXXXXXXXX", 0.4)], fits, rerank=fix)
    assert out[0].text == "B123ABC"


def test_fit_calibration_orders_and_separates():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.05, 0.999, 400)
    correct = rng.random(400) < conf**3  # an over-confident engine
    cal = fit_calibration(conf.tolist(), correct.tolist())
    assert cal(0.95) > cal(0.6) > cal(0.2)
    assert cal(0.6) < 0.6  # it learnt the engine is over-confident
    with pytest.raises(ValueError):
        fit_calibration([0.5, 0.6], [True, True])


def test_load_calibrations(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"engines": {"plate": {"a": 2.0, "b": -1.0}}}))
    assert load_calibrations(path) == {"plate": Calibration(2.0, -1.0)}
    assert load_calibrations(tmp_path / "missing.json") == {}
    path.write_text("{}")
    with pytest.raises(ModelError):
        load_calibrations(path)
