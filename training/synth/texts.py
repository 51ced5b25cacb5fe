"""Random plate texts per style: Indonesian from the id pack, EU and US formats,
and any other pack from its format regexes. Each returns (text, groups): the plate
text (normalised, as labelled) and the groups as printed, for spacing on the plate."""

from __future__ import annotations

import re

import numpy as np

from alprd.domain.packs import Pack

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"

# EU national formats as token strings: L letter, D digit, '-' group break.
EU_FORMATS = {
    "SK": ("LL-DDDLL",),
    "CZ": ("DLD-DDDD", "DLL-DDDD"),
    "D": ("L-LL-DDDD", "LL-L-DDD", "LLL-LL-DD", "L-L-DDDD", "LL-LL-DDDD", "L-LL-DD"),
    "PL": ("LL-DDDDD", "LLL-DDDD", "LL-DDDLL", "LLL-DDLL"),
    "HR": ("LL-DDD-LL", "LL-DDDD-L"),
    "A": ("L-DDDD-LL", "LL-DDD-LL"),
    "I": ("LL-DDD-LL",),
    "F": ("LL-DDD-LL",),
    "NL": ("LL-DDD-L", "DD-LLL-D", "L-DDD-LL"),
    "E": ("DDDD-LLL",),
    "H": ("LLL-DDD",),
    "SLO": ("LL-LL-DDD",),
}
# US formats (no state prefix on the plate text).
US_FORMATS = (
    "DLLLDDD", "LLL-DDDD", "LLL-DDD", "DDD-LLL", "DDDDDD", "LL-DDDDD", "DLL-DDD",
    "LLDDDD", "DDD-DDD", "LDDDDD", "DDDLDD", "LLLDDD", "DDLLLL", "LL-DDDD", "DDDDDDD",
    "LLLLDDD", "DLDDDD", "DDLDDD", "LDLDDD",
)


# Chance that a character repeats the one before it (same kind, same group). Uniform
# random texts almost never hold runs ("AAA0000", "1109"), and a CTC reader that rarely
# saw one merges it (OCR v2 read DK1109EV as DK109EV, AAA0000 as AAA0).
REPEAT_P = 0.15


def with_runs(chars: list[str], rng: np.random.Generator, same_kind: bool = True) -> str:
    """``chars`` with some characters replaced by the one before them (``REPEAT_P``)."""
    out = list(chars)
    for i in range(1, len(out)):
        if rng.random() < REPEAT_P and (not same_kind or out[i].isdigit() == out[i - 1].isdigit()):
            out[i] = out[i - 1]
    return "".join(out)


def _fill(tokens: str, rng: np.random.Generator) -> list[str]:
    groups: list[str] = []
    for group in tokens.split("-"):
        chars = [LETTERS[rng.integers(26)] if t == "L" else DIGITS[rng.integers(10)] for t in group]
        groups.append(with_runs(chars, rng))
    return groups


def id_text(pack: Pack, rng: np.random.Generator) -> list[str]:
    prefixes = sorted(pack.regions) or ["B"]
    prefix = prefixes[rng.integers(len(prefixes))]
    n_digits = int(rng.choice([1, 2, 3, 4], p=[0.05, 0.1, 0.25, 0.6]))
    digits = with_runs([str(rng.integers(1, 10))] + [DIGITS[rng.integers(10)] for _ in range(n_digits - 1)], rng)
    n_suffix = int(rng.choice([0, 1, 2, 3], p=[0.03, 0.12, 0.4, 0.45]))
    suffix = with_runs([LETTERS[rng.integers(26)] for _ in range(n_suffix)], rng)
    return [g for g in (prefix, digits, suffix) if g]


def eu_text(rng: np.random.Generator) -> tuple[str, list[str]]:
    countries = sorted(EU_FORMATS)
    # The validation set is mostly Slovak, Czech, German and Polish: weight those,
    # but keep the rest so the model does not learn one country's layout only.
    weights = np.array([4.0 if c in ("SK", "CZ", "D", "PL") else 1.0 for c in countries])
    country = countries[rng.choice(len(countries), p=weights / weights.sum())]
    formats = EU_FORMATS[country]
    return country, _fill(formats[rng.integers(len(formats))], rng)


def us_text(rng: np.random.Generator) -> list[str]:
    return _fill(US_FORMATS[rng.integers(len(US_FORMATS))], rng)


_TOKEN = re.compile(r"\[([^\]]+)\](?:\{(\d+)(?:,(\d+))?\})?|([A-Z0-9])")


def _class_chars(spec: str) -> str:
    chars = ""
    for lo, hi in re.findall(r"(.)-(.)", spec):
        chars += "".join(chr(c) for c in range(ord(lo), ord(hi) + 1))
    return chars or spec


def regex_text(pattern: str, rng: np.random.Generator) -> list[str]:
    """A random text for a simple format regex ('^[A-Z]{1,2}[0-9]{1,4}$'), one group
    per character class."""
    groups: list[str] = []
    for cls, lo, hi, literal in _TOKEN.findall(pattern.strip("^$")):
        if literal:
            groups.append(literal)
            continue
        low = int(lo) if lo else 1
        high = int(hi) if hi else low
        n = int(rng.integers(max(low, 1), high + 1))
        chars = _class_chars(cls)
        groups.append(with_runs([chars[rng.integers(len(chars))] for _ in range(n)], rng, same_kind=False))
    return [g for g in groups if g] or ["A1"]
