"""Truth files of clips and the score of a clip's final events (table-driven, pure)."""

import pytest

from alprd.errors import BadInputError
from alprd.ops.video_truth import ScoredEvent, guesses, matches_guess, parse_truth, score_clip

TRUTH = parse_truth(
    "# a street; a taxi behind, plate looks like 432-LG, first character uncertain\n"
    "1.5\tDD1485SX\tfirst car\n"
    "4.0\tAD1490DY\tsecond car\n"
    "# blue scooter, plate R 531? UP - fourth digit hidden\n"
)


def ev(text: str, t0: float = 0.0, t1: float = 0.5) -> ScoredEvent:
    return ScoredEvent(text, t0, t1)


def test_parse_truth_reads_plates_and_guesses():
    assert [(p.time_s, p.plate) for p in TRUTH.plates] == [(1.5, "DD1485SX"), (4.0, "AD1490DY")]
    assert TRUTH.unsure == ("432LG", "R531?UP")


@pytest.mark.parametrize(
    "text,error",
    [("1.5\n", "expected time_s"), ("x\tAB12\n", "not a number"), ("1\tab-12\n", "must be 2-12")],
)
def test_bad_truth_lines_are_clear_errors(text, error):
    with pytest.raises(BadInputError, match=error):
        parse_truth(text, "t.tsv")


@pytest.mark.parametrize(
    "comment,expected",
    [
        ("# R 4762 PK - third digit 6 or 8", ["R4762PK"]),
        ("# overlay timestamp 2019-02-13 ~12:00, expiry 12.20", []),  # no letters: no plate
        ("# plate ?52-B? - unreadable", ["?52B?"]),
        ("# Toyota Land Cruiser", []),
    ],
)
def test_guesses(comment, expected):
    assert guesses(comment) == expected


@pytest.mark.parametrize(
    "finals,expected",
    [
        ([ev("DD1485SX", 0, 2.4), ev("AD1490DY", 3.2, 4.4)], (2, 0, 0, 0, 0, 0)),
        ([ev("DD1485SX"), ev("DD1485SX", 9, 9.5)], (0, 1, 1, 0, 0, 0)),  # found twice; other missed
        ([ev("DD1485SX"), ev("AA0490DY", 3.2, 4.4)], (1, 0, 1, 1, 0, 0)),  # a misread (2 edits)
        ([ev("DD1485SX"), ev("XY77", 3.5, 4.5)], (1, 0, 1, 1, 0, 0)),  # wrong: in view at AD1490DY's time
        ([ev("DD1485SX"), ev("XY77", 9, 9.5)], (1, 0, 1, 0, 1, 0)),  # nothing listed near: extra
        ([ev("DD1485SX"), ev("R5311UP", 9, 9.5), ev("432LG", 9, 9.5)], (1, 0, 1, 0, 0, 2)),  # unsure ones
        ([], (0, 0, 2, 0, 0, 0)),
    ],
)
def test_score_clip(finals, expected):
    s = score_clip(TRUTH, finals)
    assert (s.found_once, s.duplicates, s.missed, s.wrong, s.extra, s.unlisted) == expected
    assert s.plates == 2
    assert s.perfect is (expected == (2, 0, 0, 0, 0, 0))


def test_guess_wildcard():
    assert matches_guess("R5311UP", "R531?UP") and not matches_guess("R531UP", "R531?UP")
