"""alprd's own plate OCR (engine ``plate``): a small CNN read out per column with CTC,
run through OpenVINO; numpy and OpenCV for the rest.

Model (``models/plate-ocr/plate_ocr.xml``, trained by ``training/train_ocr.py``, see
its README): input ``[N, 1, 64, 128]`` grey pixel values 0..255 (float32), output
``[N, 64, 37]`` per-frame probabilities over ``0-9 A-Z`` and the CTC blank ``_``: the
32 columns' top-row frames, then their bottom-row frames, so a two-row plate reads top
row first (a one-row model, ``[N, 32, 37]``, loads too). Greedy CTC gives the text;
each character's best frame gives its confidence and its runner-up (another character,
or blank: "maybe no character here"), from which the
top-k candidates are built for the country pack to re-rank (``rerank.py``). The overall
confidence is the geometric mean of the character confidences (comparable across
plate lengths, as ``inference.ocr.min_confidence`` needs); candidate scores are
products (comparable between candidates of one read).
"""

from __future__ import annotations

import itertools
import queue
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import openvino as ov

from alprd.domain.messages import OcrResult
from alprd.errors import ModelError

ENGINE_NAME = "plate"
VOCAB = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_"  # '_' is the CTC blank
BLANK_INDEX = len(VOCAB) - 1
FRAMES = 32  # CTC frames per text row: a one-row (v1) model has 32, a two-row (v2) model 64
ROWS = (1, 2)
INPUT_HW = (64, 128)
MAX_CANDIDATES = 5
UNSURE_POSITIONS = 3  # candidates swap runner-ups in at most this many least-sure places
DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "plate-ocr" / "plate_ocr.xml"


@dataclass(frozen=True, slots=True)
class CharRead:
    char: str
    confidence: float  # probability at its best frame
    frame: int
    alt: str  # runner-up at that frame; "" when it is the blank (no character)
    alt_confidence: float


def preprocess(crops: Sequence[np.ndarray], input_hw: tuple[int, int] = INPUT_HW) -> np.ndarray:
    """BGR (or grey) crops of any size -> ``[N, 1, H, W]`` float32 grey, 0..255."""
    h, w = input_hw
    out = np.empty((len(crops), 1, h, w), np.float32)
    for i, crop in enumerate(crops):
        if crop is None or crop.size == 0 or crop.shape[0] < 2 or crop.shape[1] < 2:
            out[i] = 0.0
            continue
        grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
        out[i, 0] = cv2.resize(grey, (w, h), interpolation=cv2.INTER_AREA)
    return out


def ctc_chars(probs: np.ndarray, vocab: str = VOCAB) -> list[CharRead]:
    """Greedy CTC over ``[frames, vocab]`` probabilities: one entry per character."""
    blank = len(vocab) - 1
    best = probs.argmax(axis=1)
    chars: list[CharRead] = []
    prev, run_start = blank, 0
    for t in range(len(best) + 1):
        cls = int(best[t]) if t < len(best) else -1
        if cls == prev:
            continue
        if prev != blank:
            run = probs[run_start:t]
            frame = int(run[:, prev].argmax())
            row = run[frame].copy()
            row[prev] = -1.0
            alt = int(row.argmax())
            chars.append(
                CharRead(
                    vocab[prev],
                    float(run[frame, prev]),
                    run_start + frame,
                    "" if alt == blank else vocab[alt],
                    float(max(0.0, row[alt])),
                )
            )
        prev, run_start = cls, t
    return chars


def candidates(chars: Sequence[CharRead], k: int = MAX_CANDIDATES) -> tuple[tuple[str, float], ...]:
    """The best read and variants with runner-ups swapped in (or a character dropped)
    at the least sure positions, scored by the product of character probabilities."""
    if not chars:
        return ()
    confs = [c.confidence for c in chars]
    base = float(np.prod(confs))
    unsure = sorted(range(len(chars)), key=lambda i: confs[i])[:UNSURE_POSITIONS]
    scored = {"".join(c.char for c in chars): base}
    for n in (1, 2):
        for positions in itertools.combinations(unsure, n):
            text, score = [c.char for c in chars], base
            for i in positions:
                text[i] = chars[i].alt
                score *= chars[i].alt_confidence / max(confs[i], 1e-6)
            variant = "".join(text)
            if variant:
                scored[variant] = max(scored.get(variant, 0.0), score)
    ranked = sorted(scored.items(), key=lambda t: -t[1])[:k]
    return tuple((text, round(score, 6)) for text, score in ranked)


def result_from_probs(probs: np.ndarray) -> OcrResult:
    chars = ctc_chars(probs)
    confs = tuple(c.confidence for c in chars)
    overall = float(np.prod(confs)) ** (1.0 / len(confs)) if confs else 0.0  # geometric mean
    return OcrResult(
        text="".join(c.char for c in chars),
        confidence=overall,
        char_confidences=confs,
        candidates=candidates(chars),
        engine=ENGINE_NAME,
    )


def check_model(model: ov.Model, path: Path) -> None:
    """Raise ModelError unless the model is [N,1,64,128] -> [N,32,37] (one text row)
    or [N,64,37] (two rows: the top row's 32 frames, then the bottom row's)."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ModelError(f"{path}: expected one input and one output")
    pin, pout = model.input(0).get_partial_shape(), model.output(0).get_partial_shape()
    want_in = (1, *INPUT_HW)
    if pin.rank.is_dynamic or pin.rank.get_length() != 4 or [d.get_length() for d in pin[1:]] != list(want_in):
        raise ModelError(f"{path}: input shape is {pin}, expected [?,{','.join(map(str, want_in))}]")
    wanted = [[FRAMES * rows, len(VOCAB)] for rows in ROWS]
    if pout.rank.is_dynamic or pout.rank.get_length() != 3 or [d.get_length() for d in pout[1:]] not in wanted:
        raise ModelError(
            f"{path}: output shape is {pout}, expected [?,{FRAMES},{len(VOCAB)}] or [?,{2 * FRAMES},{len(VOCAB)}]"
        )
    if model.has_rt_info(["alprd", "vocab"]) and model.get_rt_info(["alprd", "vocab"]).astype(str) != VOCAB:
        raise ModelError(f"{path}: the model's alphabet differs from this reader's")


class PlateOcr:
    """OcrEngine for alprd's plate model; ``read_batch`` is blocking and thread-safe."""

    name = ENGINE_NAME

    def __init__(self, model_path: Path | None, core: ov.Core, device: str = "AUTO", requests: int = 2) -> None:
        self.path = Path(model_path) if model_path is not None else DEFAULT_MODEL_PATH
        if not self.path.is_file():
            raise ModelError(f"{self.path}: plate OCR model not found")
        try:
            model = core.read_model(str(self.path))
        except RuntimeError as exc:
            raise ModelError(f"{self.path}: cannot read model: {str(exc).splitlines()[0]}") from exc
        check_model(model, self.path)
        self.frames = model.output(0).get_partial_shape()[1].get_length()
        if model.input(0).get_partial_shape()[0].is_static:
            model.reshape({model.input(0).get_any_name(): ov.PartialShape([-1, 1, *INPUT_HW])})
        try:
            compiled = core.compile_model(model, device)  # the core's performance hint (make_core)
        except RuntimeError as exc:
            raise ModelError(f"{self.path}: cannot compile for {device}: {str(exc).splitlines()[0]}") from exc
        self._idle: queue.SimpleQueue[ov.InferRequest] = queue.SimpleQueue()
        for _ in range(max(1, requests)):
            self._idle.put(compiled.create_infer_request())

    def probabilities(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """``[N, frames, 37]`` frame probabilities for BGR crops."""
        if not crops:
            return np.zeros((0, self.frames, len(VOCAB)), np.float32)
        request = self._idle.get()
        try:
            request.infer({0: preprocess(crops)})
            return request.get_output_tensor(0).data.copy()
        finally:
            self._idle.put(request)

    def read_batch(self, crops: Sequence[np.ndarray]) -> list[OcrResult]:
        return [result_from_probs(p) for p in self.probabilities(crops)]
