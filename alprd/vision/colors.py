"""Plate background and text colour from a plate crop, as the names the API uses.

Names: "White", "Black", "Yellow", "Red", "Green", "Blue" (the Indonesian pack maps
background colours to plate types). Pure functions on BGR ``uint8`` crops.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from alprd.vision.textcrop import text_lines

# HSV on OpenCV's scale: H 0..180, S and V 0..255.
MIN_CHROMA_SATURATION = 80  # below: a neutral colour (white, grey, black)
DARK_VALUE = 55  # below: black whatever the hue
BLUE_MIN_SATURATION = 120  # blue needs more: a blue cast from daylight or IR is common
STRONG_TEXT_SATURATION = 120  # text is named by hue only when this saturated (else Black/White)
NEUTRAL_WHITE_VALUE = 115  # neutral at or above: white (silver, light grey count as white)
HUE_NAMES: tuple[tuple[int, str], ...] = (  # (upper hue bound, name), in order
    (9, "Red"),
    (40, "Yellow"),
    (88, "Green"),
    (135, "Blue"),
    (181, "Red"),
)
BORDER_FRACTION = 0.08  # trimmed from each side: frames, bumpers, background


@dataclass(frozen=True, slots=True)
class PlateColors:
    background: str
    text: str


def hsv_of(bgr: np.ndarray | tuple[int, int, int]) -> tuple[int, int, int]:
    pixel = np.asarray(bgr, dtype=np.uint8).reshape(1, 1, 3)
    h, s, v = (int(x) for x in cv2.cvtColor(pixel, cv2.COLOR_BGR2HSV)[0, 0])
    return h, s, v


def color_name(bgr: np.ndarray | tuple[int, int, int]) -> str:
    """Name of one BGR colour."""
    h, s, v = hsv_of(bgr)
    if v < DARK_VALUE:
        return "Black"
    name = next(name for bound, name in HUE_NAMES if h < bound)
    if s < MIN_CHROMA_SATURATION or (name == "Blue" and s < BLUE_MIN_SATURATION):
        return "White" if v >= NEUTRAL_WHITE_VALUE else "Black"
    return name


def text_color_name(text_bgr: np.ndarray, background_bgr: np.ndarray) -> str:
    """Text is named by contrast (Black/White) unless it is strongly coloured itself."""
    _, s, v = hsv_of(text_bgr)
    if s >= STRONG_TEXT_SATURATION and v >= NEUTRAL_WHITE_VALUE * 0.8:
        return color_name(text_bgr)
    return "Black" if v < hsv_of(background_bgr)[2] else "White"


def trim(crop: np.ndarray, fraction: float = BORDER_FRACTION) -> np.ndarray:
    h, w = crop.shape[:2]
    dy, dx = int(h * fraction), int(w * fraction)
    inner = crop[dy : h - dy, dx : w - dx]
    return inner if inner.size else crop


def split_ink(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(background pixels, text pixels) as ``[N, 3]`` BGR: Otsu on grey, the larger side is background."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    light = binary.astype(bool)
    pixels = crop.reshape(-1, 3)
    light_px, dark_px = pixels[light.ravel()], pixels[~light.ravel()]
    return (light_px, dark_px) if len(light_px) >= len(dark_px) else (dark_px, light_px)


def robust_color(pixels: np.ndarray) -> np.ndarray:
    """Median colour of the central half (by brightness) of a pixel set."""
    if len(pixels) == 0:
        return np.zeros(3, dtype=np.uint8)
    brightness = pixels.astype(np.int32).sum(axis=1)
    lo, hi = np.percentile(brightness, (25, 75))
    core = pixels[(brightness >= lo) & (brightness <= hi)]
    return np.median(core if len(core) else pixels, axis=0).astype(np.uint8)


def plate_colors(crop: np.ndarray) -> PlateColors:
    """Background and text colour names of a plate crop (BGR)."""
    if crop.size == 0 or min(crop.shape[:2]) < 2:
        return PlateColors("", "")
    lines = text_lines(crop)
    if lines:  # the plate face around its text: no bumper, frame or car body
        x1, y1 = min(b[0] for b in lines), min(b[1] for b in lines)
        x2, y2 = max(b[2] for b in lines), max(b[3] for b in lines)
        region = crop[y1:y2, x1:x2]
    else:
        region = trim(crop)
    background, text = split_ink(region)
    bg_bgr, text_bgr = robust_color(background), robust_color(text)
    bg_name = color_name(bg_bgr)
    text_name = text_color_name(text_bgr, bg_bgr)
    if text_name == bg_name:  # low contrast: the text is whatever contrasts most
        text_name = "Black" if bg_name != "Black" else "White"
    return PlateColors(bg_name, text_name)
