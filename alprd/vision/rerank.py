"""Re-rank OCR candidates with a country pack's formats and position rules.

A read that does not fit any of the pack's formats is corrected by swapping
characters OCR confuses (``CONFUSABLE_PAIRS``: O/0, B/8, Z/2, ...) where the format
wants the other kind: in an Indonesian plate the prefix is letters and the middle
digits, so "8123ABC" becomes "B123ABC" and "B1Z34ABC" "B1234ABC"; in a Slovak one the
last two are letters, so "PP587A0" becomes "PP587AO". Each swap costs a factor of the
candidate's score; a candidate that fits no format even after swaps keeps a small
share of its score, and where the pack names regions, a home-format text whose prefix
is no known region loses half. A pack may also list foreign formats (the neighbours'
plates a gate sees): a read that fits one is kept, at a lower score than a read of the
country's own (``FOREIGN_FORMAT_PENALTY``, or the pack's own ``foreign_factor``), so that
a swap towards the home format can still win. Ties keep the
order of ``CONFUSABLE_PAIRS``.

Several packs (``regions.packs``) are ranked in their order: a read that fits the second
pack's formats scores ``PACK_RANK_FACTOR`` times what it would in the first (the third
that squared, ...), so the first pack's corrections work as with one pack, and the later
packs' plates are kept as read where no single swap makes them a plate of the first. Its
region is looked up in the pack it fits.

A read that fits no home format may hold one character too many: a frame edge, an
emblem or a sticker read as a letter or an 8 ("PRK884AL", "4B480262"). Dropping one
character (and at most one swap) that makes it fit costs ``DELETE_PENALTY`` times how
unsure the engine was of the dropped character, so the least sure one goes, and a
character the engine was sure of is hardly ever dropped.
Pure functions of the result and the pack.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace

from alprd.domain.messages import OcrResult
from alprd.domain.packs import Pack, Packs, as_packs, confusable_map

SWAP_PENALTY = 0.5  # score factor per confusable swap
TWIN_DECAY = 0.7  # further factor per place behind the likeliest twin (0 -> O, D, Q)
NO_FORMAT_PENALTY = 0.05  # score factor for a text that fits no format
UNKNOWN_REGION_PENALTY = 0.5  # score factor when the pack has regions and none matches
# Score factor for a text that fits a foreign format only: a prior that most plates at
# a gate are the country's own (about 1 in 10 foreign, spread over several formats).
FOREIGN_FORMAT_PENALTY = 0.3
MAX_SWAPS = 3
# Score factor per place behind the first pack, for a read that fits a later pack: below
# one swap (0.5), so a read one swap from the first pack's format is corrected into it
# (as with foreign formats); above two swaps and the first pack's foreign formats.
PACK_RANK_FACTOR = 0.45
DELETE_PENALTY = 0.5  # score factor for dropping one character, times (1 - its confidence)
# A swap of a character the engine was sure of costs more: its factor is further times
# min(1, (1 - confidence) / SWAP_CONFIDENCE_SCALE); 0 turns this off.
SWAP_CONFIDENCE_SCALE = 0.1
UNKNOWN_CONFIDENCE = 0.5  # a character's confidence when the engine gave none


def _swapped(text: str, n: int, swaps: dict[str, tuple[str, ...]]) -> Iterator[str]:
    """Every text made from ``text`` by exactly ``n`` confusable swaps."""
    positions = [i for i, ch in enumerate(text) if ch in swaps]
    for chosen in itertools.combinations(positions, n):
        for repl in itertools.product(*(swaps[text[i]] for i in chosen)):
            chars = list(text)
            for i, ch in zip(chosen, repl):
                chars[i] = ch
            yield "".join(chars)


def corrections(text: str, pack: Pack | Packs, max_swaps: int = MAX_SWAPS) -> list[tuple[str, int]]:
    """Format-fitting variants of ``text`` by confusable swaps, as (text, swaps), fewest
    swaps first; ``[(text, 0)]`` when it fits the (first) pack's home format already, ``[]``
    when nothing fits. The search stops at the fewest swaps that reach the first pack's
    home format; fits of later packs' and foreign formats found on the way are kept."""
    packs = as_packs(pack)
    if not packs.packs:
        return []
    first = packs.packs[0]
    swaps = confusable_map()
    found: list[tuple[str, int]] = []
    for n in range(max_swaps + 1):
        top = False
        for variant in _swapped(text, n, swaps) if n else iter((text,)):
            if (variant, n) in found or not packs.matches_format(variant):
                continue
            found.append((variant, n))
            top = top or first.matches_home_format(variant)
        if top:
            break
    return found


def deletions(text: str, pack: Pack | Packs, confidences: tuple[float, ...] = ()) -> list[tuple[str, float]]:
    """Format-fitting variants of ``text`` with one character dropped (plus at most one
    confusable swap), as (text, score factor), best first; ``[]`` when none fits."""
    if len(confidences) != len(text):
        confidences = (UNKNOWN_CONFIDENCE,) * len(text)
    scored: dict[str, float] = {}
    for i in range(len(text)):
        shorter = text[:i] + text[i + 1 :]
        factor = DELETE_PENALTY * (1.0 - confidences[i])
        kept = confidences[:i] + confidences[i + 1 :]
        for fixed, _ in corrections(shorter, pack, max_swaps=1):
            scored[fixed] = max(scored.get(fixed, 0.0), factor * swap_factor(shorter, fixed, kept))
    return sorted(scored.items(), key=lambda t: -t[1])


def format_factor(text: str, packs: Pack | Packs) -> float:
    """How well a format-fitting text suits the packs: 1 for a home plate of the first
    pack with a known region, less for a later pack, an unknown region or a foreign
    format."""
    packs = as_packs(packs)
    rank = packs.home_rank(text)
    if rank is None:
        factors = [
            _foreign_factor(p) * PACK_RANK_FACTOR**i
            for i, p in enumerate(packs.packs)
            if p.matches_foreign_format(text)
        ]
        return max(factors, default=FOREIGN_FORMAT_PENALTY)
    pack = packs.packs[rank]
    region = UNKNOWN_REGION_PENALTY if pack.regions and not pack.region_for(text)[0] else 1.0
    return region * PACK_RANK_FACTOR**rank


def _foreign_factor(pack: Pack) -> float:
    return FOREIGN_FORMAT_PENALTY if pack.foreign_factor is None else pack.foreign_factor


def swap_factor(read: str, fixed: str, confidences: tuple[float, ...] = ()) -> float:
    """Score factor for turning ``read`` into ``fixed`` (same length) by confusable swaps:
    ``SWAP_PENALTY`` per swap, times ``TWIN_DECAY`` for each place a twin stands behind
    the likeliest one (0 -> O costs 0.5, 0 -> D 0.35, 0 -> Q 0.245): a known region
    prefix (a factor 2) outweighs the order of the twins."""
    twins = confusable_map()
    sure = len(confidences) == len(read) and SWAP_CONFIDENCE_SCALE > 0
    factor = 1.0
    for i, (a, b) in enumerate(zip(read, fixed)):
        if a != b:
            factor *= SWAP_PENALTY * TWIN_DECAY ** twins[a].index(b)
            if sure:
                factor *= min(1.0, (1.0 - confidences[i]) / SWAP_CONFIDENCE_SCALE)
    return factor


def rerank(result: OcrResult, pack: Pack | Packs) -> OcrResult:
    """The result with candidates corrected and re-scored by the pack(s), best first.

    When the best text changes, its confidence is the engine's, times the best text's
    share of all re-ranked scores: a correction the pack settles clearly keeps a
    confidence near the engine's, one among near-equal variants gets a low one."""
    pack = as_packs(pack)
    if not pack.formats or not result.text:
        return result
    candidates = result.candidates or ((result.text, result.confidence),)
    scored: dict[str, float] = {}
    for text, score in candidates:
        confidences = result.char_confidences if text == result.text else ()
        fixes = [(fixed, swap_factor(text, fixed, confidences)) for fixed, _ in corrections(text, pack)]
        if not pack.matches_format(text):
            scored[text] = max(scored.get(text, 0.0), score * NO_FORMAT_PENALTY)
        if not pack.matches_home_format(text):
            fixes += deletions(text, pack, confidences)
        for fixed, factor in fixes:
            scored[fixed] = max(scored.get(fixed, 0.0), score * factor * format_factor(fixed, pack))
    ranked = tuple((text, round(score, 6)) for text, score in sorted(scored.items(), key=lambda t: -t[1]))
    best, best_score = ranked[0]
    char_conf = result.char_confidences if len(best) == len(result.char_confidences) else ()
    if best == result.text:
        return replace(result, candidates=ranked)
    share = best_score / max(sum(score for _, score in ranked), 1e-12)
    confidence = min(1.0, result.confidence * share)
    return replace(result, text=best, confidence=confidence, char_confidences=char_conf, candidates=ranked)
