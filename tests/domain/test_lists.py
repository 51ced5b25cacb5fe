"""Tolerant white/blacklist matching, table-driven."""

from __future__ import annotations

import pytest

from alprd.domain.lists import confusions, match_list_status, normalise_plate_text

LISTS = {"B1234ABC": "whitelist", "D55XY": "blacklist", "B1234A8C": "blacklist", "L1ON": "whitelist"}


@pytest.mark.parametrize(
    "text, max_confusions, expected",
    [
        ("B1234ABC", 0, "whitelist"),  # exact
        ("b 1234-abc", 0, "whitelist"),  # normalised
        ("B1234A8C", 1, "blacklist"),  # exact wins over a one-confusion whitelist match
        ("81234ABC", 0, "unknown"),  # B->8 not tolerated at 0
        ("81234ABC", 1, "whitelist"),  # B<->8
        ("D5SXY", 1, "blacklist"),  # S<->5
        ("0S5XY", 1, "unknown"),  # two confusions (D->0, 5->S) ...
        ("0S5XY", 2, "blacklist"),  # ... tolerated at 2
        ("D55XV", 1, "unknown"),  # Y->V is not an OCR confusion pair
        ("D55X", 1, "unknown"),  # different length
        ("LION", 1, "whitelist"),  # 1<->I
        ("L10N", 1, "whitelist"),  # O<->0
        ("81234A8C", 1, "blacklist"),  # one confusion from B1234A8C, two from B1234ABC
        ("", 1, "unknown"),
        ("---", 1, "unknown"),
    ],
)
def test_match_list_status(text, max_confusions, expected):
    assert match_list_status(text, LISTS, max_confusions) == expected


def test_tie_goes_to_blacklist():
    lists = {"B10": "whitelist", "8I0": "blacklist"}
    assert match_list_status("810", lists, 1) == "blacklist"  # one confusion from each entry
    assert match_list_status("B10", lists, 1) == "whitelist"  # exact still wins
    assert match_list_status("8IO", lists, 1) == "blacklist"  # one from 8I0, three from B10


@pytest.mark.parametrize(
    "a, b, n",
    [("B1", "B1", 0), ("B1", "81", 1), ("O0", "0O", 2), ("AB", "AC", None), ("A", "AB", None)],
)
def test_confusions(a, b, n):
    assert confusions(a, b) == n


@pytest.mark.parametrize("raw, clean", [("b 1234 abc", "B1234ABC"), ("D-55.XY", "D55XY"), ("", "")])
def test_normalise(raw, clean):
    assert normalise_plate_text(raw) == clean


def test_compiled_lists_agree_with_the_matcher():
    """compile_lists (used to re-apply lists to every stored plate) == match_list_status."""
    import random

    from alprd.domain.lists import compile_lists

    rng = random.Random(3)
    chars = "ABDOQ0128ILSZ5GT7X"
    for _ in range(200):
        lists = {
            "".join(rng.choice(chars) for _ in range(rng.randint(2, 5))): rng.choice(["whitelist", "blacklist"])
            for _ in range(rng.randint(1, 8))
        }
        n = rng.randint(0, 3)
        table = compile_lists(lists, n)
        for _ in range(40):
            text = "".join(rng.choice(chars) for _ in range(rng.randint(2, 5)))
            assert table.get(text, "unknown") == match_list_status(text, lists, n), (text, lists, n)
