"""alprd's own plate OCR (engine ``plate``): a small CNN with fixed slot heads, run
through OpenVINO; numpy and OpenCV for the rest.

Model (``models/plate-ocr/plate_ocr.xml``, trained by ``training/train_ocr.py``, see
its README): input ``[N, 1, 64, 128]`` grey pixel values 0..255 (float32), output
``[N, 10, 37]`` per-slot probabilities over ``0-9 A-Z`` and a pad symbol. The text is
the slots' best characters left to right, pad slots dropped; the per-slot
probabilities give per-character confidences and the top-k candidates that the
country pack re-ranks (``rerank.py``).
"""

from __future__ import annotations

import heapq
import queue
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import openvino as ov

from alprd.errors import ModelError
from alprd.messages import OcrResult

ENGINE_NAME = "plate"
VOCAB = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_"  # '_' pads unused slots
PAD_INDEX = len(VOCAB) - 1
MAX_SLOTS = 10
INPUT_HW = (64, 128)
MAX_CANDIDATES = 5
BEAM_PER_SLOT = 3
DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "plate-ocr" / "plate_ocr.xml"


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


def best_path(probs: np.ndarray, vocab: str = VOCAB) -> tuple[str, tuple[float, ...], float]:
    """``[slots, vocab]`` probabilities -> (text, per-character confidences, overall).

    Overall confidence is the joint probability of the best slot sequence (pad slots
    included), so a doubtful "is there a 7th character?" lowers it too.
    """
    best = probs.argmax(axis=1)
    conf = probs[np.arange(len(best)), best]
    pad = vocab.index("_")
    chars = [(vocab[k], float(c)) for k, c in zip(best, conf) if k != pad]
    return "".join(ch for ch, _ in chars), tuple(c for _, c in chars), float(np.prod(conf))


def top_candidates(probs: np.ndarray, k: int = MAX_CANDIDATES, vocab: str = VOCAB,
                   per_slot: int = BEAM_PER_SLOT) -> tuple[tuple[str, float], ...]:
    """The k most probable texts (joint slot probability), best first; a beam over
    slots keeping ``per_slot`` alternatives each. Texts that differ only in where a
    pad falls are merged (probabilities summed)."""
    beam: list[tuple[float, str]] = [(1.0, "")]
    for slot in probs:
        options = np.argsort(-slot)[:per_slot]
        grown = [(p * float(slot[o]), text + (vocab[o] if vocab[o] != "_" else ""))
                 for p, text in beam for o in options]
        beam = heapq.nlargest(k * per_slot, grown, key=lambda t: t[0])
    merged: dict[str, float] = {}
    for p, text in beam:
        if text:
            merged[text] = merged.get(text, 0.0) + p
    ranked = sorted(merged.items(), key=lambda t: -t[1])[:k]
    return tuple((text, round(p, 6)) for text, p in ranked)


def result_from_probs(probs: np.ndarray) -> OcrResult:
    text, char_conf, overall = best_path(probs)
    candidates = top_candidates(probs)
    if text and (not candidates or candidates[0][0] != text):
        candidates = ((text, overall), *[c for c in candidates if c[0] != text])[:MAX_CANDIDATES]
    return OcrResult(text=text, confidence=overall, char_confidences=char_conf,
                     candidates=candidates, engine=ENGINE_NAME)


def check_model(model: ov.Model, path: Path) -> None:
    """Raise ModelError unless the model is [N,1,64,128] -> [N,10,37]."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ModelError(f"{path}: expected one input and one output")
    pin, pout = model.input(0).get_partial_shape(), model.output(0).get_partial_shape()
    want_in, want_out = (1, *INPUT_HW), (MAX_SLOTS, len(VOCAB))
    if pin.rank.is_dynamic or pin.rank.get_length() != 4 or [d.get_length() for d in pin[1:]] != list(want_in):
        raise ModelError(f"{path}: input shape is {pin}, expected [?,{','.join(map(str, want_in))}]")
    if pout.rank.is_dynamic or pout.rank.get_length() != 3 or [d.get_length() for d in pout[1:]] != list(want_out):
        raise ModelError(f"{path}: output shape is {pout}, expected [?,{','.join(map(str, want_out))}]")
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
        if model.input(0).get_partial_shape()[0].is_static:
            model.reshape({model.input(0).get_any_name(): ov.PartialShape([-1, 1, *INPUT_HW])})
        try:
            compiled = core.compile_model(model, device, {"PERFORMANCE_HINT": "LATENCY"})
        except RuntimeError as exc:
            raise ModelError(f"{self.path}: cannot compile for {device}: {str(exc).splitlines()[0]}") from exc
        self._idle: queue.SimpleQueue[ov.InferRequest] = queue.SimpleQueue()
        for _ in range(max(1, requests)):
            self._idle.put(compiled.create_infer_request())

    def probabilities(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """``[N, 10, 37]`` slot probabilities for BGR crops."""
        if not crops:
            return np.zeros((0, MAX_SLOTS, len(VOCAB)), np.float32)
        request = self._idle.get()
        try:
            request.infer({0: preprocess(crops)})
            return request.get_output_tensor(0).data.copy()
        finally:
            self._idle.put(request)

    def read_batch(self, crops: Sequence[np.ndarray]) -> list[OcrResult]:
        return [result_from_probs(p) for p in self.probabilities(crops)]
