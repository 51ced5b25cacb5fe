"""Copy-paste plates for the plate detector: real plate crops pasted into real photos.

The detector's training photos (openlpr-plates) are cars seen from the front or back,
almost no motorcycles, no two-row plates, no dark Indonesian plates and no white plates
on a white body; the detector is blind to what it never saw (the Indian scooter and the
Indonesian motorcycles of ``../shared/videos``). This adds photos to its training set:
a copy of an openlpr training photo with one to three real plate crops pasted where no
plate is, each scaled to 4-25 % of the photo's width, turned a little, its light matched
loosely to the spot and sometimes blurred, with the pasted box added to the labels.

The crops come only from the training sources of the crop sets (``training/data.py``):
the held-out sources stay unseen, so a detector trained with them can still be measured
on them (``--val-paste`` builds the same kind of photos from the held-out crops, pasted
into openlpr's validation photos).

    python3 -m training.plate_paste --work /tmp/alprd-det --per-image 1 [--val-paste]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import cv2
import numpy as np

from training.data import DATASETS, grouped_crops, id_crops, us_crops

OPENLPR = DATASETS / "openlpr-plates"


def source_crops(held_out: bool) -> list[np.ndarray]:
    """Plate crops of the training (or held-out) sources, every kind of plate."""
    crops = [c.image for c in grouped_crops("indonesia-plates-extra", held_out)]
    crops += [c.image for c in grouped_crops("vietnam-eu-plate-crops", held_out)]
    if not held_out:  # these two sets have no held-out source, only held-out files
        crops += [c.image for c in id_crops(val=False)][::3]
        crops += [c.image for c in us_crops(holdout=False)][::2]
    return [c for c in crops if c is not None and c.shape[0] >= 12 and c.shape[1] >= 20]


def _boxes(label: Path, w: int, h: int) -> list[tuple[float, float, float, float]]:
    out = []
    if label.is_file():
        for line in label.read_text().split("\n"):
            parts = line.split()
            if len(parts) == 5:
                cx, cy, bw, bh = (float(v) for v in parts[1:])
                out.append(((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h))
    return out


def _overlaps(a: tuple[float, ...], boxes: list[tuple[float, float, float, float]], margin: float) -> bool:
    return any(
        a[0] < b[2] + margin and b[0] < a[2] + margin and a[1] < b[3] + margin and b[1] < a[3] + margin
        for b in boxes
    )


def _turned(crop: np.ndarray, rng: random.Random) -> np.ndarray:
    """The crop turned by a few degrees, on a transparent (alpha) canvas."""
    h, w = crop.shape[:2]
    rgba = cv2.cvtColor(crop, cv2.COLOR_BGR2BGRA)
    angle = rng.uniform(-8, 8)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(w * cos + h * sin + 1), int(w * sin + h * cos + 1)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(rgba, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))


def paste(
    image: np.ndarray, boxes: list[tuple[float, float, float, float]], crop: np.ndarray, rng: random.Random
) -> tuple[float, float, float, float] | None:
    """Paste ``crop`` into ``image`` (in place) where no box is; its box, or None."""
    h, w = image.shape[:2]
    target_w = w * rng.uniform(0.04, 0.25)
    scale = target_w / crop.shape[1]
    if crop.shape[0] * scale > 0.4 * h or target_w < 16:
        return None
    small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    tile = _turned(small, rng) if rng.random() < 0.6 else cv2.cvtColor(small, cv2.COLOR_BGR2BGRA)
    th, tw = tile.shape[:2]
    for _ in range(20):
        x, y = rng.randint(0, w - tw), rng.randint(int(0.2 * (h - th)), h - th)
        box = (float(x), float(y), float(x + tw), float(y + th))
        if not _overlaps(box, boxes, 0.02 * w):
            break
    else:
        return None
    spot = image[y : y + th, x : x + tw].astype(np.float32)
    rgb = tile[:, :, :3].astype(np.float32)
    alpha = tile[:, :, 3:4].astype(np.float32) / 255.0
    # light matched halfway to the spot's mean, then a random gain
    gain = (0.5 + 0.5 * (spot.mean() + 1) / (rgb.mean() + 1)) * rng.uniform(0.7, 1.2)
    rgb = np.clip(rgb * gain, 0, 255)
    out = rgb * alpha + spot * (1 - alpha)
    if rng.random() < 0.3:
        k = rng.choice((3, 5))
        out = cv2.GaussianBlur(out, (k, k), 0)
    image[y : y + th, x : x + tw] = out.astype(np.uint8)
    # the label is the plate, not the turned canvas: shrink to the crop's own extent
    ys, xs = np.nonzero(tile[:, :, 3] > 127)
    return (float(x + xs.min()), float(y + ys.min()), float(x + xs.max() + 1), float(y + ys.max() + 1))


def build(work: Path, split: str, crops: list[np.ndarray], per_image: int, seed: int) -> int:
    """Write pasted copies of openlpr ``split`` photos into ``work`` (YOLO layout)."""
    rng = random.Random(seed)
    out_img, out_lbl = work / "images" / split, work / "labels" / split
    out_img.mkdir(parents=True, exist_ok=True)
    out_lbl.mkdir(parents=True, exist_ok=True)
    written = 0
    for path in sorted((OPENLPR / "images" / split).iterdir()):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            continue
        h, w = image.shape[:2]
        label = OPENLPR / "labels" / split / f"{path.stem}.txt"
        for k in range(per_image):
            copy = image.copy()
            boxes = _boxes(label, w, h)
            lines = [ln for ln in label.read_text().splitlines() if ln.strip()] if label.is_file() else []
            for _ in range(rng.randint(1, 3)):
                box = paste(copy, boxes, rng.choice(crops), rng)
                if box is None:
                    continue
                boxes.append(box)
                x1, y1, x2, y2 = box
                lines.append(f"0 {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}")
            stem = f"paste{k}_{path.stem}"
            cv2.imwrite(str(out_img / f"{stem}.jpg"), copy, [cv2.IMWRITE_JPEG_QUALITY, 90])
            (out_lbl / f"{stem}.txt").write_text("\n".join(lines) + "\n")
            written += 1
    return written


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", type=Path, required=True, help="folder of the pasted photos (YOLO layout)")
    p.add_argument("--per-image", type=int, default=1, help="pasted copies per openlpr training photo")
    p.add_argument("--val-paste", action="store_true", help="also held-out crops into openlpr's val photos")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    n = build(args.work, "train", source_crops(held_out=False), args.per_image, args.seed)
    print(f"train: {n} pasted photos in {args.work}")
    if args.val_paste:
        n = build(args.work / "heldout", "val", source_crops(held_out=True), 1, args.seed + 1)
        print(f"held-out paste val: {n} photos in {args.work / 'heldout'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
