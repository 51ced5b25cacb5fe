"""Country packs: plate formats, region tables and plate types, loaded from data files.

A pack is a YAML file under ``alprd/data/packs/<code>.yaml``; it is data, not code,
so a new country is a new file. Each file also lists real example plates, which the
tests check against its formats. A gate allows an ordered set of packs (``Packs``,
``regions.packs``), possibly none; a plate's region and type come from the first pack
whose home format it fits. Lookups here are pure functions of the packs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

import yaml

from alprd.errors import ConfigError

PACKS_DIR = Path(str(resources.files("alprd") / "data" / "packs"))

# Characters OCR confuses on plates, as (letter, digit) pairs. Shared by the OCR
# re-ranking (position rules) and by tolerant white/blacklist matching.
CONFUSABLE_PAIRS: tuple[tuple[str, str], ...] = (
    ("O", "0"),
    ("D", "0"),
    ("Q", "0"),
    ("I", "1"),
    ("L", "1"),
    ("Z", "2"),
    ("S", "5"),
    ("B", "8"),
    ("G", "6"),
    ("T", "7"),
    ("A", "4"),
)


def confusable_map(pairs: tuple[tuple[str, str], ...] = CONFUSABLE_PAIRS) -> dict[str, tuple[str, ...]]:
    """Character -> the characters it is confused with, both directions, in the order of
    ``pairs`` (the likelier twin first: 0 -> O, D, Q; 1 -> I, L)."""
    out: dict[str, list[str]] = {}
    for letter, digit in pairs:
        out.setdefault(letter, []).append(digit)
        out.setdefault(digit, []).append(letter)
    return {k: tuple(v) for k, v in out.items()}


def _one_pattern(formats: tuple[str, ...]) -> re.Pattern[str] | None:
    """The formats (each anchored, ``^...$``) as one alternation: one match call, not many
    (re-ranking tries hundreds of variants per read)."""
    return re.compile("|".join(f"(?:{f})" for f in formats)) if formats else None


@dataclass(frozen=True)
class Pack:
    code: str
    name: str
    formats: tuple[str, ...]  # the country's own plates
    regions: dict[str, str] = field(default_factory=dict)  # prefix -> name
    plate_types: dict[str, str] = field(default_factory=dict)  # background colour -> type
    foreign_formats: tuple[str, ...] = ()  # plates from elsewhere that the gate also sees
    # Score factor of a read that fits only a foreign format (None: re-ranking's default).
    foreign_factor: float | None = None
    examples: tuple[str, ...] = ()  # real plates as written (fit ``formats`` once normalised)
    foreign_examples: tuple[str, ...] = ()  # real foreign plates (fit ``foreign_formats``)

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        return _one_pattern(self.formats)

    @cached_property
    def _foreign_pattern(self) -> re.Pattern[str] | None:
        return _one_pattern(self.foreign_formats)

    def matches_home_format(self, text: str) -> bool:
        return bool(self._pattern and self._pattern.match(text))

    def matches_foreign_format(self, text: str) -> bool:
        return bool(self._foreign_pattern and self._foreign_pattern.match(text))

    def matches_format(self, text: str) -> bool:
        """Fits one of the country's formats or one of the foreign ones."""
        return self.matches_home_format(text) or self.matches_foreign_format(text)

    def region_for(self, text: str) -> tuple[str, str]:
        """(code, name) of the longest region prefix of a plate text, or ("", "")."""
        for n in (3, 2, 1):
            prefix = text[:n]
            if len(prefix) == n and prefix in self.regions:
                return prefix, self.regions[prefix]
        return "", ""

    def plate_type_for(self, background_color: str) -> str:
        return self.plate_types.get(background_color, DEFAULT_PLATE_TYPE)


DEFAULT_PLATE_TYPE = "Regular"


@dataclass(frozen=True, slots=True)
class PlateFacts:
    region_code: str
    region_name: str
    plate_type: str


def plate_facts(packs: Pack | Packs | None, text: str, background_color: str) -> PlateFacts:
    """The region (longest prefix of the text in the pack's table) and plate type (by the
    plate's background colour) of a plate, from the pack its text fits (``Packs.pack_for``):
    the one rule the pipeline and storage call."""
    pack = as_packs(packs).pack_for(text)
    if pack is None:
        return PlateFacts("", "", DEFAULT_PLATE_TYPE)
    code, name = pack.region_for(text)
    return PlateFacts(code, name, pack.plate_type_for(background_color))


_NOT_PLATE_CHARS = re.compile(r"[^A-Z0-9]")


def normalise_text(text: str) -> str:
    """Upper case, letters and digits only: ' b 1234-abc ' -> 'B1234ABC'."""
    return _NOT_PLATE_CHARS.sub("", text.upper())


def region_label(code: str, name: str) -> str:
    """ "B (Jakarta)" as the API shows a region; the bare code when unnamed; "" when unknown."""
    if not code:
        return ""
    return f"{code} ({name})" if name else code


@dataclass(frozen=True)
class Packs:
    """The packs a gate allows, in rank order (``regions.packs``); empty: no pack, so
    no re-ranking, no regions and every plate type "Regular"."""

    packs: tuple[Pack, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.packs)

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(f for p in self.packs for f in p.formats)

    @cached_property
    def regions(self) -> dict[str, str]:
        """Every pack's region table in one; where two packs use a code, the earlier wins."""
        merged: dict[str, str] = {}
        for pack in self.packs:
            merged.update({k: v for k, v in pack.regions.items() if k not in merged})
        return merged

    def home_rank(self, text: str) -> int | None:
        """Place of the first pack whose home format ``text`` fits, or None."""
        return next((i for i, p in enumerate(self.packs) if p.matches_home_format(text)), None)

    def pack_for(self, text: str) -> Pack | None:
        """The pack a plate belongs to: the first whose home format it fits, else the
        first pack (so one pack behaves as it always did); None without packs."""
        rank = self.home_rank(text)
        return self.packs[rank if rank is not None else 0] if self.packs else None

    def matches_home_format(self, text: str) -> bool:
        return self.home_rank(text) is not None

    def matches_foreign_format(self, text: str) -> bool:
        return any(p.matches_foreign_format(text) for p in self.packs)

    def matches_format(self, text: str) -> bool:
        """Fits a home or foreign format of any pack; without packs, anything fits."""
        return not self.packs or any(p.matches_format(text) for p in self.packs)


NO_PACK = "none"  # regions.pack / --pack value for no pack at all


def available_packs() -> list[str]:
    return sorted(p.stem for p in PACKS_DIR.glob("*.yaml"))


def check_pack_codes(codes: Sequence[str]) -> tuple[str, ...]:
    """The codes as a tuple; ConfigError naming an unknown or repeated one."""
    known = available_packs()
    for code in codes:
        if code not in known:
            raise ConfigError(f"unknown country pack '{code}' (available: {', '.join(known)}, or {NO_PACK})")
    if len(set(codes)) != len(codes):
        raise ConfigError(f"a country pack is listed twice: {', '.join(codes)}")
    return tuple(codes)


def parse_pack_list(value: str) -> tuple[str, ...]:
    """'id,my,sg' -> ('id', 'my', 'sg'); 'none' -> (); unknown codes raise ConfigError."""
    codes = [c.strip() for c in value.split(",") if c.strip()]
    if codes == [NO_PACK]:
        return ()
    return check_pack_codes(codes)


def load_pack(code: str) -> Pack:
    path = PACKS_DIR / f"{code}.yaml"
    if not path.is_file():
        raise ConfigError(f"unknown country pack '{code}' (available: {', '.join(available_packs())})")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Pack(
        code=data["code"],
        name=data["name"],
        formats=tuple(data.get("formats", ())),
        regions={str(k): str(v) for k, v in (data.get("regions") or {}).items()},
        plate_types={str(k): str(v) for k, v in (data.get("plate_types") or {}).items()},
        foreign_formats=tuple(data.get("foreign_formats", ())),
        foreign_factor=float(data["foreign_factor"]) if data.get("foreign_factor") is not None else None,
        examples=tuple(str(e) for e in data.get("examples", ())),
        foreign_examples=tuple(str(e) for e in data.get("foreign_examples", ())),
    )


def load_packs(codes: Sequence[str]) -> Packs:
    """The packs of ``codes``, in that order; ``()`` gives no pack."""
    return Packs(tuple(load_pack(code) for code in check_pack_codes(codes)))


def as_packs(pack: Pack | Packs | None) -> Packs:
    """One pack as a one-pack set; None as no pack."""
    if pack is None:
        return Packs()
    return pack if isinstance(pack, Packs) else Packs((pack,))
