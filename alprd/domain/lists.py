"""White/blacklist matching that tolerates the OCR's usual letter/digit confusions.

Pure functions of (text, lists). A listed plate matches a read when both have the same
length and every differing position is a pair from ``CONFUSABLE_PAIRS`` (O/0, B/8, ...),
at most ``max_confusions`` of them. An exact match wins; otherwise the match with the
fewest confusions wins, and on a tie the blacklist wins (the safe side at a gate).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations, product
from typing import Literal, get_args

from alprd.domain.packs import CONFUSABLE_PAIRS, confusable_map, normalise_text

# The access lists and the status a plate gets from them: the only place these names are spelled.
ListName = Literal["whitelist", "blacklist"]
ListStatus = Literal[ListName, "unknown"]
LIST_NAMES: tuple[ListName, ...] = get_args(ListName)
UNKNOWN: Literal["unknown"] = "unknown"
LIST_STATUSES: tuple[ListStatus, ...] = (*LIST_NAMES, UNKNOWN)
_CONFUSABLE: frozenset[tuple[str, str]] = frozenset(pair for a, b in CONFUSABLE_PAIRS for pair in ((a, b), (b, a)))
_PARTNERS: dict[str, tuple[str, ...]] = confusable_map()
_STATUS_RANK = {"blacklist": 0, "whitelist": 1}
# Stored plate text and list entries are normalised exactly as the OCR engines' output.
normalise_plate_text = normalise_text


def confusions(a: str, b: str) -> int | None:
    """How many positions differ by a confusable pair, or None if a or b differ otherwise."""
    if len(a) != len(b):
        return None
    count = 0
    for x, y in zip(a, b):
        if x == y:
            continue
        if (x, y) not in _CONFUSABLE:
            return None
        count += 1
    return count


def match_list_status(text: str, lists: Mapping[str, ListName], max_confusions: int) -> ListStatus:
    """'whitelist', 'blacklist' or 'unknown' for a plate text against the access lists."""
    text = normalise_plate_text(text)
    if not text:
        return UNKNOWN
    exact = lists.get(text)
    if exact is not None:
        return exact
    if max_confusions <= 0:
        return UNKNOWN
    best: tuple[int, int, ListName] | None = None
    for listed, status in lists.items():
        n = confusions(text, listed)
        if n is None or n > max_confusions:
            continue
        key = (n, _STATUS_RANK.get(status, 2), status)
        if best is None or key < best:
            best = key
    return best[2] if best else UNKNOWN


def compile_lists(lists: Mapping[str, ListName], max_confusions: int) -> dict[str, ListName]:
    """Every plate text that matches a listed one, mapped to its status: one dict lookup
    per read instead of a pass over the lists (for re-applying the lists to many plates).

    ``compile_lists(lists, n).get(normalise_plate_text(t), "unknown")`` equals
    ``match_list_status(t, lists, n)``.
    """
    best: dict[str, tuple[int, int, ListName]] = {}
    for listed, status in lists.items():
        rank = _STATUS_RANK.get(status, 2)
        positions = [i for i, c in enumerate(listed) if c in _PARTNERS]
        for n in range(0, max(0, max_confusions) + 1):
            for chosen in combinations(positions, n):
                for swaps in product(*(_PARTNERS[listed[i]] for i in chosen)):
                    chars = list(listed)
                    for i, c in zip(chosen, swaps):
                        chars[i] = c
                    variant = "".join(chars)
                    key = (0, 0, status) if n == 0 else (n, rank, status)
                    if variant not in best or key < best[variant]:
                        best[variant] = key
    return {text: key[2] for text, key in best.items()}
