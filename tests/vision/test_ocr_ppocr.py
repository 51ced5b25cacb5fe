"""PP-OCRv4 'ppocr' engine: pure decoding and crop handling, then real OpenVINO reads."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import openvino as ov
import pytest

from alprd.config import PlateOcrConfig, PpOcrConfig
from alprd.errors import ModelError
from alprd.vision.ocr import ENGINES, make_ocr_engine
from alprd.vision.ocr_ppocr import (
    BLANK,
    OTHER,
    PLATE_CHARS,
    CtcChar,
    PpOcr,
    candidates_from,
    ctc_greedy,
    drop_marks,
    plate_class_matrix,
    to_input,
)
from alprd.vision.textcrop import (
    deskew,
    join_lines,
    main_row,
    mark_columns,
    side_band_edges,
    skew_deg,
    text_lines,
)

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


def cls(ch: str) -> int:
    return BLANK if ch == "-" else OTHER if ch == "~" else PLATE_CHARS.index(ch) + 1


def frames(path: str, p: float = 0.9) -> np.ndarray:
    """One frame per symbol: '-' blank, '~' other, else a plate char with probability p."""
    out = np.full((len(path), OTHER + 1), (1 - p) / OTHER, dtype=np.float32)
    for t, ch in enumerate(path):
        out[t, cls(ch)] = p
    return out


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("-BB-1-22-3", "B123"),  # repeats collapse
        ("2-2", "22"),  # a blank separates a doubled char
        ("B~B12", "BB12"),  # a separator ('other') splits repeats too, emits nothing
        ("----", ""),
        ("AA11BB", "A1B"),
    ],
)
def test_ctc_greedy_collapses_runs(path: str, text: str) -> None:
    assert "".join(c.char for c in ctc_greedy(frames(path))) == text


def test_ctc_greedy_confidence_frame_and_runner_up() -> None:
    probs = frames("-A-8")
    probs[3, cls("B")] = 0.08
    chars = ctc_greedy(probs)
    assert [(c.char, c.frame) for c in chars] == [("A", 1), ("8", 3)]
    assert chars[1].confidence == pytest.approx(0.9)
    assert chars[1].alt == "B" and chars[1].alt_confidence == pytest.approx(0.08)


def test_candidates_swap_least_sure_positions_best_first() -> None:
    probs = frames("-B-1-O")
    probs[5] = 0.0
    probs[5, cls("O")], probs[5, cls("0")] = 0.55, 0.45
    cands = candidates_from(ctc_greedy(probs))
    assert [t for t, _ in cands[:2]] == ["B1O", "B10"]
    assert cands[0][1] > cands[1][1] > 0


def test_plate_class_matrix_folds_case_and_width() -> None:
    fold = plate_class_matrix(["<blank>", "a", "Ａ", "7", "京", "-", " "])
    assert fold.shape == (7, OTHER + 1)
    assert fold.sum(axis=1).tolist() == [1.0] * 7
    assert fold[1, cls("A")] == fold[2, cls("A")] == fold[3, cls("7")] == 1.0
    assert fold[0, BLANK] == 1.0 and fold[4, OTHER] == fold[5, OTHER] == fold[6, OTHER] == 1.0


def test_to_input_scales_to_height_48_and_pads() -> None:
    line = np.full((20, 100, 3), 255, np.uint8)
    x = to_input(line, 320)
    assert x.shape == (3, 48, 320)
    assert x[:, :, :240].min() == pytest.approx(1.0) and np.all(x[:, :, 241:] == 0.0)


def render(lines: list[str], size: tuple[int, int], bg=(255, 255, 255), fg=(0, 0, 0)) -> np.ndarray:
    w, h = size
    img = np.full((h, w, 3), bg, np.uint8)
    row_h = h // len(lines)
    scale = 1.9 if len(lines) == 1 else 1.5
    for i, text in enumerate(lines):
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, 4)
        org = ((w - tw) // 2, row_h * i + (row_h + th) // 2)
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_DUPLEX, scale, fg, 4, cv2.LINE_AA)
    cv2.rectangle(img, (2, 2), (w - 3, h - 3), fg, 3)
    return img


def test_text_lines_finds_one_or_two_rows() -> None:
    assert len(text_lines(render(["B 1234 XYZ"], (520, 110)))) == 1
    two = render(["AB 123", "CD 45"], (300, 200))
    boxes = text_lines(two)
    assert len(boxes) == 2 and boxes[0][3] <= boxes[1][1]
    line = join_lines(two, boxes)
    assert line.shape[1] > 2.5 * line.shape[0]  # the two rows side by side


def test_mark_columns_sees_a_blue_band_not_red_text() -> None:
    plate = render(["M 5 XSX"], (520, 110))
    plate[:, :50] = (200, 60, 20)  # an EU country band (BGR blue)
    cols = mark_columns(plate)
    assert cols[:45].mean() > 0.5 and cols[100:].max() < 0.1
    red_text = render(["6A5730A"], (520, 110), fg=(30, 30, 200))
    assert mark_columns(red_text).max() == 0.0


@pytest.fixture(scope="module")
def engine() -> PpOcr:
    core = ov.Core()
    return make_ocr_engine(PpOcrConfig(engine="ppocr"), core, "CPU", MODELS_DIR)


def test_reads_rendered_plates(engine: PpOcr) -> None:
    crops = [
        render(["B 1234 XYZ"], (520, 110)),
        render(["DK 4821 AF"], (520, 110), bg=(0, 0, 0), fg=(255, 255, 255)),
        render(["AB 123", "CD 45"], (300, 200)),
    ]
    results = engine.read_batch(crops)
    assert [r.text for r in results] == ["B1234XYZ", "DK4821AF", "AB123CD45"]
    for r in results:
        assert r.engine == "ppocr" and r.confidence > 0.8
        assert len(r.char_confidences) == len(r.text)
        assert r.candidates[0][0] == r.text


def _eu_crop(datasets_dir: Path, name: str) -> tuple[np.ndarray, str]:
    f, x, y, w, h, text = (datasets_dir / "openalpr-eu" / f"{name}.txt").read_text().split("\t")[:6]
    image = cv2.imread(str(datasets_dir / "openalpr-eu" / f))
    return image[int(y) : int(y) + int(h), int(x) : int(x) + int(w)], text.strip()


def test_reads_real_eu_plates(engine: PpOcr, datasets_dir: Path) -> None:
    names = ["eu1", "eu2", "eu3", "eu4", "eu5", "test_009"]
    crops, truth = zip(*(_eu_crop(datasets_dir, n) for n in names))
    texts = [r.text for r in engine.read_batch(list(crops))]
    assert sum(t == g for t, g in zip(texts, truth)) >= 5, list(zip(texts, truth))


def test_missing_model_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        make_ocr_engine(PpOcrConfig(engine="ppocr"), ov.Core(), "CPU", tmp_path)
    with pytest.raises(ModelError, match="not found"):
        make_ocr_engine(PpOcrConfig(engine="ppocr", model=Path("nope.onnx")), ov.Core(), "CPU", MODELS_DIR)
    assert set(ENGINES) == {PlateOcrConfig, PpOcrConfig}  # every OCR config plugin has an engine


def test_wrong_dictionary_is_a_model_error(tmp_path: Path) -> None:
    model = MODELS_DIR / PpOcrConfig(engine="ppocr").model
    keys = tmp_path / "keys.txt"
    keys.write_text("A\nB\n", encoding="utf-8")
    with pytest.raises(ModelError, match="classes"):
        PpOcr(model, ov.Core(), "CPU", keys_path=keys)


@pytest.mark.parametrize(
    ("columns", "edges"),
    [
        ([0.0] * 20, (0, 20)),
        ([0.9, 0.8, 0.9] + [0.0] * 17, (3, 20)),  # EU country band on the left
        ([0.9, 0.9] + [0.0] * 16 + [0.7, 0.8], (2, 18)),  # and a province band on the right
        ([0.0] * 8 + [0.9] * 4 + [0.0] * 8, (0, 20)),  # a sticker in the middle is not a band
    ],
)
def test_side_band_edges(columns: list[float], edges: tuple[int, int]) -> None:
    assert side_band_edges(np.array(columns, dtype=np.float32)) == edges


def _chars(spec: str) -> list[CtcChar]:
    """'B:0.99 8:0.6 ...' -> characters on frames 0, 2, 4, ..."""
    out = []
    for k, item in enumerate(spec.split()):
        ch, conf = item.split(":")
        out.append(CtcChar(ch, float(conf), 2 * k, "X", 0.0))
    return out


@pytest.mark.parametrize(
    ("spec", "marked_frame", "text"),
    [
        ("1:0.99 T:0.99 4:0.99 8:0.55 3:0.99 2:0.99 1:0.99 3:0.99", 6, "1T43213"),  # sticker '8'
        ("1:0.99 T:0.99 4:0.99 8:0.55 3:0.99 2:0.99 1:0.99 3:0.99", None, "1T483213"),  # no colour there
        ("H:0.45 R:0.99 K:0.99 7:0.99 0:0.99 8:0.99", None, "HRK708"),  # an unsure first one is kept
        ("R:0.99 K:0.99 7:0.99 0:0.99 8:0.45", None, "RK708"),  # an unsure last one is kept
        ("B:0.7 1:0.6 2:0.99 3:0.5", 2, "B123"),  # nothing is sure: nothing is dropped
    ],
)
def test_drop_marks_removes_unsure_outliers(spec: str, marked_frame: int | None, text: str) -> None:
    px_per_frame = 4.0
    columns = np.zeros(64, dtype=np.float32)
    if marked_frame is not None:
        x = int((marked_frame + 0.5) * px_per_frame)
        columns[x - 1 : x + 2] = 0.22  # faintly coloured: only an unsure character goes
    kept = drop_marks(_chars(spec), columns, px_per_frame)
    assert "".join(c.char for c in kept) == text


def test_drop_marks_removes_any_character_over_a_strong_mark() -> None:
    columns = np.zeros(64, dtype=np.float32)
    columns[0:6] = 0.9
    kept = drop_marks(_chars("D:0.99 B:0.99 I:0.99 M:0.99"), columns, 4.0)
    assert "".join(c.char for c in kept) == "BIM"


@pytest.mark.parametrize("tilt_deg", [-12.0, -6.0, 8.0, 14.0])
def test_tilted_plates_are_levelled_and_read(engine: PpOcr, tilt_deg: float) -> None:
    flat = np.full((160, 560, 3), 255, np.uint8)
    cv2.putText(flat, "B 1234 XYZ", (40, 105), cv2.FONT_HERSHEY_DUPLEX, 2.0, (0, 0, 0), 5, cv2.LINE_AA)
    rotation = cv2.getRotationMatrix2D((280, 80), tilt_deg, 1.0)
    tilted = cv2.warpAffine(flat, rotation, (560, 160), borderValue=(255, 255, 255))[10:150, 10:550]
    assert skew_deg(main_row(tilted)) == pytest.approx(-tilt_deg, abs=2.0)
    assert abs(skew_deg(main_row(deskew(tilted)))) < 1.5
    assert engine.read_batch([tilted])[0].text == "B1234XYZ"
