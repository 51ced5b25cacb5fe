"""Plate-like fonts found on this machine (Debian font packages), by family."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))

# Condensed sans faces look most like DIN / FE-Schrift / Indonesian plate fonts.
PLATE_FONT_FILES = (
    "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSansCondensed.ttf",
    "DejaVuSans-Bold.ttf",
    "NimbusSansNarrow-Bold.otf",
    "NimbusSansNarrow-Regular.otf",
    "NimbusSans-Bold.otf",
    "LiberationSansNarrow-Bold.ttf",
    "LiberationSansNarrow-Regular.ttf",
    "LiberationSans-Bold.ttf",
    "URWGothic-Demi.otf",
    "NotoSansMono-Bold.ttf",
    "DejaVuSansMono-Bold.ttf",
    "FreeSansBold.ttf",
)
# Decorative faces for the clutter on US plates (state names, slogans).
DECOR_FONT_FILES = (
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif.ttf",
    "C059-Bold.otf",
    "P052-Roman.otf",
    "Z003-MediumItalic.otf",
    "NimbusRoman-Bold.otf",
    "DejaVuSans-Oblique.ttf",
)


@lru_cache(maxsize=1)
def _index() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in FONT_DIRS:
        if root.is_dir():
            for path in root.rglob("*"):
                if path.suffix.lower() in (".ttf", ".otf"):
                    found.setdefault(path.name, path)
    return found


def plate_fonts() -> tuple[Path, ...]:
    index = _index()
    return tuple(index[name] for name in PLATE_FONT_FILES if name in index)


def decor_fonts() -> tuple[Path, ...]:
    index = _index()
    fonts = tuple(index[name] for name in DECOR_FONT_FILES if name in index)
    return fonts or plate_fonts()


@lru_cache(maxsize=512)
def load_font(path: Path, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size_px)
