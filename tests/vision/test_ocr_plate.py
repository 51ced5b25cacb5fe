"""alprd's plate OCR: pure pre/post-processing, load-time checks, and the committed
model reading rendered plates of every pack and real European crops."""

from __future__ import annotations

import cv2
import numpy as np
import openvino as ov
import pytest
from openvino import opset13 as ops

from alprd.errors import ModelError
from alprd.vision.ocr_plate import (
    BLANK_INDEX,
    DEFAULT_MODEL_PATH,
    FRAMES,
    INPUT_HW,
    VOCAB,
    PlateOcr,
    candidates,
    ctc_chars,
    preprocess,
    result_from_probs,
)


def frame_probs(frames: str, sure: float = 0.9) -> np.ndarray:
    """[FRAMES, V] probabilities whose best path spells ``frames`` ('_' blank), blank-padded."""
    probs = np.full((FRAMES, len(VOCAB)), (1 - sure) / (len(VOCAB) - 1), np.float32)
    for t in range(FRAMES):
        k = VOCAB.index(frames[t]) if t < len(frames) else BLANK_INDEX
        probs[t, k] = sure
    return probs


def test_preprocess_makes_grey_fixed_size_float_input():
    crops = [np.full((30, 90, 3), 200, np.uint8), np.zeros((100, 50), np.uint8), np.zeros((0, 0, 3), np.uint8)]
    x = preprocess(crops)
    assert x.shape == (3, 1, *INPUT_HW) and x.dtype == np.float32
    assert x[0].min() == x[0].max() == 200.0
    assert not x[2].any()  # an empty crop reads as black, not an exception


@pytest.mark.parametrize(
    ("frames", "text"),
    [
        ("_BB_1_22_3_4__A_B_C", "B1234ABC"),
        ("B_11_1A", "B11A"),  # a blank separates repeated characters
        ("BB11", "B1"),  # repeats without a blank merge
        ("____", ""),
    ],
)
def test_ctc_greedy_merges_repeats_and_drops_blanks(frames, text):
    chars = ctc_chars(frame_probs(frames))
    assert "".join(c.char for c in chars) == text
    assert all(c.confidence == pytest.approx(0.9) for c in chars)


def test_runner_up_characters_become_candidates():
    probs = frame_probs("_8_1_2_3_A_B_C")
    probs[1] = 0.001
    probs[1, VOCAB.index("8")], probs[1, VOCAB.index("B")] = 0.6, 0.35
    chars = ctc_chars(probs)
    assert (chars[0].char, chars[0].alt) == ("8", "B")
    cands = candidates(chars, k=3)
    assert [c[0] for c in cands[:2]] == ["8123ABC", "B123ABC"]
    assert cands[0][1] > cands[1][1] > 0


def test_blank_runner_up_offers_the_read_without_that_character():
    probs = frame_probs("_B_1_2_3_X")
    probs[9] = 0.001
    probs[9, VOCAB.index("X")], probs[9, BLANK_INDEX] = 0.5, 0.45
    cands = dict(candidates(ctc_chars(probs)))
    assert "B123X" in cands and "B123" in cands


def test_result_from_probs_puts_the_text_first():
    result = result_from_probs(frame_probs("A_B_1_2_3_C_D"))
    assert result.text == "AB123CD" and result.engine == "plate"
    assert result.candidates[0][0] == "AB123CD"
    assert len(result.char_confidences) == 7
    assert result.confidence == pytest.approx(0.9)  # geometric mean: independent of length


def _save_model(path, in_shape, out_shape) -> None:
    x = ops.parameter(in_shape, ov.Type.f32, name="image")
    flat = ops.reshape(x, ops.constant(np.array([-1, int(np.prod(in_shape[1:]))], np.int64)), False)
    w = ops.constant(np.zeros((int(np.prod(in_shape[1:])), int(np.prod(out_shape))), np.float32))
    y = ops.reshape(ops.matmul(flat, w, False, False), ops.constant(np.array([-1, *out_shape], np.int64)), False)
    ov.save_model(ov.Model([y], [x], "fake"), str(path))


@pytest.mark.parametrize(
    ("in_shape", "out_shape"), [((1, 3, 64, 128), (32, 37)), ((1, 1, 32, 100), (32, 37)), ((1, 1, 64, 128), (10, 37))]
)
def test_wrong_shapes_are_refused_at_load(tmp_path, in_shape, out_shape):
    _save_model(tmp_path / "m.xml", in_shape, out_shape)
    with pytest.raises(ModelError, match="shape"):
        PlateOcr(tmp_path / "m.xml", ov.Core(), "CPU")


def test_missing_model_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        PlateOcr(tmp_path / "none.xml", ov.Core(), "CPU")


@pytest.fixture(scope="module")
def reader() -> PlateOcr:
    return PlateOcr(None, ov.Core(), "CPU")


def test_committed_model_is_the_default(reader):
    assert reader.path == DEFAULT_MODEL_PATH and DEFAULT_MODEL_PATH.is_file()


def _styles():
    from training.synth import STYLES

    return list(STYLES)  # EU, US, Indonesian, the world's layouts (training/synth/world.py), every pack


@pytest.mark.parametrize("style", _styles())
def test_reads_rendered_plates_of_every_pack(reader, style):
    from training.synth import render_clean

    rng = np.random.default_rng(2024)
    plates = [render_clean(style, rng) for _ in range(12)]
    results = reader.read_batch([cv2.cvtColor(img, cv2.COLOR_RGB2BGR) for img, _ in plates])
    exact = np.mean([r.text == text for r, (_, text) in zip(results, plates)])
    assert exact >= 0.5, (style, [(r.text, t) for r, (_, t) in zip(results, plates)])


def test_reads_real_european_crops(reader, datasets_dir):
    from training.data import eu_crops

    crops = eu_crops(datasets_dir / "openalpr-eu")[:40]
    results = reader.read_batch([c.image for c in crops])
    exact = np.mean([r.text == c.text for r, c in zip(results, crops)])
    assert exact >= 0.6
    assert all(len(r.char_confidences) == len(r.text) for r in results)
