"""Plate styles of the world beyond the first three (eu, id, us): how they really look.

Each style is a function ``(rng) -> (RGB plate, label text)``. Rows that are not the
registration (city, state, country name, expiry date, dealer text) are drawn but never
part of the label; two-row registrations (Vietnamese motorbikes, square car plates) are
labelled top row first, as one string.

- ``id_moto``: Indonesian motorcycle plate, one main row over the small ``MM.YY``
  expiry row, old black/white or 2022+ white/black, yellow, red; motorcycle proportions.
- ``br_old``: Brazilian grey plate before 2018, ``ABC-1234`` under the city row.
- ``mercosul``: Brazilian / Argentine / Uruguayan / Paraguayan Mercosur plate, blue top
  band with the country name.
- ``vn2`` / ``vn1``: Vietnamese two-row (motorbikes, square car plates) and one-row.
- ``uk``: British plate, yellow rear or white front, optional GB/UK band.
- ``asia``: one-row Latin plates of India, Taiwan, Malaysia, Thailand-style digits,
  Philippines, Singapore.
- ``two_row``: any one-row format split over two rows (many motorcycle plates).
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from training.synth.fonts import decor_fonts, plate_fonts
from training.synth.render import ID_COLOURS, _border, _eu_band, fit_text, pick
from training.synth.texts import _fill

Style = Callable[[np.random.Generator], tuple[np.ndarray, str]]

BR_CITIES = ("SAO PAULO - SP", "BRASILIA - DF", "RIO DE JANEIRO - RJ", "CURITIBA - PR", "BELO HORIZONTE - MG",
             "PORTO ALEGRE - RS", "SALVADOR - BA", "CAMPINAS - SP", "RECIFE - PE", "GOIANIA - GO", "MANAUS - AM")
MERCOSUL = {  # country band text -> plate formats
    "BRASIL": ("LLLDLDD",),
    "REPUBLICA ARGENTINA": ("LL-DDD-LL",),
    "URUGUAY": ("LLL-DDDD",),
    "PARAGUAY": ("LLLL-DDD",),
}
ASIA_FORMATS = (
    "LL-DD-L-DDDD", "LL-DD-LL-DDDD", "LL-DD-DDDD",  # India (KL31K3137)
    "DDD-LL", "LL-DDDD", "LLL-DDDD", "DDDD-LL",     # Taiwan (217YH, DN6702)
    "LLL-DDDD", "L-DDDD-L", "LL-DDDD",              # Malaysia, Singapore-like
    "LLL-DDDD", "LLL-DDD",                          # Philippines
    "DD-DDDD", "L-DDDDD",                           # Thai-like digits, China's Latin part
)
DEALER = ("DEALER", "AUTO", "MOTOR", "SERVICE", "HONDA", "YAMAHA", "TOYOTA", "SUZUKI", "www.auto.com")


def _canvas(h: int, w: int, bg) -> np.ndarray:
    return np.full((h, w, 3), bg, np.uint8)


def _id_text(rng: np.random.Generator) -> list[str]:
    from alprd.domain.packs import load_pack  # the id pack's region prefixes
    from training.synth.texts import id_text

    return id_text(load_pack("id"), rng)


def id_moto(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    groups = _id_text(rng)
    colour = pick(rng, ("black", "black", "white", "white", "white", "yellow", "red"))
    bg, fg = ID_COLOURS[colour]
    font = pick(rng, plate_fonts())
    h = 100
    w = int(h * rng.uniform(1.9, 2.7))
    canvas = _canvas(h, w, bg)
    if rng.random() < 0.8:
        _border(canvas, fg, int(rng.integers(2, 5)))
    main_top, main_h = rng.uniform(0.08, 0.16), rng.uniform(0.46, 0.6)
    fit_text(canvas, groups, pick(rng, (" ", "  ", " ")), font,
             (int(w * .05), int(h * main_top), int(w * .9), int(h * main_h)), fg, rng, squeeze=(0.7, 1.1))
    expiry = f"{rng.integers(1, 13):02d}{pick(rng, ('.', '.', '-', '·'))}{rng.integers(18, 33):02d}"
    date_y = main_top + main_h + rng.uniform(0.04, 0.1)
    date_h = min(rng.uniform(0.14, 0.24), 0.95 - date_y)
    date_x = rng.uniform(0.28, 0.55)  # centred, or towards the right
    fit_text(canvas, [expiry], "", font, (int(w * date_x), int(h * date_y), int(w * .4), int(h * date_h)), fg, rng)
    _screws(canvas, rng)
    return canvas, "".join(groups)


def _screws(canvas: np.ndarray, rng: np.random.Generator) -> None:
    """Mounting screws or their holes, often right beside or inside the characters."""
    if rng.random() >= 0.5:
        return
    h, w = canvas.shape[:2]
    colour = pick(rng, ((40, 40, 40), (150, 150, 150), (200, 200, 200)))
    for fx in (rng.uniform(0.1, 0.3), rng.uniform(0.7, 0.9)):
        cv2.circle(canvas, (int(w * fx), int(h * rng.uniform(0.1, 0.5))), max(2, h // 22), colour, -1)


def br_old(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    groups = _fill("LLL-DDDD", rng)
    h = 110
    w = int(h * rng.uniform(2.9, 3.4))
    grey = int(rng.integers(150, 205))
    canvas = _canvas(h, w, (grey, grey, grey + int(rng.integers(-8, 8))))
    fg = (20, 20, 20)
    _border(canvas, fg, 3)
    font = pick(rng, plate_fonts())
    fit_text(canvas, [pick(rng, BR_CITIES)], "", font, (int(w * .15), int(h * .06), int(w * .7), int(h * .16)), fg, rng)
    fit_text(canvas, groups, pick(rng, ("-", " ", "·")), font, (int(w * .05), int(h * .3), int(w * .9), int(h * .62)), fg, rng)
    return canvas, "".join(groups)


def mercosul(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    country = pick(rng, ("BRASIL", "BRASIL", "BRASIL", "BRASIL", "REPUBLICA ARGENTINA", "URUGUAY", "PARAGUAY"))
    groups = _fill(pick(rng, MERCOSUL[country]), rng)
    h = 110
    w = int(h * rng.uniform(3.0, 3.4))
    canvas = _canvas(h, w, (238, 238, 236))
    band_h = int(h * rng.uniform(0.2, 0.26))
    canvas[:band_h] = (20, 50, 160)
    font = pick(rng, plate_fonts())
    fit_text(canvas, [country], "", font, (int(w * .25), int(band_h * .18), int(w * .5), int(band_h * .64)),
             (245, 245, 245), rng)
    cv2.rectangle(canvas, (int(w * .88), int(band_h * .2)), (int(w * .96), int(band_h * .8)), (40, 160, 60), -1)
    fg = (15, 15, 15) if rng.random() < 0.85 else pick(rng, ((180, 20, 20), (20, 80, 30), (20, 40, 150)))
    _border(canvas, (15, 15, 15), 2)
    fit_text(canvas, groups, pick(rng, ("", " ")), font, (int(w * .05), band_h + int(h * .08), int(w * .9), int(h * .62)),
             fg, rng)
    return canvas, "".join(groups)


def _vn_colours(rng: np.random.Generator):
    return pick(rng, (((238, 238, 234), (15, 15, 15)),) * 6 + (((235, 200, 40), (15, 15, 15)),
                                                                 ((30, 60, 160), (240, 240, 240))))


def vn2(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """Two rows: ``59-X1`` over ``234.56`` (motorbikes) or ``51F`` over ``630.34`` (cars)."""
    bg, fg = _vn_colours(rng)
    moto = rng.random() < 0.75
    top = _fill(pick(rng, ("DD-LD", "DD-LD", "DD-LL", "DD-LD")) if moto else pick(rng, ("DDL", "DDLL")), rng)
    digits = _fill("DDDDD" if rng.random() < 0.8 else "DDDD", rng)[0]
    bottom = [digits[:3], digits[3:]] if len(digits) == 5 else [digits]
    h = 140
    w = int(h * (rng.uniform(1.25, 1.5) if moto else rng.uniform(1.3, 1.6)))
    canvas = _canvas(h, w, bg)
    _border(canvas, fg, int(rng.integers(2, 5)))
    _screws(canvas, rng)
    font = pick(rng, plate_fonts())
    fit_text(canvas, top, pick(rng, ("-", " ", "-")), font, (int(w * .08), int(h * .08), int(w * .84), int(h * .38)), fg, rng)
    fit_text(canvas, bottom, pick(rng, (".", " ", ".")), font, (int(w * .06), int(h * .54), int(w * .88), int(h * .38)),
             fg, rng)
    return canvas, "".join(top) + "".join(bottom)


def vn1(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    bg, fg = _vn_colours(rng)
    head = _fill(pick(rng, ("DDL", "DDL", "DDLL")), rng)[0]
    digits = _fill("DDDDD" if rng.random() < 0.8 else "DDDD", rng)[0]
    tail = digits[:3] + "." + digits[3:] if len(digits) == 5 else digits
    h = 110
    w = int(h * rng.uniform(4.2, 4.8))
    canvas = _canvas(h, w, bg)
    _border(canvas, fg, 3)
    fit_text(canvas, [head, tail], "-", pick(rng, plate_fonts()), (int(w * .05), int(h * .14), int(w * .9), int(h * .72)),
             fg, rng)
    return canvas, head + digits


def uk(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    groups = _fill(pick(rng, ("LLDD-LLL", "LLDD-LLL", "LLDD-LLL", "L-DDD-LLL", "LLL-DDDL")), rng)
    h = 110
    w = int(h * rng.uniform(4.4, 4.8))
    bg = (240, 200, 30) if rng.random() < 0.5 else (238, 238, 236)
    canvas = _canvas(h, w, bg)
    font = pick(rng, plate_fonts())
    band_w = int(w * .08) if rng.random() < 0.5 else 0
    if band_w:
        _eu_band(canvas, pick(rng, ("GB", "UK")), band_w, font)
    if rng.random() < 0.3:
        _border(canvas, (15, 15, 15), 2)
    fit_text(canvas, groups, " ", font, (band_w + int(w * .04), int(h * .14), w - band_w - int(w * .08), int(h * .72)),
             (15, 15, 15), rng)
    if rng.random() < 0.3:  # dealer strip under the text
        fit_text(canvas, [pick(rng, DEALER)], "", pick(rng, decor_fonts()),
                 (int(w * .35), int(h * .88), int(w * .3), int(h * .1)), (60, 60, 60), rng)
    return canvas, "".join(groups)


def asia(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    groups = _fill(pick(rng, ASIA_FORMATS), rng)
    h = 110
    w = int(h * rng.uniform(2.6, 4.6))
    bg, fg = pick(rng, (((238, 238, 234), (15, 15, 15)),) * 4 + (((240, 200, 30), (15, 15, 15)),
                                                                   ((22, 22, 24), (235, 235, 235)),
                                                                   ((30, 110, 60), (240, 240, 240))))
    canvas = _canvas(h, w, bg)
    if rng.random() < 0.8:
        _border(canvas, fg, 3)
    fit_text(canvas, groups, pick(rng, ("-", " ", "", " ")), pick(rng, plate_fonts()),
             (int(w * .05), int(h * .14), int(w * .9), int(h * .7)), fg, rng)
    return canvas, "".join(groups)


def two_row(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A one-row format split after its first group, the rest on the row below."""
    groups = _fill(pick(rng, ASIA_FORMATS + ("LL-DDDD", "LLL-DDD", "DD-LL-DDD")), rng)
    cut = 1 if len(groups) < 4 else 2
    top, bottom = groups[:cut], groups[cut:]
    h = 130
    w = int(h * rng.uniform(1.4, 2.1))
    bg, fg = pick(rng, (((238, 238, 234), (15, 15, 15)), ((240, 200, 30), (15, 15, 15)), ((22, 22, 24), (235, 235, 235))))
    canvas = _canvas(h, w, bg)
    _border(canvas, fg, 3)
    font = pick(rng, plate_fonts())
    fit_text(canvas, top, " ", font, (int(w * .12), int(h * .08), int(w * .76), int(h * .38)), fg, rng)
    fit_text(canvas, bottom, " ", font, (int(w * .06), int(h * .54), int(w * .88), int(h * .38)), fg, rng)
    return canvas, "".join(top) + "".join(bottom)


WORLD_STYLES: dict[str, Style] = {
    "id_moto": id_moto, "br_old": br_old, "mercosul": mercosul, "vn2": vn2, "vn1": vn1, "uk": uk,
    "asia": asia, "two_row": two_row,
}
# Small crops: street cameras see motorcycles' plates at 30-50 px high.
SMALL_STYLES = ("id_moto", "vn2", "two_row")
