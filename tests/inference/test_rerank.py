"""Re-ranking OCR candidates with a country pack: table-driven, no model."""

from __future__ import annotations

import pytest

from alprd.inference.rerank import corrections, rerank
from alprd.packs import confusable_map
from alprd.messages import OcrResult
from alprd.packs import Pack, load_pack

ID = load_pack("id")


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        ("B1234ABC", "B1234ABC"),  # fits: unchanged
        ("8123ABC", "B123ABC"),  # prefix must be letters: 8 -> B
        ("B1Z34ABC", "B1234ABC"),  # middle must be digits: Z -> 2
        ("B12O4AB", "B1204AB"),  # O -> 0 in the number block
        ("B1234A8C", "B1234ABC"),  # suffix must be letters: 8 -> B
        ("D8701UF", "D8701UF"),  # fits as read (D region, digits 8701)
        ("0B1234", "DB1234"),  # 0 -> D, O or Q: DB is a known region, OB and QB are not
        ("AB12345", "AB1234S"),  # five digits cannot be: the last one is a letter
    ],
)
def test_position_rules_fix_confusables(read, fixed):
    result = rerank(OcrResult(read, 0.8, candidates=((read, 0.8),)), ID)
    assert result.text == fixed
    assert ID.matches_format(result.text)


@pytest.mark.parametrize(
    ("candidates", "best"),
    [
        # the best read fits no format and cannot be fixed: a fitting runner-up wins
        ((("B1234ABCD", 0.6), ("B1234ABC", 0.3)), "B1234ABC"),
        # a fitting read beats a fixed read of similar score
        ((("8123ABC", 0.5), ("B123ABC", 0.4)), "B123ABC"),
        # a known region prefix beats an unknown one at equal scores
        ((("C1234AB", 0.5), ("G1234AB", 0.4)), "G1234AB"),
    ],
)
def test_candidates_are_reranked(candidates, best):
    result = rerank(OcrResult(candidates[0][0], candidates[0][1], candidates=candidates), ID)
    assert result.text == best
    assert result.candidates[0][0] == best
    scores = [s for _, s in result.candidates]
    assert scores == sorted(scores, reverse=True)


def test_unfixable_read_is_kept_with_a_lower_score():
    result = rerank(OcrResult("12345678", 0.9, candidates=(("12345678", 0.9),)), ID)
    assert result.text == "12345678"
    assert result.candidates[0][1] < 0.9


def test_pack_without_formats_leaves_the_result_alone():
    result = OcrResult("8123ABC", 0.7, (0.9,) * 7, (("8123ABC", 0.7),), "plate")
    assert rerank(result, Pack(code="xx", name="none", formats=())) == result


def test_char_confidences_kept_when_length_unchanged():
    result = rerank(OcrResult("8123ABC", 0.7, (0.4, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9), (("8123ABC", 0.7),), "plate"), ID)
    assert result.text == "B123ABC"
    assert result.confidence == pytest.approx(0.7 * 0.5)  # one swap halves it, on the engine's scale
    assert result.char_confidences == (0.4, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9)
    assert result.engine == "plate"


def test_confusable_map_is_symmetric():
    m = confusable_map()
    for ch, others in m.items():
        for other in others:
            assert ch in m[other]
    assert set(m["0"]) == {"O", "D", "Q"}


def test_corrections_prefer_fewest_swaps():
    assert corrections("B1Z3SABC", ID) == [("B1235ABC", 2)]
    assert corrections("B1234ABC", ID) == [("B1234ABC", 0)]
    assert corrections("########", ID) == []
