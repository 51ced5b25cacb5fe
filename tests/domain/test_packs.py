"""Country packs as data: every pack file is well formed and its real example plates fit
its formats; several packs rank in order; 'none' is no pack."""

from __future__ import annotations

import re

import pytest

from alprd.domain.packs import (
    PACKS_DIR,
    Packs,
    PlateFacts,
    available_packs,
    check_pack_codes,
    load_pack,
    load_packs,
    normalise_text,
    parse_pack_list,
    plate_facts,
)
from alprd.errors import ConfigError

# The packs issue 11 asks for (a pack per country of the world's big plate markets).
REQUIRED = {"id", "my", "sg", "th", "vn", "ph", "in", "cn", "br", "us", "ca", "mx", "au", "eu", "sk"}


def test_the_required_packs_exist() -> None:
    assert set(available_packs()) >= REQUIRED


@pytest.mark.parametrize("code", available_packs())
def test_pack_file_is_well_formed(code: str) -> None:
    pack = load_pack(code)
    assert pack.code == code and pack.name and pack.formats
    for pattern in pack.formats + pack.foreign_formats:
        assert pattern.startswith("^") and pattern.endswith("$"), pattern  # the whole text, not a part
        re.compile(pattern)
    for key in pack.regions:
        assert re.fullmatch(r"[A-Z0-9]{1,3}", key), key  # region_for looks up 1-3 character prefixes
    assert set(pack.plate_types) <= {"White", "Black", "Yellow", "Red", "Green", "Blue"}  # colours.py's names
    assert pack.foreign_factor is None or (pack.foreign_formats and 0 < pack.foreign_factor <= 1)


@pytest.mark.parametrize("code", available_packs())
def test_every_example_plate_fits_its_pack(code: str) -> None:
    pack = load_pack(code)
    assert len(pack.examples) >= 5
    for example in pack.examples:
        text = normalise_text(example)
        assert pack.matches_home_format(text), (example, text)
    for example in pack.foreign_examples:
        text = normalise_text(example)
        assert pack.matches_foreign_format(text) and not pack.matches_home_format(text), (example, text)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("vn", "59T146685"),  # two-row motorbike plate, top row first
        ("vn", "51F63034"),  # one-row car plate
        ("vn", "30A99524"),
        ("br", "JSG9648"),  # old grey plate
        ("br", "RIO2A18"),  # Mercosul
        ("in", "MH12DE1433"),
        ("us", "5EKR790"),  # California
        ("eu", "OY09FEU"),  # United Kingdom
        ("sg", "SBA1234A"),
    ],
)
def test_real_plates_fit_their_pack(code: str, text: str) -> None:
    assert load_pack(code).matches_home_format(text)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("vn", "59O146685"),  # series letters are never O: the 0 is a digit
        ("vn", "5T146685"),  # the province code has two digits
        ("br", "JSG96481"),  # one digit too many
        ("br", "JSG9A4B"),  # neither old nor Mercosul
        ("in", "MH12DE143"),  # the number has four digits
        ("sg", "SBA1234F"),  # F is never a check letter
        ("my", "WOA1234"),  # Malaysia never uses O
        ("cn", "I12345"),  # nor China I
        ("au", "S123AB"),  # South Australia S 123 ABC has three letters
    ],
)
def test_wrong_shapes_do_not_fit(code: str, text: str) -> None:
    assert not load_pack(code).matches_home_format(text)


def test_us_vanity_plates_fit_only_as_foreign() -> None:
    us = load_pack("us")
    assert us.matches_format("GWAGEN") and not us.matches_home_format("GWAGEN")
    assert not us.matches_format("ABCDEFGHI")  # nine characters: no US plate


def test_pack_files_are_the_available_packs() -> None:
    assert available_packs() == sorted(p.stem for p in PACKS_DIR.glob("*.yaml"))


def test_several_packs_rank_in_order_and_look_up_in_the_pack_that_fits() -> None:
    packs = load_packs(["id", "vn", "my"])
    assert packs.codes == ("id", "vn", "my")
    assert packs.home_rank("B1234ABC") == 0  # Indonesian
    assert packs.home_rank("59T146685") == 1  # Vietnamese only
    assert packs.home_rank("BKA1234") == 2  # Malaysian only (three letters first)
    assert packs.home_rank("B1234A") == 0  # fits id and my: the first one
    assert packs.home_rank("ZZZZZZZZZ") is None
    assert plate_facts(packs, "59T146685", "Yellow") == PlateFacts("59", "Hồ Chí Minh", "Commercial")
    assert plate_facts(packs, "BKA1234", "") == PlateFacts("B", "Selangor", "Regular")
    assert plate_facts(packs, "B1234ABC", "Yellow") == PlateFacts("B", "Jakarta", "Public")
    assert plate_facts(packs, "B1234A", "") == PlateFacts("B", "Jakarta", "Regular")  # id and my: the first
    assert plate_facts(packs, "ZZZZZZZZZ", "Yellow").plate_type == "Public"  # fits none: the first pack's tables
    assert packs.regions["B"] == "Jakarta" and packs.regions["59"] == "Hồ Chí Minh"  # earlier pack wins


def test_no_pack() -> None:
    none = load_packs(())
    assert none == Packs() and none.codes == () and not none.formats
    assert plate_facts(none, "B1234ABC", "Yellow") == PlateFacts("", "", "Regular")
    assert plate_facts(None, "B1234ABC", "Yellow") == PlateFacts("", "", "Regular")
    assert none.matches_format("anything") and not none.matches_home_format("B1234ABC")
    assert none.regions == {}


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ("none", ()),
        ("id", ("id",)),
        ("id,my,sg", ("id", "my", "sg")),
        (" vn , id ", ("vn", "id")),
    ],
)
def test_parse_pack_list(value: str, codes: tuple[str, ...]) -> None:
    assert parse_pack_list(value) == codes


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("xx", "unknown country pack 'xx'"),
        ("id,none", "unknown country pack 'none'"),
        ("id,id", "listed twice"),
    ],
)
def test_bad_pack_lists_are_config_errors(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_pack_list(value)
    with pytest.raises(ConfigError, match=message):
        check_pack_codes(value.split(","))
