"""Voting over a track's reads: table-driven, no model."""

import pytest

from alprd.domain.messages import OcrResult
from alprd.domain.packs import load_pack
from alprd.gate.vote import vote

FITS_ID = load_pack("id").matches_format


def r(text: str, conf: float, chars: tuple[float, ...] = ()) -> OcrResult:
    return OcrResult(text=text, confidence=conf, char_confidences=chars)


CASES = [
    # (reads, expected text, comment)
    ([r("B1234ABC", 0.9)], "B1234ABC", "single read"),
    ([r("B1234ABC", 0.9), r("B1234ABC", 0.8), r("81234ABC", 0.6)], "B1234ABC", "majority per position"),
    ([r("B1234A8C", 0.5), r("B1234ABC", 0.7), r("B1Z34ABC", 0.6)], "B1234ABC", "errors at different positions"),
    ([r("B1234ABC", 0.9), r("B234ABC", 0.3)], "B1234ABC", "heavier length wins"),
    ([r("B123ABC", 0.3), r("B1234ABC", 0.35), r("B1234ABC", 0.3)], "B1234ABC", "two shorter agree"),
    # per-character confidences beat the overall one
    (
        [
            r("D1234XY", 0.8, (0.9, 0.9, 0.9, 0.9, 0.2, 0.9, 0.9)),
            r("D1239XY", 0.7, (0.9, 0.9, 0.9, 0.9, 0.95, 0.9, 0.9)),
        ],
        "D1239XY",
        "char confidences",
    ),
    # the format repairs a position with a character another read has there (O -> 0) ...
    ([r("B1O34ABC", 0.9), r("B1034ABC", 0.5)], "B1034ABC", "runner-up fixes the format"),
    # ... and a digit read where the suffix needs a letter (8 -> B)
    ([r("B1234A8C", 0.9), r("B1234A8C", 0.9), r("B1234ABC", 0.4)], "B1234ABC", "digit in suffix"),
    ([r("", 0.9), r("AB12", 0.4)], "AB12", "empty reads ignored"),
    # the repair keeps the voted characters elsewhere
    (
        [r("B1O34ABC", 0.9), r("B1O34ABD", 0.8), r("B1034ABD", 0.3)],
        "B1034ABD",
        "voted suffix, twin from the third read",
    ),
]


@pytest.mark.parametrize("reads,expected,why", CASES, ids=[c[2] for c in CASES])
def test_vote_text(reads, expected, why):
    result = vote(reads, FITS_ID)
    assert result is not None
    assert result.text == expected
    assert result.fits_format


@pytest.mark.parametrize(
    "reads,why",
    [
        ([r("217YH", 0.99)] * 3, "a plate from abroad every read agrees on"),
        ([r("B1O34ABC", 0.9)], "no read has the twin: the pack's re-ranking already weighed it"),
        ([r("217YH", 0.99)] * 3 + [r("Z7M", 0.4)], "a fitting read of another length does not win"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_vote_invents_no_character(reads, why):
    result = vote(reads, FITS_ID)
    assert result is not None
    assert result.text == reads[0].text
    assert not result.fits_format


def test_no_text_no_vote():
    assert vote([], FITS_ID) is None
    assert vote([r("", 0.9)], FITS_ID) is None


@pytest.mark.parametrize(
    "reads,low,high",
    [
        ([r("B1234ABC", 0.95)] * 3, 0.94, 0.96),  # unanimous and confident
        ([r("B1234ABC", 0.95), r("B1234ABD", 0.95)], 0.85, 0.95),  # one position split
        ([r("B1234ABC", 0.5)], 0.49, 0.51),  # a single weak read
        ([r("B1234ABC", 0.9), r("B99", 0.9)], 0.4, 0.5),  # half the weight has another length
    ],
)
def test_vote_confidence(reads, low, high):
    result = vote(reads, FITS_ID)
    assert low <= result.confidence <= high


def test_unfixable_keeps_the_vote_and_says_so():
    result = vote([r("12345678", 0.9)], FITS_ID)
    assert result.text == "12345678" and not result.fits_format
    assert result.agreeing == 1 and result.reads == 1


def test_without_format_rules_plain_majority():
    result = vote([r("B1O34ABC", 0.9), r("B1O34ABC", 0.9)])
    assert result.text == "B1O34ABC"
