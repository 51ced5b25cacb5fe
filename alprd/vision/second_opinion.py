"""A second opinion where the fast plate engine is unsure.

The ``plate`` engine is fast (well under a millisecond a crop) and reads what it was
trained on very well; the general ``ppocr`` engine is about twenty times slower and
less tied to any plate layout. A read goes to the second engine only when the first
is unsure of it (confidence below ``below``) or it fits no format of the country
packs; then :func:`choose` keeps one of the two:

1. a read that fits a pack format beats one that fits none;
2. otherwise the likelier one wins, each engine's confidence mapped to the chance that
   its read is exactly right (:class:`Calibration`, fitted per engine on real crops by
   ``training/fit_calibration.py``; ``calibration.json`` beside the main OCR model).

Pure functions plus one small class that batches the unsure crops.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alprd.domain.messages import OcrResult
from alprd.errors import ModelError
from alprd.vision.ocr import OcrEngine

Fits = Callable[[str], bool]  # does this text fit a format of the configured pack(s)?
Reranker = Callable[[OcrResult], OcrResult]
CALIBRATION_FILE = "calibration.json"  # beside the main OCR model


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


@dataclass(frozen=True, slots=True)
class Calibration:
    """P(read exactly right) = sigmoid(a * logit(confidence) + b)."""

    a: float = 1.0
    b: float = 0.0

    def __call__(self, confidence: float) -> float:
        z = min(max(self.a * _logit(confidence) + self.b, -50.0), 50.0)
        return 1.0 / (1.0 + math.exp(-z))


def fit_calibration(
    confidences: Sequence[float], correct: Sequence[bool], prior: float = 1.0, steps: int = 100
) -> Calibration:
    """Logistic regression of exactness on the logit of confidence (Platt scaling),
    with a ridge ``prior`` pulling (a, b) towards the identity (1, 0), so that a set an
    engine reads almost perfectly still gives a finite map."""
    x = np.array([_logit(c) for c in confidences], np.float64)
    y = np.array(correct, np.float64)
    if len(x) == 0 or y.min() == y.max():
        raise ValueError("calibration needs both right and wrong reads")

    def loss(a: float, b: float) -> float:
        z = np.clip(a * x + b, -50, 50)
        return float(np.sum(np.logaddexp(0, z) - y * z) + prior / 2 * ((a - 1.0) ** 2 + b**2))

    a, b = 1.0, 0.0
    for _ in range(steps):  # Newton's method with step halving on the penalised log-likelihood
        p = 1.0 / (1.0 + np.exp(-np.clip(a * x + b, -50, 50)))
        g = np.array([np.sum((p - y) * x) + prior * (a - 1.0), np.sum(p - y) + prior * b])
        w = p * (1 - p)
        h = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]]) + prior * np.eye(2)
        da, db = np.linalg.solve(h, g)
        step, before = 1.0, loss(a, b)
        while step > 1e-4 and loss(a - step * da, b - step * db) > before:
            step /= 2
        a, b = a - step * da, b - step * db
        if step * (abs(da) + abs(db)) < 1e-9:
            break
    return Calibration(round(float(a), 4), round(float(b), 4))


def load_calibrations(path: Path) -> dict[str, Calibration]:
    """Engine name -> calibration; an engine missing from the file gets the identity."""
    try:
        raw = json.loads(path.read_text())
        return {name: Calibration(float(v["a"]), float(v["b"])) for name, v in raw["engines"].items()}
    except FileNotFoundError:
        return {}
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path}: not a calibration file: {exc}") from exc


def choose(first: OcrResult, second: OcrResult, fits: Fits, calibrations: dict[str, Calibration]) -> OcrResult:
    """The better of two reads of one crop: format first, then calibrated confidence."""
    if not second.text:
        return first
    if not first.text:
        return second
    first_fits, second_fits = fits(first.text), fits(second.text)
    if first_fits != second_fits:
        return first if first_fits else second
    p_first = calibrations.get(first.engine, Calibration())(first.confidence)
    p_second = calibrations.get(second.engine, Calibration())(second.confidence)
    return first if p_first >= p_second else second


@dataclass(frozen=True)
class SecondOpinion:
    """Reads the unsure crops of a batch with ``engine`` and keeps the better read."""

    engine: OcrEngine
    below: float = 0.9
    calibrations: dict[str, Calibration] | None = None

    def unsure(self, read: OcrResult, fits: Fits) -> bool:
        return not read.text or read.confidence < self.below or not fits(read.text)

    def apply(
        self, crops: Sequence[np.ndarray], reads: Sequence[OcrResult], fits: Fits, rerank: Reranker
    ) -> list[OcrResult]:
        """``reads`` (already re-ranked) with the unsure ones replaced where the second
        engine's re-ranked read is better."""
        out = list(reads)
        unsure = [i for i, r in enumerate(reads) if self.unsure(r, fits)]
        if not unsure:
            return out
        seconds = self.engine.read_batch([crops[i] for i in unsure])
        cal = self.calibrations or {}
        for i, second in zip(unsure, seconds):
            out[i] = choose(reads[i], rerank(second), fits, cal)
        return out
