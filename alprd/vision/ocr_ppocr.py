"""General OCR fallback: PaddleOCR's PP-OCRv4 recognition model run through OpenVINO.

The model (``models/ppocr/ch_PP-OCRv4_rec_infer.onnx``, Apache-2.0, extracted from
the pinned wheel ``rapidocr-openvino==1.4.4`` by ``alprd models fetch ppocr-rec``,
see ``model_registry.py``) reads one text line:
input ``[N, 3, 48, W]`` BGR scaled to [-1, 1], output ``[N, W/8, 6625]`` CTC
probabilities over ``blank + ppocr_keys_v1.txt + space``.

For plates we fold its 6,625 classes onto 38: blank, A-Z, 0-9 (lower case and
full-width forms summed into their plate character) and "other" (a separator that
emits nothing). Two-line crops (motorcycle plates, square plates) are split at the
row gap and read as one line. Everything but the model call is a pure function.
"""

from __future__ import annotations

import itertools
import math
import queue
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import openvino as ov

from alprd.domain.messages import OcrResult
from alprd.errors import ModelError
from alprd.vision.textcrop import is_marked, mark_columns, prepare_line

PLATE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
BLANK, OTHER = 0, len(PLATE_CHARS) + 1  # reduced class ids; plate chars are 1..36
INPUT_HEIGHT_PX = 48
FRAME_PX = 8  # input pixels per CTC frame
MIN_INPUT_WIDTH_PX = 320
MAX_INPUT_WIDTH_PX = 960
WIDTH_STEP_PX = 160
MAX_CANDIDATES = 5
SPURIOUS_MAX_CONFIDENCE = 0.75  # a character this unsure ...
SPURIOUS_OTHERS_CONFIDENCE = 0.95  # ... among sure ones (median) ...
SPURIOUS_MARK_FRACTION = 0.2  # ... over some colour is not text (a sticker, a band)
ENGINE_NAME = "ppocr"
DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "ppocr" / "ch_PP-OCRv4_rec_infer.onnx"
KEYS_NAME = "ppocr_keys_v1.txt"


def load_charset(keys_path: Path) -> tuple[str, ...]:
    """The model's classes: CTC blank, the dictionary lines, then a space."""
    lines = keys_path.read_text(encoding="utf-8").splitlines()
    return ("<blank>", *lines, " ")


def plate_class_matrix(charset: Sequence[str]) -> np.ndarray:
    """``[len(charset), 38]`` 0/1 matrix folding model classes onto plate classes."""
    fold = np.zeros((len(charset), OTHER + 1), dtype=np.float32)
    fold[0, BLANK] = 1.0
    for i, ch in enumerate(charset[1:], start=1):
        plain = unicodedata.normalize("NFKC", ch).upper()
        idx = PLATE_CHARS.find(plain) if len(plain) == 1 else -1
        fold[i, idx + 1 if idx >= 0 else OTHER] = 1.0
    return fold


def input_width_px(crops: Sequence[np.ndarray]) -> int:
    """One padded width for a batch: fits the widest crop at height 48, in steps of 160 px
    (each new input shape costs the CPU plugin a re-compile on first use)."""
    widest = max(c.shape[1] / max(1, c.shape[0]) for c in crops) * INPUT_HEIGHT_PX
    width = max(MIN_INPUT_WIDTH_PX, int(math.ceil(widest / WIDTH_STEP_PX)) * WIDTH_STEP_PX)
    return min(width, MAX_INPUT_WIDTH_PX)


def to_input(line: np.ndarray, width_px: int) -> np.ndarray:
    """A BGR text line -> ``[3, 48, width]`` float32 in [-1, 1], right-padded with 0."""
    h, w = line.shape[:2]
    resized_w = min(width_px, max(1, int(math.ceil(INPUT_HEIGHT_PX * w / max(1, h)))))
    resized = cv2.resize(line, (resized_w, INPUT_HEIGHT_PX), interpolation=cv2.INTER_LINEAR)
    chw = resized.astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0
    out = np.zeros((3, INPUT_HEIGHT_PX, width_px), dtype=np.float32)
    out[:, :, :resized_w] = chw
    return out


@dataclass(frozen=True, slots=True)
class CtcChar:
    char: str
    confidence: float  # probability at its best frame
    frame: int  # that frame's index (8 input pixels per frame)
    alt: str  # runner-up plate character at that frame
    alt_confidence: float


def ctc_greedy(probs: np.ndarray) -> list[CtcChar]:
    """Greedy CTC over folded ``[T, 38]`` probabilities: one entry per character."""
    best = probs.argmax(axis=1)
    chars = []
    prev = BLANK
    run_start = 0
    for t in range(len(best) + 1):
        cls = int(best[t]) if t < len(best) else -1
        if cls == prev:
            continue
        if BLANK < prev < OTHER:  # close the previous character's run
            run = probs[run_start:t]
            frame = int(run[:, prev].argmax())
            row = run[frame, 1:OTHER].copy()
            row[prev - 1] = -1.0
            alt = int(row.argmax())
            chars.append(
                CtcChar(
                    PLATE_CHARS[prev - 1],
                    float(run[frame, prev]),
                    run_start + frame,
                    PLATE_CHARS[alt],
                    float(max(0.0, row[alt])),
                )
            )
        prev, run_start = cls, t
    return chars


def candidates_from(chars: Sequence[CtcChar], limit: int = MAX_CANDIDATES) -> tuple[tuple[str, float], ...]:
    """Best reads by swapping in runner-up characters at the least sure positions."""
    if not chars:
        return ()
    text = "".join(c.char for c in chars)
    confs = [c.confidence for c in chars]
    alts = [(c.alt, c.alt_confidence) for c in chars]
    base = float(np.prod(confs))
    unsure = sorted(range(len(text)), key=lambda i: confs[i])[:3]
    scored = {text: base}
    for k in (1, 2):
        for positions in itertools.combinations(unsure, k):
            letters, score = list(text), base
            for i in positions:
                letters[i] = alts[i][0]
                score *= alts[i][1] / max(confs[i], 1e-6)
            candidate = "".join(letters)
            scored[candidate] = max(scored.get(candidate, 0.0), score)
    ranked = sorted(scored.items(), key=lambda kv: -kv[1])[:limit]
    return tuple((t, round(s, 4)) for t, s in ranked)


def drop_marks(chars: list[CtcChar], columns: np.ndarray, px_per_frame: float) -> list[CtcChar]:
    """Drop characters read over colour marks (``columns`` from ``mark_columns``), and
    unsure outliers among sure characters that sit over some colour."""
    kept = [c for c in chars if not is_marked(columns, (c.frame + 0.5) * px_per_frame, px_per_frame)]
    return [c for i, c in enumerate(kept) if not _spurious(kept, i, columns, px_per_frame)]


def _spurious(chars: Sequence[CtcChar], i: int, columns: np.ndarray, px_per_frame: float) -> bool:
    if chars[i].confidence >= SPURIOUS_MAX_CONFIDENCE or len(chars) < 4:
        return False
    others = [c.confidence for j, c in enumerate(chars) if j != i]
    if float(np.median(others)) < SPURIOUS_OTHERS_CONFIDENCE:
        return False
    x = (chars[i].frame + 0.5) * px_per_frame
    lo, hi = max(0, int(x - px_per_frame)), min(len(columns), int(x + px_per_frame) + 1)
    coloured = hi > lo and float(columns[lo:hi].max()) >= SPURIOUS_MARK_FRACTION
    return coloured


def to_result(chars: Sequence[CtcChar]) -> OcrResult:
    confs = [c.confidence for c in chars]
    mean = float(np.prod(confs)) ** (1.0 / len(confs)) if confs else 0.0
    return OcrResult(
        text="".join(c.char for c in chars),
        confidence=round(min(confs, default=0.0) * 0.5 + mean * 0.5, 4),
        char_confidences=tuple(round(c, 4) for c in confs),
        candidates=candidates_from(chars),
        engine=ENGINE_NAME,
    )


def decode(
    probs: np.ndarray, fold: np.ndarray, columns: np.ndarray | None = None, px_per_frame: float = 8.0
) -> OcrResult:
    """Model output for one line ``[T, 6625]`` -> an :class:`OcrResult`.

    ``columns``: per-column colour-mark fractions of the line (``mark_columns``), at
    ``px_per_frame`` line pixels per CTC frame; characters read over marks are dropped.
    """
    chars = ctc_greedy(probs @ fold)
    if columns is not None:
        chars = drop_marks(chars, columns, px_per_frame)
    return to_result(chars)


class PpOcr:
    """PP-OCRv4 recognition as an :class:`~alprd.vision.ocr.OcrEngine`; thread-safe."""

    name = ENGINE_NAME

    def __init__(
        self,
        model_path: Path | None,
        core: ov.Core,
        device: str = "CPU",
        *,
        keys_path: Path | None = None,
        requests: int = 2,
    ) -> None:
        model_path = Path(model_path) if model_path else DEFAULT_MODEL_PATH
        keys_path = keys_path or model_path.parent / KEYS_NAME
        for path in (model_path, keys_path):
            if not path.is_file():
                raise ModelError(f"PP-OCR model file missing: {path} (run: alprd models fetch ppocr-rec)")
        model = core.read_model(str(model_path))
        shape = model.inputs[0].get_partial_shape()
        if shape.rank.get_length() != 4 or shape[1].get_length() != 3:
            raise ModelError(f"{model_path}: expected input [N, 3, 48, W], got {shape}")
        self._charset = load_charset(keys_path)
        n_classes = model.outputs[0].get_partial_shape()[2].get_length()
        if n_classes != len(self._charset):
            raise ModelError(f"{model_path}: {n_classes} classes but {keys_path.name} gives {len(self._charset)}")
        self._fold = plate_class_matrix(self._charset)
        self._compiled = core.compile_model(model, device)  # the core's performance hint
        self._requests: queue.Queue[ov.InferRequest] = queue.Queue()
        for _ in range(max(1, requests)):
            self._requests.put(self._compiled.create_infer_request())
        self._infer(np.zeros((1, 3, INPUT_HEIGHT_PX, MIN_INPUT_WIDTH_PX), np.float32))  # warm up

    def _infer(self, batch: np.ndarray) -> np.ndarray:
        request = self._requests.get()
        try:
            request.infer({0: batch})
            return request.get_output_tensor(0).data.copy()
        finally:
            self._requests.put(request)

    def read_lines(self, lines: Sequence[np.ndarray]) -> list[OcrResult]:
        """Read prepared single text lines (BGR)."""
        if not lines:
            return []
        width = input_width_px(lines)
        batch = np.stack([to_input(line, width) for line in lines])
        probs = self._infer(batch)
        return [
            decode(p, self._fold, mark_columns(line), FRAME_PX * line.shape[0] / INPUT_HEIGHT_PX)
            for p, line in zip(probs, lines)
        ]

    def read_batch(self, crops: Sequence[np.ndarray]) -> list[OcrResult]:
        return self.read_lines([prepare_line(crop) for crop in crops])
