"""Voting over a track's OCR reads: per position, confidence-weighted, format-aware.

Reads are grouped by length and the heaviest length wins; each position then takes
the character with the most confidence behind it (per-character confidences when the
engine gives them). If the result breaks the country pack's format, the cheapest
single-position change to a character some read of the track has there that fixes it is
taken; failing that, the best read of that length that fits; failing that, the text
stands as voted. Characters no read has are never invented: each read was already
corrected by the pack (``vision/rerank.py``), which weighs a confusable swap against
how sure the engine was; a plate from abroad that every read agrees on stays as read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from alprd.domain.messages import OcrResult


@dataclass(frozen=True, slots=True)
class Vote:
    text: str
    confidence: float  # 0..1: agreement x confidence of the reads behind the text
    reads: int  # reads voted on
    agreeing: int  # reads whose text equals the result
    fits_format: bool


def _char_weights(read: OcrResult) -> tuple[float, ...]:
    if len(read.char_confidences) == len(read.text):
        return read.char_confidences
    return (read.confidence,) * len(read.text)


def vote(reads: Sequence[OcrResult], fits: Callable[[str], bool] | None = None) -> Vote | None:
    """The track's plate text, or None when no read has any text."""
    reads = [r for r in reads if r.text]
    if not reads:
        return None
    fits = fits or (lambda _text: True)
    by_length: dict[int, list[OcrResult]] = defaultdict(list)
    for r in reads:
        by_length[len(r.text)].append(r)
    total_weight = sum(r.confidence for r in reads) or 1.0
    length = max(by_length, key=lambda n: (sum(r.confidence for r in by_length[n]), -n))
    group = by_length[length]
    tables = _position_tables(group)
    text = "".join(max(t, key=lambda c: (t[c], c)) for t in tables)
    if not fits(text):
        text = _repair(text, tables, fits) or _best_fitting_read(group, fits) or text
    share = sum(r.confidence for r in group) / total_weight
    confidence = share * _agreement(text, tables, len(group))
    return Vote(
        text=text,
        confidence=round(confidence, 4),
        reads=len(reads),
        agreeing=sum(1 for r in reads if r.text == text),
        fits_format=fits(text),
    )


def _position_tables(group: Sequence[OcrResult]) -> list[dict[str, float]]:
    tables: list[dict[str, float]] = [defaultdict(float) for _ in group[0].text]
    for r in group:
        for i, (ch, w) in enumerate(zip(r.text, _char_weights(r))):
            tables[i][ch] += w
    return tables


def _agreement(text: str, tables: Sequence[dict[str, float]], n_reads: int) -> float:
    """Mean over positions of the weight behind the chosen char per read (0..1)."""
    if len(text) != len(tables) or not tables:
        return 0.5 * max((max(t.values()) / n_reads for t in tables), default=0.0)
    return sum(t.get(ch, 0.0) / n_reads for ch, t in zip(text, tables)) / len(tables)


def _repair(text: str, tables: Sequence[dict[str, float]], fits: Callable[[str], bool]) -> str | None:
    options: list[tuple[float, int, str]] = []
    for i, table in enumerate(tables):
        cur = text[i]
        options += [(table[cur] - w, i, c) for c, w in table.items() if c != cur and w > 0]
    for _cost, i, c in sorted(options):
        candidate = text[:i] + c + text[i + 1 :]
        if fits(candidate):
            return candidate
    return None


def _best_fitting_read(reads: Sequence[OcrResult], fits: Callable[[str], bool]) -> str | None:
    fitting = [r for r in reads if fits(r.text)]
    return max(fitting, key=lambda r: r.confidence).text if fitting else None
