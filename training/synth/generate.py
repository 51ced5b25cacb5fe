"""One synthetic sample from a seed, and a CLI that pre-renders a set to disk.

    python3 -m training.synth.generate --count 60000 --seed 0 --out /tmp/synth.npz
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import cv2
import numpy as np

from alprd.packs import available_packs, load_pack
from training.synth import texts
from training.synth.degrade import degrade
from training.synth.render import render_eu, render_generic, render_id, render_us

# Synthetic styles: EU and US-style plates and every country pack by its code. The
# first three keep their places (a style's index seeds its samples, so adding a pack
# must not change the samples of the others).
_FIRST_STYLES = ("eu", "id", "us")
STYLES: tuple[str, ...] = _FIRST_STYLES + tuple(sorted(set(available_packs()) - set(_FIRST_STYLES)))
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
    pack = load_pack(style)
    if style == "id":
        groups = texts.id_text(pack, rng)
        return render_id(groups, rng, two_line=rng.random() < 0.15), "".join(groups)
    groups = texts.regex_text(pack.formats[int(rng.integers(len(pack.formats)))], rng)
    return render_generic(groups, rng), "".join(groups)


def make_sample(seed: int, style: str) -> Sample:
    """Deterministic: the same (seed, style) gives the same image and text."""
    rng = np.random.default_rng([seed, STYLES.index(style) if style in STYLES else 99])
    plate, text = render_clean(style, rng)
    return Sample(image=degrade(plate, rng), text=text)


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
    args = ap.parse_args(argv)
    weights = {"eu": 0.45, "us": 0.3, "id": 0.25}
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
