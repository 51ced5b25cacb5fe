"""Plate crop -> one text line for a line recogniser: pad, find colour marks, split two-line plates.

Pure functions on BGR ``uint8`` arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MARK_SATURATION = 70  # HSV S above this (and 3x the median) is a colour mark
MARK_MIN_VALUE = 60
MAX_MARK_FRACTION = 0.35  # above this the plate itself is coloured: no marks
MIN_ROW_GLYPHS = 3
MAX_TWO_LINE_ASPECT = 1.8  # width/height: wider crops are read as one line
MIN_GLYPH_HEIGHT = 0.2  # of the crop height
MIN_TWO_LINE_GLYPH_HEIGHT = 0.12  # each line of a two-line plate is ~0.35 of it
MIN_CROP_PX = 12
ROW_MARGIN = 0.15  # above and below a text row, of its height
MIN_SKEW_DEG = 3.0
MAX_SKEW_DEG = 25.0
SIDE_BAND_FRACTION = 0.35  # a column this marked belongs to a side band
SIDE_BAND_MAX_WIDTH = 0.2  # of the crop width
MARK_COLUMN_FRACTION = 0.25  # a character over columns this marked is a mark, not text


def pad(crop: np.ndarray, frac: float = 0.06) -> np.ndarray:
    """Replicate the border by ``frac`` of the height on every side."""
    p = max(1, int(round(crop.shape[0] * frac)))
    return cv2.copyMakeBorder(crop, p, p, p, p, cv2.BORDER_REPLICATE)


def ink_mask(line: np.ndarray) -> np.ndarray:
    """The text pixels: the smaller side of an Otsu split of the grey image."""
    grey = cv2.cvtColor(line, cv2.COLOR_BGR2GRAY)
    _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    light = binary.astype(bool)
    return light if light.mean() < 0.5 else ~light


def mark_columns(line: np.ndarray) -> np.ndarray:
    """Per column, the fraction of strongly coloured pixels on a neutral plate (else 0).

    EU country bands, flags and inspection stickers are coloured, the characters of a
    white or grey plate are not: a general OCR reads those marks as extra characters.
    """
    hsv = cv2.cvtColor(line, cv2.COLOR_BGR2HSV)
    saturation, value = hsv[..., 1], hsv[..., 2]
    threshold = max(MARK_SATURATION, 3.0 * float(np.median(saturation)))
    ink = ink_mask(line)
    mark = (saturation > threshold) & (value > MARK_MIN_VALUE)
    if mark.mean() > MAX_MARK_FRACTION or (ink.any() and float(np.median(saturation[ink])) > threshold):
        return np.zeros(line.shape[1], dtype=np.float32)
    return mark.mean(axis=0).astype(np.float32)


def is_marked(columns: np.ndarray, x_px: float, half_width_px: float) -> bool:
    """Whether the columns around ``x_px`` are mostly a colour mark."""
    lo = max(0, int(x_px - half_width_px))
    hi = min(len(columns), int(x_px + half_width_px) + 1)
    return hi > lo and float(columns[lo:hi].mean()) > MARK_COLUMN_FRACTION


def side_band_edges(columns: np.ndarray) -> tuple[int, int]:
    """(first, last + 1) column of the plate between coloured side bands (EU country band,
    Italian province band), from ``mark_columns``; (0, len) when there are none."""
    width = len(columns)
    band = columns >= SIDE_BAND_FRACTION
    reach = int(width * SIDE_BAND_MAX_WIDTH)
    left = 0
    for i in range(reach):
        if band[i] and band[: i + 1].mean() >= 0.5:
            left = i + 1
    right = width
    for i in range(width - 1, width - 1 - reach, -1):
        if band[i] and band[i:].mean() >= 0.5:
            right = i
    return (left, right) if right - left >= width // 2 else (0, width)


def cut_side_bands(crop: np.ndarray) -> np.ndarray:
    left, right = side_band_edges(mark_columns(crop))
    return crop[:, left:right]


def main_row(crop: np.ndarray) -> list[Glyph]:
    """The glyphs of the tallest text row, of the polarity with more of them."""
    best: list[Glyph] = []
    for dark_text in (True, False):
        rows = text_rows(glyphs(crop, dark_text, MIN_GLYPH_HEIGHT))
        if rows and len(rows[0]) > len(best):
            best = rows[0]
    return best


def skew_deg(row: list[Glyph]) -> float:
    """Angle of a row's baseline (degrees, positive: falling to the right); 0 when unsure."""
    if len(row) < MIN_ROW_GLYPHS:
        return 0.0
    xs = np.array([(g.x1 + g.x2) / 2.0 for g in row])
    ys = np.array([float(g.y2) for g in row])  # bottoms: a plate's baseline
    if np.ptp(xs) < 1:
        return 0.0
    return float(np.degrees(np.arctan(np.polyfit(xs, ys, 1)[0])))


def deskew(crop: np.ndarray) -> np.ndarray:
    """Rotate a tilted plate level (tilts of 3-25 degrees; smaller ones OCR reads fine)."""
    angle = skew_deg(main_row(crop))
    if not MIN_SKEW_DEG <= abs(angle) <= MAX_SKEW_DEG:
        return crop
    h, w = crop.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    return cv2.warpAffine(crop, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def prepare_line(crop: np.ndarray) -> np.ndarray:
    """The crop's main text as one padded line; the whole crop when no text row is found."""
    if min(crop.shape[:2]) < MIN_CROP_PX:
        return pad(crop)
    crop = deskew(cut_side_bands(crop))
    boxes = text_lines(crop)
    return pad(join_lines(crop, boxes) if boxes else crop)


@dataclass(frozen=True, slots=True)
class Glyph:
    """A character-like connected component, crop pixels."""

    x1: int
    y1: int
    x2: int
    y2: int

    @property
    def height(self) -> int:
        return self.y2 - self.y1

    @property
    def cy(self) -> float:
        return (self.y1 + self.y2) / 2.0


def glyphs(crop: np.ndarray, dark_text: bool, min_height: float) -> list[Glyph]:
    """Character-like components of one polarity, at least ``min_height`` of the crop tall."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    mode = cv2.THRESH_BINARY_INV if dark_text else cv2.THRESH_BINARY
    _, binary = cv2.threshold(grey, 0, 255, mode | cv2.THRESH_OTSU)
    n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    h_img, w_img = crop.shape[:2]
    found = []
    for x, y, w, h, area in stats[1:n]:
        if not (min_height * h_img <= h <= 0.95 * h_img and 2 <= w <= 0.3 * w_img):
            continue
        if not (1.0 <= h / w <= 10.0 and area >= 0.12 * w * h):
            continue
        found.append(Glyph(int(x), int(y), int(x + w), int(y + h)))
    return found


def text_rows(found: list[Glyph]) -> list[list[Glyph]]:
    """Glyphs grouped into rows of similar height and centre, tallest row first."""
    rows: list[list[Glyph]] = []
    for g in sorted(found, key=lambda g: -g.height):
        for row in rows:
            ref = row[0]
            if abs(g.cy - ref.cy) < 0.35 * ref.height and g.height > 0.6 * ref.height:
                row.append(g)
                break
        else:
            rows.append([g])
    return [r for r in rows if len(r) >= MIN_ROW_GLYPHS]


def row_box(row: list[Glyph], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(x1, y1, x2, y2) around a row with a margin of a fraction of its height."""
    h = max(g.height for g in row)
    y1 = max(0, min(g.y1 for g in row) - int(ROW_MARGIN * h))
    y2 = min(shape[0], max(g.y2 for g in row) + int(ROW_MARGIN * h))
    x1, x2 = 0, shape[1]  # full width: a glyph missed (touching the frame) must not be cut off
    return x1, y1, x2, y2


def text_lines(crop: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes of the plate's main text line(s), top to bottom; [] when none is found.

    The main line is the row with the tallest glyphs (a state name, a validity date or
    a dealer frame are smaller); a second row of glyphs at least 75 % as tall, on a crop narrower than 1.8:1, counts as
    the other half of a two-line plate.
    """
    two_line_shape = crop.shape[1] < MAX_TWO_LINE_ASPECT * crop.shape[0]
    best: list[list[Glyph]] = []
    for dark_text in (True, False):
        rows = text_rows(glyphs(crop, dark_text, MIN_GLYPH_HEIGHT))
        if two_line_shape and len(rows) < 2:
            rows = text_rows(glyphs(crop, dark_text, MIN_TWO_LINE_GLYPH_HEIGHT)) or rows
        if rows and (not best or len(rows[0]) > len(best[0])):
            best = rows
    if not best:
        return []
    main = best[0]
    ref_h = float(np.median([g.height for g in main]))
    lines = [main] + [
        r
        for r in best[1:]
        if two_line_shape
        and np.median([g.height for g in r]) >= 0.75 * ref_h
        and abs(r[0].cy - main[0].cy) > 0.8 * ref_h
    ][:1]
    boxes = [row_box(r, crop.shape) for r in lines]
    return sorted(boxes, key=lambda b: b[1])


def join_lines(crop: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """The line crops scaled to one height and placed side by side (top line first)."""
    parts = [crop[y1:y2, x1:x2] for x1, y1, x2, y2 in boxes]
    height = max(p.shape[0] for p in parts)
    scaled = [cv2.resize(p, (max(1, round(p.shape[1] * height / p.shape[0])), height)) for p in parts]
    gap = np.full((height, max(2, height // 3), 3), np.median(crop.reshape(-1, 3), axis=0), np.uint8)
    out = [scaled[0]]
    for p in scaled[1:]:
        out += [gap, p]
    return np.hstack(out)
