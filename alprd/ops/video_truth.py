"""Truth files of video clips and the score of a clip's plate events against them.

A truth file (``<stem>.truth.tsv``) lists one plate per line, ``time_s<TAB>PLATE<TAB>note``;
lines starting with ``#`` are comments: the scene, or plates read without certainty.
Those unsure plates are not truth: a reader may report them or not. Their guesses are
taken from the comments ("R 4762 PK", "R 531? UP", "432-LG": ``?`` is any character), and
an event that matches one is counted ``unlisted``, neither right nor extra.

Scoring one clip (pure): each listed plate is ``found_once`` (exactly one final event with
its text), a ``duplicate`` (more than one) or ``missed``. A final event whose text is no
listed plate is ``wrong`` when it looks like a misread of one (edit distance at most
:data:`WRONG_MAX_EDITS`, or its track was in view at a listed plate's time), else
``extra``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alprd.domain.text import edit_distance
from alprd.errors import BadInputError

WRONG_MAX_EDITS = 2
TIME_SLACK_S = 1.0  # a track in view this close to a listed plate's time is "at" it
_PLATE = re.compile(r"^[A-Z0-9]{2,12}$")
# A guess in a comment: 2-4 groups of letters/digits/'?' joined by spaces or dashes,
# or one 5-10 character token; kept when it has a letter (or '?') and a digit.
_GUESS = re.compile(r"(?<![A-Za-z0-9?])([A-Z0-9?]{1,4}(?:[ -][A-Z0-9?]{1,4}){1,3}|[A-Z0-9?]{5,10})(?![A-Za-z0-9?])")


@dataclass(frozen=True, slots=True)
class TruthPlate:
    time_s: float
    plate: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Truth:
    plates: tuple[TruthPlate, ...]
    unsure: tuple[str, ...] = ()  # guesses from comments; '?' is any character


@dataclass(frozen=True, slots=True)
class ScoredEvent:
    """What the scorer needs of one final event."""

    text: str
    first_seen_s: float
    last_seen_s: float


@dataclass(frozen=True, slots=True)
class ClipScore:
    plates: int
    found_once: int
    duplicates: int
    missed: int
    wrong: int
    extra: int
    unlisted: int
    outcome: dict[str, str] = field(default_factory=dict)  # listed plate -> found_once|duplicate|missed
    wrong_texts: tuple[str, ...] = ()
    extra_texts: tuple[str, ...] = ()

    @property
    def perfect(self) -> bool:
        return self.found_once == self.plates and not (self.duplicates or self.wrong or self.extra)


def parse_truth(text: str, source: str = "truth") -> Truth:
    """The listed plates and unsure guesses of one truth file's text."""
    plates: list[TruthPlate] = []
    unsure: list[str] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            unsure += guesses(line)
            continue
        cols = line.split("\t")
        if len(cols) < 2:
            raise BadInputError(f"{source}: line {n}: expected time_s<TAB>PLATE<TAB>note")
        try:
            time_s = float(cols[0])
        except ValueError:
            raise BadInputError(f"{source}: line {n}: time_s {cols[0]!r} is not a number") from None
        plate = cols[1].strip()
        if not _PLATE.match(plate):
            raise BadInputError(f"{source}: line {n}: plate {plate!r} must be 2-12 of A-Z, 0-9")
        plates.append(TruthPlate(time_s, plate, cols[2].strip() if len(cols) > 2 else ""))
    return Truth(tuple(plates), tuple(dict.fromkeys(unsure)))


def load_truth(path: Path) -> Truth:
    try:
        return parse_truth(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read truth file: {exc.strerror or exc}") from exc


def guesses(comment: str) -> list[str]:
    """Plate-like guesses in a comment line, spaces and dashes removed."""
    found = []
    for m in _GUESS.finditer(comment):
        token = re.sub(r"[ -]", "", m.group(1))
        has_letter = any(c.isalpha() or c == "?" for c in token)
        if 4 <= len(token) <= 10 and has_letter and any(c.isdigit() for c in token):
            found.append(token)
    return found


def matches_guess(text: str, guess: str) -> bool:
    return len(text) == len(guess) and all(g in ("?", c) for c, g in zip(text, guess))


def _looks_like_misread(event: ScoredEvent, plates: Sequence[TruthPlate]) -> bool:
    for p in plates:
        if edit_distance(event.text, p.plate) <= WRONG_MAX_EDITS:
            return True
        if event.first_seen_s - TIME_SLACK_S <= p.time_s <= event.last_seen_s + TIME_SLACK_S:
            return True
    return False


def score_clip(truth: Truth, finals: Iterable[ScoredEvent]) -> ClipScore:
    """Score one clip's final events against its truth."""
    finals = list(finals)
    counts = {p.plate: 0 for p in truth.plates}
    wrong: list[str] = []
    extra: list[str] = []
    unlisted = 0
    for e in finals:
        if e.text in counts:
            counts[e.text] += 1
        elif any(matches_guess(e.text, g) for g in truth.unsure):
            unlisted += 1
        elif _looks_like_misread(e, truth.plates):
            wrong.append(e.text)
        else:
            extra.append(e.text)
    outcome = {p: "found_once" if n == 1 else "duplicate" if n > 1 else "missed" for p, n in counts.items()}
    values = list(outcome.values())
    return ClipScore(
        plates=len(counts),
        found_once=values.count("found_once"),
        duplicates=values.count("duplicate"),
        missed=values.count("missed"),
        wrong=len(wrong),
        extra=len(extra),
        unlisted=unlisted,
        outcome=outcome,
        wrong_texts=tuple(wrong),
        extra_texts=tuple(extra),
    )


def total(scores: Iterable[ClipScore]) -> dict[str, int]:
    scores = list(scores)
    keys = ("plates", "found_once", "duplicates", "missed", "wrong", "extra", "unlisted")
    return {k: sum(getattr(s, k) for s in scores) for k in keys}
