"""Re-rank OCR candidates with a country pack's formats and position rules.

A read that does not fit any of the pack's formats is corrected by swapping
characters OCR confuses (``CONFUSABLE_PAIRS``: O/0, B/8, Z/2, ...) where the format
wants the other kind: in an Indonesian plate the prefix is letters and the middle
digits, so "8123ABC" becomes "B123ABC" and "B1Z34ABC" "B1234ABC". Each swap costs a
factor of the candidate's score; a candidate that fits no format even after swaps
keeps a small share of its score, and where the pack names regions, a text whose
prefix is no known region loses half. Ties keep the order of ``CONFUSABLE_PAIRS``.
Pure functions of the result and the pack.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from alprd.messages import OcrResult
from alprd.packs import Pack, confusable_map

SWAP_PENALTY = 0.5  # score factor per confusable swap
NO_FORMAT_PENALTY = 0.05  # score factor for a text that fits no format
UNKNOWN_REGION_PENALTY = 0.5  # score factor when the pack has regions and none matches
MAX_SWAPS = 3


def corrections(text: str, pack: Pack, max_swaps: int = MAX_SWAPS) -> list[tuple[str, int]]:
    """Format-fitting variants of ``text`` by confusable swaps, as (text, swaps), fewest
    swaps first; ``[(text, 0)]`` when it fits already, ``[]`` when nothing fits."""
    if pack.matches_format(text):
        return [(text, 0)]
    swaps = confusable_map()
    positions = [i for i, ch in enumerate(text) if ch in swaps]
    for n in range(1, min(max_swaps, len(positions)) + 1):
        found: list[tuple[str, int]] = []
        for chosen in itertools.combinations(positions, n):
            for repl in itertools.product(*(swaps[text[i]] for i in chosen)):
                chars = list(text)
                for i, ch in zip(chosen, repl):
                    chars[i] = ch
                variant = "".join(chars)
                if pack.matches_format(variant) and (variant, n) not in found:
                    found.append((variant, n))
        if found:
            return found
    return []


def rerank(result: OcrResult, pack: Pack) -> OcrResult:
    """The result with candidates corrected and re-scored by the pack, best first."""
    if not pack.formats or not result.text:
        return result
    candidates = result.candidates or ((result.text, result.confidence),)
    scored: dict[str, float] = {}
    for text, score in candidates:
        fixes = corrections(text, pack)
        if not fixes:
            scored[text] = max(scored.get(text, 0.0), score * NO_FORMAT_PENALTY)
            continue
        for fixed, n in fixes:
            region_factor = UNKNOWN_REGION_PENALTY if pack.regions and not pack.region_for(fixed)[0] else 1.0
            scored[fixed] = max(scored.get(fixed, 0.0), score * SWAP_PENALTY ** n * region_factor)
    ranked = tuple((text, round(score, 6)) for text, score in sorted(scored.items(), key=lambda t: -t[1]))
    best, best_score = ranked[0]
    char_conf = result.char_confidences if len(best) == len(result.char_confidences) else ()
    if best == result.text:
        return replace(result, candidates=ranked)
    top_score = max(candidates[0][1], 1e-9)
    confidence = min(1.0, result.confidence * best_score / top_score)  # keep the engine's scale
    return replace(result, text=best, confidence=confidence, char_confidences=char_conf, candidates=ranked)
