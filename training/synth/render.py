"""Drawing clean plates (RGB uint8) per style: Indonesian, EU, US-style, generic.

A plate is drawn from its text groups, a font and colours; text is rendered once into
a mask with Pillow and then scaled into the plate's text box, so every font fills the
plate the way real plate lettering does.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from training.synth.fonts import decor_fonts, load_font, plate_fonts

Colour = tuple[int, int, int]

ID_COLOURS: dict[str, tuple[Colour, Colour]] = {  # background -> (bg, text)
    "black": ((22, 22, 24), (235, 235, 235)),
    "white": ((236, 236, 232), (20, 20, 20)),
    "yellow": ((232, 200, 40), (20, 20, 20)),
    "red": ((190, 30, 30), (240, 240, 240)),
}
US_STATES = (
    "CALIFORNIA", "New York", "TEXAS", "Florida", "GEORGIA", "Ohio", "Illinois", "ALABAMA",
    "Alaska", "Arizona", "Colorado", "Delaware", "Kansas", "Maryland", "MICHIGAN", "Nevada",
    "Oregon", "Pennsylvania", "Virginia", "Washington", "Rhode Island", "Louisiana",
)
US_SLOGANS = (
    "THE EMPIRE STATE", "Sunshine State", "Land of Lincoln", "visit our parks", "DEC 2014",
    "Ocean State", "THE FIRST STATE", "COUNTY", "Great Lakes", "Heart of Dixie", "www.dmv.gov",
)


def pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def text_mask(text: str, font_path: Path, size_px: int = 96) -> np.ndarray:
    """Ink mask (float32 0..1) of ``text`` cropped to its ink box."""
    font = load_font(font_path, size_px)
    left, top, right, bottom = font.getbbox(text)
    img = Image.new("L", (right - left + 8, bottom - top + 8), 0)
    ImageDraw.Draw(img).text((4 - left, 4 - top), text, font=font, fill=255)
    mask = np.asarray(img, dtype=np.float32) / 255.0
    ys, xs = np.nonzero(mask > 0.05)
    if len(xs) == 0:
        return np.zeros((4, 4), np.float32)
    return mask[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]


def paste(canvas: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int], colour: Colour) -> None:
    """Alpha-blend ``colour`` through ``mask`` resized to ``box`` (x, y, w, h), in place."""
    x, y, w, h = box
    H, W = canvas.shape[:2]
    if w < 2 or h < 2:
        return
    m = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA)
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x1 <= x0 or y1 <= y0:
        return
    m = m[y0 - y: y1 - y, x0 - x: x1 - x, None]
    region = canvas[y0:y1, x0:x1].astype(np.float32)
    canvas[y0:y1, x0:x1] = (region * (1 - m) + np.array(colour, np.float32) * m).astype(np.uint8)


def fit_text(canvas, groups, sep, font, box, colour, rng, squeeze=(0.8, 1.15)) -> tuple[int, int]:
    """Draw groups joined by ``sep`` into box (x, y, w, h): full box height, natural
    width (times a random squeeze), narrowed to the box and centred with jitter.
    Returns the (x, width) the text took."""
    mask = text_mask(sep.join(groups), font)
    x, y, w, h = box
    width = int(mask.shape[1] * h / mask.shape[0] * rng.uniform(*squeeze))
    width = min(width, w)
    x += int((w - width) * rng.uniform(0.35, 0.65))
    paste(canvas, mask, (x, y, width, h), colour)
    return x, width


def fit_with_gap(canvas, groups, font, box, colour, rng) -> int:
    """Draw the first group, a wide gap, then the rest; return the gap's centre x."""
    gap = "   "
    text = groups[0] + gap + "".join(groups[1:])
    x, width = fit_text(canvas, [text], "", font, box, colour, rng)
    f = load_font(font, 96)
    frac = (f.getlength(groups[0]) + f.getlength(gap) / 2) / max(f.getlength(text), 1.0)
    return x + int(width * frac)


def _border(canvas, colour, thickness_px) -> None:
    h, w = canvas.shape[:2]
    t = thickness_px
    cv2.rectangle(canvas, (t, t), (w - 1 - t, h - 1 - t), colour, max(1, t // 2 + 1))


def render_id(groups: list[str], rng: np.random.Generator, two_line: bool) -> np.ndarray:
    bg, fg = ID_COLOURS[pick(rng, ("black", "black", "white", "white", "yellow", "red"))]
    font = pick(rng, plate_fonts())
    expiry = f"{rng.integers(1, 13):02d}.{rng.integers(20, 32):02d}"
    if two_line:
        h, w = 150, int(150 * rng.uniform(1.6, 2.1))
        canvas = np.full((h, w, 3), bg, np.uint8)
        _border(canvas, fg, 3)
        fit_text(canvas, groups[:2], " ", font, (int(w * .06), int(h * .08), int(w * .88), int(h * .38)), fg, rng)
        rest = groups[2:] or [groups[-1]]
        fit_text(canvas, rest, " ", font, (int(w * .2), int(h * .52), int(w * .6), int(h * .3)), fg, rng)
        fit_text(canvas, [expiry], "", font, (int(w * .38), int(h * .86), int(w * .24), int(h * .09)), fg, rng)
        return canvas
    h, w = 120, int(120 * rng.uniform(2.9, 3.5))
    canvas = np.full((h, w, 3), bg, np.uint8)
    _border(canvas, fg, 4)
    fit_text(canvas, groups, pick(rng, (" ", "  ")), font, (int(w * .04), int(h * .12), int(w * .92), int(h * .56)), fg, rng)
    fit_text(canvas, [expiry], "", font, (int(w * .38), int(h * .75), int(w * .24), int(h * .14)), fg, rng)
    return canvas


def _eu_band(canvas, country: str, band_w: int, font) -> None:
    h = canvas.shape[0]
    canvas[:, :band_w] = (20, 60, 170)
    cx, cy, r = band_w // 2, int(h * .3), band_w * .3
    for k in range(12):
        a = 2 * np.pi * k / 12
        cv2.circle(canvas, (int(cx + r * np.cos(a)), int(cy + r * np.sin(a))), max(1, band_w // 18), (240, 210, 0), -1)
    mask = text_mask(country, font)
    tw = min(int(band_w * .8), int(mask.shape[1] * h * .25 / mask.shape[0]))
    paste(canvas, mask, ((band_w - tw) // 2, int(h * .62), tw, int(h * .25)), (240, 240, 240))


def _emblem(canvas, x: int, y: int, size: int, rng) -> None:
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    if rng.random() < 0.5:
        cv2.circle(canvas, (x, y), size // 2, colour, -1)
        cv2.circle(canvas, (x, y + size), size // 2, tuple(int(c) for c in rng.integers(0, 256, 3)), -1)
    else:
        pts = np.array([[x - size // 2, y - size // 2], [x + size // 2, y - size // 2], [x + size // 2, y + size // 3], [x, y + size], [x - size // 2, y + size // 3]])
        cv2.fillPoly(canvas, [pts], colour)
        cv2.line(canvas, (x, y - size // 3), (x, y + size // 2), (240, 240, 240), max(1, size // 6))


def _shield(canvas, x: int, y: int, size: int) -> None:
    """A national coat of arms at (x, y) top-left, ``size`` tall: a red shield with a
    white double cross over blue hills (the Slovak one; any small shield will do)."""
    w = int(size * .8)
    pts = np.array([[x, y], [x + w, y], [x + w, y + int(size * .6)], [x + w // 2, y + size], [x, y + int(size * .6)]])
    cv2.fillPoly(canvas, [pts], (200, 30, 40))
    cv2.polylines(canvas, [pts], True, (240, 240, 240), max(1, size // 14))
    cx, t = x + w // 2, max(1, size // 9)
    cv2.line(canvas, (cx, y + size // 8), (cx, y + int(size * .7)), (245, 245, 245), t)
    for fy, fw in ((.25, .3), (.42, .38)):
        cv2.line(canvas, (cx - int(w * fw), y + int(size * fy)), (cx + int(w * fw), y + int(size * fy)), (245, 245, 245), t)
    cv2.ellipse(canvas, (cx, y + int(size * .8)), (w // 3, size // 7), 0, 180, 360, (30, 60, 170), -1)


def _national_mark(canvas, country: str, mark_w: int, font, fg) -> None:
    """National emblem with the country code under it, at the left instead of the EU
    band (older Slovak plates): its shapes must not be read as a character."""
    h = canvas.shape[0]
    _shield(canvas, int(mark_w * .15), int(h * .12), int(h * .45))
    mask = text_mask(country, font)
    tw = min(int(mark_w * .8), int(mask.shape[1] * h * .2 / mask.shape[0]))
    paste(canvas, mask, ((mark_w - tw) // 2, int(h * .66), tw, int(h * .2)), fg)


def _ring_stickers(canvas, x: int, y: int, size: int, rng) -> None:
    """Two round inspection stickers one above the other, often drawn as rings (Czech
    plates: red over green): they sit between character groups and must not read as 8."""
    top, bottom = ((200, 40, 40), (40, 150, 70)) if rng.random() < 0.7 else (
        tuple(int(c) for c in rng.integers(0, 256, 3)), tuple(int(c) for c in rng.integers(0, 256, 3)))
    thick = -1 if rng.random() < 0.3 else max(1, size // 5)
    cv2.circle(canvas, (x, y), size // 2, top, thick)
    cv2.circle(canvas, (x, y + int(size * 1.3)), size // 2, bottom, thick)


def render_eu(country: str, groups: list[str], rng: np.random.Generator) -> np.ndarray:
    h, w = 110, int(110 * rng.uniform(4.2, 4.9))
    bg = (235, 235, 230) if rng.random() < 0.85 else (240, 200, 30)
    fg = (15, 15, 15)
    canvas = np.full((h, w, 3), bg, np.uint8)
    font = pick(rng, plate_fonts())
    band_w = int(w * rng.uniform(0.07, 0.095)) if rng.random() < 0.9 else 0
    national = country == "SK" and rng.random() < 0.5
    if national:
        band_w = int(w * rng.uniform(0.08, 0.11))
        _national_mark(canvas, country, band_w, font, fg)
    elif band_w:
        _eu_band(canvas, country, band_w, font)
    if rng.random() < 0.7:
        _border(canvas, fg, 2)
    box = (band_w + int(w * .03), int(h * .13), w - band_w - int(w * .06), int(h * .74))
    style = rng.random()
    if style < 0.45 and len(groups) > 1:  # emblem / stickers between first groups
        gap_x = fit_with_gap(canvas, groups, font, box, fg, rng)
        if country == "CZ" or rng.random() < 0.25:
            _ring_stickers(canvas, gap_x, int(h * .3), int(h * .24), rng)
        elif country == "SK" and not national:
            _shield(canvas, gap_x - int(h * .15), int(h * .2), int(h * .4))
        else:
            _emblem(canvas, gap_x, int(h * .3), int(h * .22), rng)
    else:
        fit_text(canvas, groups, pick(rng, (" ", "-", " ", "-")), font, box, fg, rng)
    return canvas


def _us_background(h, w, rng) -> tuple[np.ndarray, Colour]:
    if rng.random() < 0.18:  # dark plate, light text
        bg = tuple(int(c) for c in rng.integers(0, 90, 3))
        return np.full((h, w, 3), bg, np.uint8), pick(rng, ((240, 200, 40), (240, 240, 240)))
    top = rng.integers(170, 256, 3).astype(np.float32)
    bottom = rng.integers(150, 256, 3).astype(np.float32)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    canvas = (top * (1 - t) + bottom * t).repeat(w, axis=1).astype(np.uint8)
    fg = pick(rng, ((20, 30, 110), (15, 15, 15), (110, 20, 30), (20, 80, 30), (180, 20, 20)))
    return canvas, fg


def render_us(groups: list[str], rng: np.random.Generator) -> np.ndarray:
    h, w = 160, int(160 * rng.uniform(1.9, 2.2))
    canvas, fg = _us_background(h, w, rng)
    decor = pick(rng, decor_fonts())
    accent = tuple(int(c) for c in rng.integers(0, 200, 3))
    fit_text(canvas, [pick(rng, US_STATES)], "", decor, (int(w * .1), int(h * .04), int(w * .8), int(h * .16)), accent, rng)
    if rng.random() < 0.8:
        fit_text(canvas, [pick(rng, US_SLOGANS)], "", decor, (int(w * .15), int(h * .83), int(w * .7), int(h * .1)), accent, rng)
    for _ in range(int(rng.integers(0, 3))):  # registration stickers
        sx = int(pick(rng, (w * .03, w * .82)))
        sy = int(pick(rng, (h * .04, h * .76)))
        cv2.rectangle(canvas, (sx, sy), (sx + int(w * .14), sy + int(h * .18)), tuple(int(c) for c in rng.integers(0, 256, 3)), -1)
    font = pick(rng, plate_fonts())
    box = (int(w * .05), int(h * .25), int(w * .9), int(h * .52))
    if rng.random() < 0.25 and len(groups) > 1:
        gap_x = fit_with_gap(canvas, groups, font, box, fg, rng)
        _emblem(canvas, gap_x, int(h * .42), int(h * .16), rng)
    else:
        fit_text(canvas, groups, pick(rng, ("", " ", "-")), font, box, fg, rng)
    if rng.random() < 0.5:
        _border(canvas, fg, 3)
    return canvas


def render_generic(groups: list[str], rng: np.random.Generator) -> np.ndarray:
    h, w = 110, int(110 * rng.uniform(3.0, 4.6))
    bg, fg = pick(rng, (((236, 236, 232), (20, 20, 20)), ((240, 200, 30), (20, 20, 20)), ((22, 22, 24), (235, 235, 235))))
    canvas = np.full((h, w, 3), bg, np.uint8)
    _border(canvas, fg, 3)
    fit_text(canvas, groups, pick(rng, (" ", "-", "")), pick(rng, plate_fonts()), (int(w * .05), int(h * .14), int(w * .9), int(h * .72)), fg, rng)
    return canvas
