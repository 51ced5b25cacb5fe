#!/usr/bin/env python3
"""Plate OCR benchmark: alprd's plate model vs the general PP-OCR, side by side.

One run, same crops (the 108 ground-truth plate crops of openalpr-eu), same device:
per-crop latency of ``read_batch([crop])`` (pre-processing + OpenVINO inference +
decoding), the model call alone, and exact reads. Engines whose model file is missing
are reported as such.

    nice -n 5 python3 bench/ocr.py [--repeats 5] [--device CPU] [--also OTHER.xml ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import openvino as ov

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alprd.errors import ModelError  # noqa: E402
from alprd.vision.ocr_plate import PlateOcr  # noqa: E402
from alprd.vision.views import crop_views, vote  # noqa: E402
from training import data  # noqa: E402


class ThreeViews:
    """The plate engine as the pipeline runs it by default (``inference.ocr.views: 3``): each
    crop, a tighter and a looser copy in one batch, the voted read kept (no pack here)."""

    def __init__(self, engine: PlateOcr) -> None:
        self.engine = engine

    def read_batch(self, crops: list) -> list:
        views = [crop_views(c) for c in crops]
        flat = self.engine.read_batch([v for vs in views for v in vs])
        out, start = [], 0
        for vs in views:
            out.append(flat[start + vote(flat[start : start + len(vs)])])
            start += len(vs)
        return out


def engines(core: ov.Core, device: str, also: list[Path]) -> dict[str, Callable[[], object]]:
    from alprd.vision.ocr_ppocr import PpOcr

    plate_dir = REPO / "models" / "plate-ocr"
    found: dict[str, Callable[[], object]] = {
        "plate (FP16 IR)": lambda: PlateOcr(plate_dir / "plate_ocr.xml", core, device),
        "plate (INT8 IR)": lambda: PlateOcr(plate_dir / "plate_ocr_int8.xml", core, device),
        "plate, 3 views voted": lambda: ThreeViews(PlateOcr(plate_dir / "plate_ocr.xml", core, device)),
    }
    for path in also:  # other plate models side by side (e.g. an earlier version)
        found[f"plate ({path.parent.name}/{path.name})"] = lambda p=path: PlateOcr(p, core, device)
    found["ppocr (PP-OCRv4 rec)"] = lambda: PpOcr(None, core, device)
    return found


def per_crop_ms(read: Callable[[list], object], crops: list, repeats: int) -> list[float]:
    for crop in crops[:5]:
        read([crop])  # warm-up
    times = []
    for _ in range(repeats):
        for crop in crops:
            t0 = time.perf_counter()
            read([crop])
            times.append((time.perf_counter() - t0) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--device", default="CPU")
    ap.add_argument("--also", type=Path, action="append", default=[], help="another plate model IR to time")
    args = ap.parse_args(argv)
    crops = data.eu_crops()
    images = [c.image for c in crops]
    core = ov.Core()
    rows = []
    for name, make in engines(core, args.device, args.also).items():
        try:
            engine = make()
        except (ModelError, FileNotFoundError) as exc:
            print(f"{name}: not measured ({exc})")
            continue
        reads = engine.read_batch(images)
        exact = sum(r.text == c.text for r, c in zip(reads, crops)) / len(crops)
        times = per_crop_ms(engine.read_batch, images, args.repeats)
        rows.append((name, statistics.median(times), statistics.quantiles(times, n=20)[18], exact))
    print(f"\n{len(crops)} openalpr-eu ground-truth crops, device {args.device}, {args.repeats} repeats, batch 1")
    print(f"{'engine':24s} {'median ms':>10s} {'p95 ms':>8s} {'exact':>7s} {'x faster than ppocr':>20s}")
    base = next((r[1] for r in rows if r[0].startswith("ppocr")), None)
    for name, median, p95, exact in rows:
        ratio = f"{base / median:.1f}x" if base else "n/a"
        print(f"{name:24s} {median:10.2f} {p95:8.2f} {exact * 100:6.1f}% {ratio:>20s}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
