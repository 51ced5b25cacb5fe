#!/usr/bin/env python3
"""Train alprd's vehicle type head on ../shared/datasets/vehicle-types (numpy only).

Features come from the committed plate detector's backbone (see
alprd/vision/vehicle_type.py); a multinomial logistic regression (L2, full-batch
gradient descent) is fitted on the crops whose source image hashes outside the hold-out
fifth (the dataset asks for a split by source image), reported on the hold-out, then
refitted on everything and saved:

    nice -n 10 python3 tools/train_vehicle_type.py --out models/vehicle-type/vehicle-type-head.npz
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alprd.vision.ov_model import make_core  # noqa: E402
from alprd.vision.vehicle_type import LinearHead, VehicleTypeClassifier, backbone_digest  # noqa: E402

DATASET = REPO.parent / "shared" / "datasets" / "vehicle-types"
BACKBONE = REPO / "models" / "plate-detector" / "plate-yolov8n.xml"
CLASSES = ("car", "motorcycle", "bus", "truck")


def is_holdout(source: str) -> bool:
    return int(hashlib.sha256(source.encode()).hexdigest(), 16) % 5 == 0


def fit(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 2000, lr: float = 0.5) -> LinearHead:
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / std
    w = np.zeros((x.shape[1], len(CLASSES)))
    b = np.zeros(len(CLASSES))
    for _ in range(steps):
        logits = z @ w + b
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(y)), y] -= 1.0
        w -= lr * (z.T @ p / len(y) + l2 * w)
        b -= lr * p.mean(axis=0)
    return LinearHead(
        mean.astype(np.float32), std.astype(np.float32), w.astype(np.float32), b.astype(np.float32), CLASSES
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", type=Path, default=DATASET)
    p.add_argument("--backbone", type=Path, default=BACKBONE)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--l2", type=float, default=1e-3)
    args = p.parse_args()

    with (args.dataset / "labels.csv").open() as f:
        rows = list(csv.DictReader(f))
    core = make_core()
    # features only need the backbone; a dummy head (no backbone recorded) to build it
    dummy = args.out.with_suffix(".tmp.npz")
    LinearHead(
        np.zeros(384, np.float32),
        np.ones(384, np.float32),
        np.zeros((384, 4), np.float32),
        np.zeros(4, np.float32),
        CLASSES,
    ).save(dummy)
    extractor = VehicleTypeClassifier(args.backbone, dummy, core, "CPU", requests=1)
    x = np.stack(
        [
            extractor.features([cv2.imread(str(args.dataset / r["file"]))])[0]
            for r in tqdm(rows, desc="features", unit="crop")
        ]
    ).astype(np.float64)
    y = np.array([CLASSES.index(r["class"]) for r in rows])
    hold = np.array([is_holdout(r["source"]) for r in rows])
    head = fit(x[~hold], y[~hold], args.l2)
    pred = head.probabilities(x[hold]).argmax(axis=1)
    print(f"hold-out (by source): {hold.sum()} crops, accuracy {np.mean(pred == y[hold]):.3f}")
    for k, name in enumerate(CLASSES):
        sel = y[hold] == k
        print(f"  {name:10} {sel.sum():4}  {np.mean(pred[sel] == k):.3f}")
    head = fit(x, y, args.l2)
    replace(head, backbone_sha256=backbone_digest(args.backbone)).save(args.out)
    dummy.unlink()
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
