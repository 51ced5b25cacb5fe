"""Plate colours: named colours, rendered plates, and real Indonesian crops checked by eye."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from alprd.vision.colors import PlateColors, color_name, plate_colors

BGR = {
    "white": (245, 245, 245),
    "black": (15, 15, 15),
    "yellow": (20, 210, 235),
    "red": (30, 30, 200),
    "green": (40, 160, 40),
    "blue": (180, 80, 20),
}


@pytest.mark.parametrize(
    ("bgr", "name"),
    [
        ((250, 250, 250), "White"),
        ((170, 175, 180), "White"),  # silver counts as white
        ((10, 10, 10), "Black"),
        ((60, 60, 60), "Black"),
        ((20, 210, 235), "Yellow"),
        ((40, 90, 110), "Yellow"),  # dim mustard plate
        ((30, 30, 200), "Red"),
        ((60, 40, 140), "Red"),
        ((40, 160, 40), "Green"),
        ((180, 80, 20), "Blue"),
        ((120, 95, 80), "White"),
        ((60, 45, 35), "Black"),  # a blue cast is not a blue plate
    ],
)
def test_color_name(bgr: tuple[int, int, int], name: str) -> None:
    assert color_name(bgr) == name


def rendered(bg: str, fg: str) -> np.ndarray:
    img = np.full((110, 400, 3), BGR[bg], np.uint8)
    cv2.putText(img, "B 1234 XY", (20, 78), cv2.FONT_HERSHEY_DUPLEX, 2.0, BGR[fg], 6, cv2.LINE_AA)
    return img


@pytest.mark.parametrize(
    ("bg", "fg"),
    [
        ("white", "black"),
        ("black", "white"),
        ("yellow", "black"),
        ("red", "white"),
        ("green", "white"),
        ("white", "red"),
    ],
)
def test_rendered_plates(bg: str, fg: str) -> None:
    assert plate_colors(rendered(bg, fg)) == PlateColors(bg.title(), fg.title())


def test_empty_crop_has_no_colours() -> None:
    assert plate_colors(np.zeros((0, 0, 3), np.uint8)) == PlateColors("", "")


# Crops of indonesia-plate-crops whose colours were checked by eye.
REAL = [
    ("train001_1.jpg", "Black", "White"),
    ("train012_1.jpg", "White", "Black"),
    ("train030_1.jpg", "White", "Black"),
    ("train042_1.jpg", "Red", "White"),
    ("train440_1.jpg", "Red", "White"),
    ("train116_1.jpg", "Yellow", "Black"),
    ("train097_1.jpg", "Yellow", "Black"),
    ("train624_2.jpg", "Black", "White"),
    ("train687_1.jpg", "White", "Black"),
]


@pytest.mark.parametrize(("file", "bg", "fg"), REAL)
def test_real_indonesian_crops(datasets_dir: Path, file: str, bg: str, fg: str) -> None:
    crop = cv2.imread(str(datasets_dir / "indonesia-plate-crops" / file))
    assert crop is not None
    assert plate_colors(crop) == PlateColors(bg, fg)
