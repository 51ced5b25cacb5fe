"""The synthetic plate generator: deterministic from a seed, every pack renders."""

from __future__ import annotations

import re

import numpy as np
import pytest

from alprd.domain.packs import available_packs, load_pack
from training.synth import STYLES, make_sample, render_clean
from training.synth.fonts import plate_fonts
from training.synth.render import render_id
from training.synth.texts import regex_text
from training.synth.world import WORLD_STYLES

TWO_ROW_STYLES = {"vn2", "two_row"}  # squarish plates


def test_plate_fonts_are_installed():
    assert len(plate_fonts()) >= 2


def test_every_pack_the_eu_and_us_and_the_world_styles_are_styles():
    assert set(available_packs()) | {"eu", "us"} | set(WORLD_STYLES) == set(STYLES)


# The label is the registration only: the rows around it (city, country, expiry date)
# are drawn but never in the text; two-row plates read top row first.
WORLD_LABELS = {
    "id_moto": r"[A-Z]{1,2}[1-9][0-9]{0,3}[A-Z]{0,3}",
    "br_old": r"[A-Z]{3}[0-9]{4}",
    "mercosul": r"[A-Z]{3}[0-9][A-Z][0-9]{2}|[A-Z]{2}[0-9]{3}[A-Z]{2}|[A-Z]{3}[0-9]{4}|[A-Z]{4}[0-9]{3}",
    "vn2": r"[0-9]{2}[A-Z][A-Z0-9]?[0-9]{4,5}",
    "vn1": r"[0-9]{2}[A-Z]{1,2}[0-9]{4,5}",
    "uk": r"[A-Z]{2}[0-9]{2}[A-Z]{3}|[A-Z][0-9]{3}[A-Z]{3}|[A-Z]{3}[0-9]{3}[A-Z]",
}


@pytest.mark.parametrize("style", sorted(WORLD_LABELS))
def test_world_labels_are_the_registration_only(style):
    for seed in range(40):
        _, text = render_clean(style, np.random.default_rng(seed))
        assert re.fullmatch(WORLD_LABELS[style], text), (style, text)


def test_id_motorcycle_labels_fit_the_id_pack():
    pack = load_pack("id")
    for seed in range(40):
        _, text = render_clean("id_moto", np.random.default_rng(seed))
        assert pack.matches_format(text), text


def test_two_row_plates_are_squarer_than_one_row_plates():
    two = [render_clean("vn2", np.random.default_rng(s))[0] for s in range(10)]
    one = [render_clean("vn1", np.random.default_rng(s))[0] for s in range(10)]
    assert max(p.shape[1] / p.shape[0] for p in two) < 1.7 < min(p.shape[1] / p.shape[0] for p in one)


@pytest.mark.parametrize("style", STYLES)
def test_same_seed_same_sample(style):
    a, b = make_sample(1234, style), make_sample(1234, style)
    assert a.text == b.text
    assert np.array_equal(a.image, b.image)


@pytest.mark.parametrize("style", STYLES)
def test_different_seeds_differ(style):
    texts = {make_sample(seed, style).text for seed in range(8)}
    assert len(texts) >= 6


@pytest.mark.parametrize("style", STYLES)
def test_every_style_renders_a_grey_crop_with_plate_text(style):
    for seed in range(6):
        sample = make_sample(seed, style)
        assert sample.image.dtype == np.uint8 and sample.image.ndim == 2
        h, w = sample.image.shape
        assert h >= 8 and w >= 30 and w > (0.7 * h if style in TWO_ROW_STYLES else h)
        assert re.fullmatch(r"[A-Z0-9]{2,10}", sample.text)
        assert sample.image.std() > 3  # not a blank image


# The eu and us styles draw from their own lists (texts.EU_FORMATS, US_FORMATS), not from
# the eu and us packs; every other pack's texts come from its formats.
@pytest.mark.parametrize("code", sorted(set(available_packs()) - {"eu", "us"}))
def test_pack_texts_fit_the_pack_format(code):
    pack = load_pack(code)
    for seed in range(30):
        _, text = render_clean(code, np.random.default_rng(seed))
        assert pack.matches_format(text), text


def test_clean_plate_shows_the_text_in_dark_on_light_or_light_on_dark():
    plate, _ = render_clean("eu", np.random.default_rng(3))
    grey = plate.mean(axis=2)
    assert grey.max() - grey.min() > 150


def test_two_line_layout_is_squarer_than_one_line():
    rng = np.random.default_rng(5)
    one = render_id(["B", "1234", "ABC"], rng, two_line=False)
    two = render_id(["B", "1234", "ABC"], rng, two_line=True)
    assert one.shape[1] / one.shape[0] > 2.8
    assert two.shape[1] / two.shape[0] < 2.2


@pytest.mark.parametrize("pattern", ["^[A-Z]{1,2}[0-9]{1,4}[A-Z]{0,3}$", "^[0-9]{3}[A-Z]{3}$", "^[A-Z]{2}[0-9]{2}$"])
def test_regex_text_matches_its_pattern(pattern):
    rng = np.random.default_rng(0)
    for _ in range(50):
        assert re.match(pattern, "".join(regex_text(pattern, rng)))


def test_texts_hold_runs_of_one_character_and_keep_their_format():
    import re

    import numpy as np

    from alprd.domain.packs import load_pack
    from training.synth import texts

    rng = np.random.default_rng(3)
    pack = load_pack("id")
    ids = ["".join(texts.id_text(pack, rng)) for _ in range(2000)]
    us = ["".join(texts.us_text(rng)) for _ in range(2000)]
    # without runs about a third of US texts hold a doubled character by chance
    assert np.mean([bool(re.search(r"(.)\1", t)) for t in us]) > 0.5
    assert np.mean([bool(re.search(r"(\d)\1\1", t)) for t in ids]) > 0.05
    assert all(pack.matches_home_format(t) for t in ids)
    assert texts.with_runs(list("A1B2"), rng) in {"A1B2"}  # neighbours of another kind never repeat
