#!/usr/bin/env python3
"""Plate detector benchmark: torch CPU vs OpenVINO FP32 / FP16 / INT8, at two input sizes.

Side by side in one run, on the same photos (openalpr-eu, 108), same thread count:
per-frame latency of the whole ``detect`` (letterbox + inference + decode + NMS) and
recall / precision at IoU 0.5. The IRs are built from one ``.pt`` into bench/_work/
(FP32 and FP16 by ``alprd models export``'s code, INT8 by ``alprd models quantize``'s
on openlpr-plates train images). torch + ultralytics + nncf are needed here only.

    nice -n 10 python3 bench/detector.py --pt /tmp/alprd-train/runs/plate/weights/best.pt
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alprd.inference.model_export import export_ir, quantize_ir  # noqa: E402
from alprd.inference.ov_model import make_core  # noqa: E402
from alprd.inference.plate_detector import PlateDetector  # noqa: E402
from alprd.messages import Box  # noqa: E402

DATASETS = REPO.parent / "shared" / "datasets"
IOU_MATCH = 0.5


@dataclass(frozen=True)
class Row:
    name: str
    size_px: int
    median_ms: float
    mean_ms: float
    recall: float
    precision: float


def ground_truth(folder: Path) -> list[tuple[Path, list[Box]]]:
    """openalpr benchmark format: one .txt per image, 'image x y w h TEXT' per line."""
    items = []
    for txt in sorted(folder.glob("*.txt")):
        boxes, image = [], None
        for line in txt.read_text().splitlines():
            parts = line.split("\t") if "\t" in line else line.split()
            if len(parts) >= 5:
                image = folder / parts[0]
                x, y, w, h = map(float, parts[1:5])
                boxes.append(Box(x, y, x + w, y + h))
        if image is not None:
            items.append((image, boxes))
    return items


def match_counts(found: list[Box], truth: list[Box]) -> tuple[int, int]:
    """(true plates found, detections matching a true plate) at IoU >= 0.5."""
    hits = sum(any(f.iou(t) >= IOU_MATCH for f in found) for t in truth)
    good = sum(any(f.iou(t) >= IOU_MATCH for t in truth) for f in found)
    return hits, good


def measure(name: str, size: int, detect: Callable[[np.ndarray], list[Box]],
            data: list[tuple[np.ndarray, list[Box]]], warmup: int = 3) -> Row:
    for image, _ in data[:warmup]:
        detect(image)
    times, hits, good, found_n, truth_n = [], 0, 0, 0, 0
    for image, truth in data:
        start = time.perf_counter()
        found = detect(image)
        times.append((time.perf_counter() - start) * 1000.0)
        h, g = match_counts(found, truth)
        hits, good, found_n, truth_n = hits + h, good + g, found_n + len(found), truth_n + len(truth)
    row = Row(name, size, statistics.median(times), statistics.fmean(times),
              hits / truth_n, good / found_n if found_n else 0.0)
    print(f"  {name:18} {size:4}  median {row.median_ms:7.1f} ms  mean {row.mean_ms:7.1f} ms  "
          f"recall {row.recall:6.1%}  precision {row.precision:6.1%}", flush=True)
    return row


def torch_detector(pt: Path, size: int, conf: float, iou: float, threads: int):
    import torch
    from ultralytics import YOLO

    torch.set_num_threads(threads)
    model = YOLO(str(pt))

    def detect(image: np.ndarray) -> list[Box]:
        result = model.predict(image, imgsz=size, conf=conf, iou=iou, device="cpu", verbose=False)[0]
        return [Box(*map(float, b)) for b in result.boxes.xyxy.tolist()]

    return detect


def vehicle_rows(core, data: list[tuple[np.ndarray, list[Box]]]) -> None:
    """Vehicle stage latency (OpenVINO's default threads); hit: a vehicle box holds the plate's centre."""
    from alprd.inference.vehicle_detector import VehicleDetector

    omz = REPO.parent / "shared" / "models" / "intel-omz"
    models = REPO / "models"
    variants = {
        "vehicle SSD only": {},
        "SSD + alprd type head": {"classifier_path": models / "vehicle-type" / "vehicle-type-head.npz",
                                  "backbone_path": models / "plate-detector" / "plate-yolov8n.xml"},
        "SSD + Intel attributes": {"classifier_path": omz / "vehicle-attributes-recognition-barrier-0039.xml"},
    }
    for name, extra in variants.items():
        det = VehicleDetector.ssd(omz / "vehicle-detection-0200.xml", core, "CPU", requests=1, **extra)
        for image, _ in data[:3]:
            det.detect(image)
        times, hits = [], 0
        for image, truth in data:
            start = time.perf_counter()
            found = det.detect(image)
            times.append((time.perf_counter() - start) * 1000.0)
            hits += all(any(v.box.contains_point(*t.center) for v in found) for t in truth)
        print(f"  {name:24} median {statistics.median(times):6.1f} ms  mean {statistics.fmean(times):6.1f} ms  "
              f"plate inside a vehicle box {hits}/{len(data)}", flush=True)


def build_irs(pt: Path, size: int, work: Path, calib: Path, subset: int) -> dict[str, Path]:
    irs = {"OV FP32": work / f"plate-{size}-fp32.xml", "OV FP16": work / f"plate-{size}-fp16.xml",
           "OV INT8": work / f"plate-{size}-int8.xml"}
    if not irs["OV FP32"].is_file():
        export_ir(pt, irs["OV FP32"], size, fp16=False)
    if not irs["OV FP16"].is_file():
        export_ir(pt, irs["OV FP16"], size, fp16=True)
    if not irs["OV INT8"].is_file():
        quantize_ir(irs["OV FP32"], calib, irs["OV INT8"], subset_size=subset)
    return irs


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pt", type=Path, help="ultralytics .pt of the plate detector")
    p.add_argument("--images", type=Path, default=DATASETS / "openalpr-eu")
    p.add_argument("--calib", type=Path, default=DATASETS / "openlpr-plates" / "images" / "train")
    p.add_argument("--subset", type=int, default=300, help="INT8 calibration images")
    p.add_argument("--sizes", type=int, nargs="+", default=[640, 416])
    p.add_argument("--threads", type=int, default=1, help="CPU threads for torch and OpenVINO alike")
    p.add_argument("--conf", type=float, default=0.25)
    p.add_argument("--iou", type=float, default=0.45)
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--extra", nargs="*", default=[], metavar="PATH@SIZE",
                   help="other IR/ONNX plate models measured alongside, e.g. platedet.onnx@640")
    p.add_argument("--vehicles", action="store_true",
                   help="also time the vehicle stage (SSD box, + alprd's type head, + Intel's attributes)")
    p.add_argument("--work", type=Path, default=REPO / "bench" / "_work" / "detector")
    args = p.parse_args()

    data = [(cv2.imread(str(path)), boxes) for path, boxes in ground_truth(args.images)]
    print(f"{len(data)} images from {args.images}, {args.threads} thread(s), conf {args.conf}")
    core = make_core()
    rows: list[Row] = []
    for size in args.sizes if args.pt else []:
        irs = build_irs(args.pt, size, args.work, args.calib, args.subset)
        if not args.no_torch:
            rows.append(measure("torch CPU", size, torch_detector(args.pt, size, args.conf, args.iou,
                                                                  args.threads), data))
        for name, xml in irs.items():
            # FP32 forced to f32 maths; the others run as OpenVINO chooses (bf16 on AMX CPUs).
            hint = "f32" if name == "OV FP32" else None
            det = PlateDetector(xml, core, "CPU", input_size=size, confidence=args.conf, iou=args.iou,
                                requests=1, num_threads=args.threads, precision_hint=hint)
            label = f"{name} ({det.execution_precision})"
            rows.append(measure(label, size, lambda im, d=det: [x.box for x in d.detect(im)], data))
    for spec in args.extra:
        path, _, size_text = spec.rpartition("@")
        det = PlateDetector(Path(path), core, "CPU", input_size=int(size_text), confidence=args.conf,
                            iou=args.iou, requests=1, num_threads=args.threads)
        label = f"{Path(path).name} ({det.execution_precision})"
        rows.append(measure(label, int(size_text), lambda im, d=det: [x.box for x in d.detect(im)], data))
    if args.vehicles:
        vehicle_rows(core, data)
    print("\n| variant | input | median ms/frame | mean ms | recall@0.5 | precision | speed-up vs torch |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        ref = next((r for r in rows if r.name == "torch CPU" and r.size_px == row.size_px), None)
        ratio = f"{ref.median_ms / row.median_ms:.1f}x" if ref else "-"
        print(f"| {row.name} | {row.size_px} | {row.median_ms:.1f} | {row.mean_ms:.1f} | "
              f"{row.recall:.1%} | {row.precision:.1%} | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
