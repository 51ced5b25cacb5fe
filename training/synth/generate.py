"""One synthetic sample from a seed, and a CLI that pre-renders a set to disk.

    python3 -m training.synth.generate --count 60000 --seed 0 --out /tmp/synth.npz
"""

from __future__ import annotations

import argparse
import time
import zlib
from dataclasses import dataclass

import cv2
import numpy as np

from alprd.domain.packs import available_packs, load_pack
from training.synth import texts
from training.synth.degrade import degrade
from training.synth.render import render_eu, render_generic, render_id, render_us
from training.synth.world import SMALL_STYLES, WORLD_STYLES

# Synthetic styles: EU and US-style plates, the world's layouts (training/synth/world.py)
# and every country pack by its code (drawn from its format regexes). The first three
# are seeded by their index (as the earlier models' sets were), the rest by a hash of
# their name, so adding a style or a pack never changes the samples of another.
_FIRST_STYLES = ("eu", "id", "us")
STYLES: tuple[str, ...] = (_FIRST_STYLES + tuple(WORLD_STYLES)
                           + tuple(sorted(set(available_packs()) - set(_FIRST_STYLES) - set(WORLD_STYLES))))
# The v2 mix (share of pre-rendered samples per style).
V2_WEIGHTS = {"eu": 0.16, "id": 0.16, "us": 0.14, "id_moto": 0.16, "br_old": 0.05, "mercosul": 0.07, "vn2": 0.09,
              "vn1": 0.03, "uk": 0.04, "asia": 0.06, "two_row": 0.04}
V1_WEIGHTS = {"eu": 0.45, "us": 0.3, "id": 0.25}
INPUT_HW = (64, 128)


@dataclass(frozen=True)
class Sample:
    image: np.ndarray  # grey uint8, any size (degraded crop)
    text: str


def render_clean(style: str, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A clean RGB plate of ``style`` and its text."""
    if style == "eu":
        country, groups = texts.eu_text(rng)
        return render_eu(country, groups, rng), "".join(groups)
    if style == "us":
        groups = texts.us_text(rng)
        return render_us(groups, rng), "".join(groups)
    if style in WORLD_STYLES:
        return WORLD_STYLES[style](rng)
    pack = load_pack(style)
    if style == "id":
        groups = texts.id_text(pack, rng)
        return render_id(groups, rng, two_line=rng.random() < 0.15), "".join(groups)
    groups = texts.regex_text(pack.formats[int(rng.integers(len(pack.formats)))], rng)
    return render_generic(groups, rng), "".join(groups)


def make_sample(seed: int, style: str) -> Sample:
    """Deterministic: the same (seed, style) gives the same image and text."""
    key = _FIRST_STYLES.index(style) if style in _FIRST_STYLES else zlib.crc32(style.encode())
    rng = np.random.default_rng([seed, key])
    plate, text = render_clean(style, rng)
    return Sample(image=degrade(plate, rng, small=style in SMALL_STYLES and rng.random() < 0.6), text=text)


def style_for(index: int, weights: dict[str, float]) -> str:
    names = sorted(weights)
    p = np.array([weights[n] for n in names])
    rng = np.random.default_rng([index, 7])
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=60000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mix", choices=("v1", "v2"), default="v2", help="style mix: v2 (the world) or v1 (eu/us/id)")
    args = ap.parse_args(argv)
    weights = V2_WEIGHTS if args.mix == "v2" else V1_WEIGHTS
    h, w = INPUT_HW
    images = np.empty((args.count, h, w), np.uint8)
    labels: list[str] = []
    start_s = time.monotonic()
    for i in range(args.count):
        sample = make_sample(args.seed * 10_000_000 + i, style_for(args.seed * 10_000_000 + i, weights))
        images[i] = cv2.resize(sample.image, (w, h), interpolation=cv2.INTER_AREA)
        labels.append(sample.text)
        if i % 5000 == 0:
            print(f"{i}/{args.count} {time.monotonic() - start_s:.0f}s", flush=True)
    np.savez(args.out, images=images, labels=np.array(labels))
    print(f"wrote {args.count} samples in {time.monotonic() - start_s:.0f}s to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
