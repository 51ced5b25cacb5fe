#!/usr/bin/env python3
"""Plate detector benchmark: torch CPU vs OpenVINO FP32 / FP16 / INT8, at two input sizes.

Side by side in one run, on the same photos (openalpr-eu, 108), same thread count:
per-frame latency of the whole ``detect`` (letterbox + inference + decode + NMS) and
recall / precision at IoU 0.5. The IRs are built from one ``.pt`` into bench/_work/
(FP32 and FP16 by ``alprd models export``'s code, INT8 by ``alprd models quantize``'s
from the FP32 IR on openlpr-plates train images). Variants of one size are timed in
turn on each photo (round robin), so a change in the machine's load hits all alike.
torch runs ultralytics' ``predict`` on the same square letterbox as OpenVINO
(``rect=False``, the reference of the speed-up) and, as a second row, with ultralytics'
default minimal rectangle (fewer pixels for non-square photos). torch + ultralytics +
nncf are needed here only.

    nice -n 5 python3 bench/detector.py --pt models/cache/plate-yolov8n/plate-yolov8n-ep3.pt
    python3 bench/detector.py --pt OLD.pt NEW.pt --sizes 640   # two models side by side
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alprd.domain.messages import Box  # noqa: E402
from alprd.ops.model_export import export_ir, quantize_ir  # noqa: E402
from alprd.vision.ov_model import make_core  # noqa: E402
from alprd.vision.plate_detector import PlateDetector  # noqa: E402

DATASETS = REPO.parent / "shared" / "datasets"
IOU_MATCH = 0.5


@dataclass(frozen=True)
class Row:
    model: str
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


Detect = Callable[[np.ndarray], list[Box]]


def measure(
    size: int, detectors: dict[tuple[str, str], Detect], data: list[tuple[np.ndarray, list[Box]]], warmup: int = 3
) -> list[Row]:
    """Every detector ((model, variant) -> detect) on every photo, in turn per photo; one row each."""
    for image, _ in data[:warmup]:
        for detect in detectors.values():
            detect(image)
    times: dict[tuple[str, str], list[float]] = {name: [] for name in detectors}
    counts = {name: [0, 0, 0, 0] for name in detectors}  # hits, good, found, truth
    for image, truth in data:
        for name, detect in detectors.items():
            start = time.perf_counter()
            found = detect(image)
            times[name].append((time.perf_counter() - start) * 1000.0)
            h, g = match_counts(found, truth)
            c = counts[name]
            c[0], c[1], c[2], c[3] = c[0] + h, c[1] + g, c[2] + len(found), c[3] + len(truth)
    rows = []
    for name, (hits, good, found_n, truth_n) in counts.items():
        row = Row(
            *name,
            size,
            statistics.median(times[name]),
            statistics.fmean(times[name]),
            hits / truth_n,
            good / found_n if found_n else 0.0,
        )
        print(
            f"  {name[0]:24} {name[1]:32} {size:4}  median {row.median_ms:7.1f} ms  mean {row.mean_ms:7.1f} ms  "
            f"recall {row.recall:6.1%}  precision {row.precision:6.1%}",
            flush=True,
        )
        rows.append(row)
    return rows


def torch_detector(pt: Path, size: int, conf: float, iou: float, threads: int, rect: bool) -> Detect:
    """ultralytics' predict (fuses Conv+BN, runs under torch.inference_mode), FP32 on CPU.

    ``rect=False``: the same size x size letterbox as OpenVINO gets; ``rect=True``:
    ultralytics' default, the smallest multiple-of-32 rectangle around the photo.
    """
    import torch
    from ultralytics import YOLO

    model = YOLO(str(pt))

    def detect(image: np.ndarray) -> list[Box]:
        # ultralytics resets torch's thread count (to cpu_count - 1, i.e. 1 here) when
        # it sets up a predictor: set it on every call so torch gets ``threads`` too
        torch.set_num_threads(threads)
        result = model.predict(image, imgsz=size, conf=conf, iou=iou, device="cpu", verbose=False, rect=rect)[0]
        return [Box(*map(float, b)) for b in result.boxes.xyxy.tolist()]

    return detect


def vehicle_rows(core, data: list[tuple[np.ndarray, list[Box]]]) -> None:
    """Vehicle stage latency (OpenVINO's default threads); hit: a vehicle box holds the plate's centre."""
    from alprd.vision.vehicle_detector import VehicleDetector

    omz = REPO.parent / "shared" / "models" / "intel-omz"
    models = REPO / "models"
    variants = {
        "vehicle SSD only": {},
        "SSD + alprd type head": {
            "classifier_path": models / "vehicle-type" / "vehicle-type-head.npz",
            "backbone_path": models / "plate-detector" / "plate-yolov8n.xml",
        },
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
        print(
            f"  {name:24} median {statistics.median(times):6.1f} ms  mean {statistics.fmean(times):6.1f} ms  "
            f"plate inside a vehicle box {hits}/{len(data)}",
            flush=True,
        )


def build_irs(pt: Path, size: int, work: Path, calib: Path, subset: int, presets: list[str]) -> dict[str, Path]:
    irs = {"OV FP32": work / f"plate-{size}-fp32.xml", "OV FP16": work / f"plate-{size}-fp16.xml"}
    if not irs["OV FP32"].is_file():
        export_ir(pt, irs["OV FP32"], size, fp16=False)
    if not irs["OV FP16"].is_file():
        export_ir(pt, irs["OV FP16"], size, fp16=True)
    for preset in presets:
        irs[f"OV INT8 {preset}"] = xml = work / f"plate-{size}-int8-{preset}.xml"
        if not xml.is_file():
            quantize_ir(irs["OV FP32"], calib, xml, subset_size=subset, preset=preset)
    return irs


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--pt",
        type=Path,
        nargs="*",
        default=[],
        help="ultralytics .pt of the plate detector; several are measured side by side",
    )
    p.add_argument("--images", type=Path, default=DATASETS / "openalpr-eu")
    p.add_argument("--calib", type=Path, default=DATASETS / "openlpr-plates" / "images" / "train")
    p.add_argument("--subset", type=int, default=300, help="INT8 calibration images")
    p.add_argument(
        "--presets",
        nargs="+",
        default=["performance"],
        choices=("performance", "mixed"),
        help="NNCF presets of the INT8 IRs measured",
    )
    p.add_argument("--sizes", type=int, nargs="+", default=[640, 416])
    p.add_argument("--threads", type=int, default=1, help="CPU threads for torch and OpenVINO alike")
    p.add_argument("--conf", type=float, default=0.25)
    p.add_argument("--iou", type=float, default=0.45)
    p.add_argument("--no-torch", action="store_true")
    p.add_argument(
        "--extra",
        nargs="*",
        default=[],
        metavar="PATH@SIZE",
        help="other IR/ONNX plate models measured alongside, e.g. platedet.onnx@640",
    )
    p.add_argument(
        "--vehicles",
        action="store_true",
        help="also time the vehicle stage (SSD box, + alprd's type head, + Intel's attributes)",
    )
    p.add_argument("--work", type=Path, default=REPO / "bench" / "_work" / "detector")
    args = p.parse_args()

    data = [(cv2.imread(str(path)), boxes) for path, boxes in ground_truth(args.images)]
    print(
        f"{len(data)} images from {args.images}, {args.threads} thread(s), conf {args.conf}, "
        f"load average {load_average()}"
    )
    core = make_core()
    rows: list[Row] = []
    for size in args.sizes if args.pt else []:
        detectors: dict[tuple[str, str], Detect] = {}
        for pt in args.pt:
            # one .pt keeps the old cache layout; several get a folder each
            work = args.work if len(args.pt) == 1 else args.work / pt.stem
            irs = build_irs(pt, size, work, args.calib, args.subset, args.presets)
            if not args.no_torch:
                for rect, name in ((False, "torch CPU"), (True, "torch CPU, minimal rectangle")):
                    detectors[pt.stem, name] = torch_detector(pt, size, args.conf, args.iou, args.threads, rect)
            for name, xml in irs.items():
                # FP32 forced to f32 maths; the others run as OpenVINO chooses (bf16 on AMX CPUs).
                hint = "f32" if name == "OV FP32" else None
                det = PlateDetector(
                    xml,
                    core,
                    "CPU",
                    input_size=size,
                    confidence=args.conf,
                    iou=args.iou,
                    requests=1,
                    num_threads=args.threads,
                    precision_hint=hint,
                )
                label = f"{name} ({det.execution_precision})"
                detectors[pt.stem, label] = lambda im, d=det: [x.box for x in d.detect(im)]
        rows += measure(size, detectors, data)
        print(f"  load average {load_average()}", flush=True)
    for spec in args.extra:
        path, _, size_text = spec.rpartition("@")
        det = PlateDetector(
            Path(path),
            core,
            "CPU",
            input_size=int(size_text),
            confidence=args.conf,
            iou=args.iou,
            requests=1,
            num_threads=args.threads,
        )
        label = f"{Path(path).name} ({det.execution_precision})"
        rows += measure(int(size_text), {("extra", label): lambda im, d=det: [x.box for x in d.detect(im)]}, data)
    if args.vehicles:
        vehicle_rows(core, data)
    print("\n| model | variant | input | median ms/frame | mean ms | recall@0.5 | precision | speed-up vs its torch |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        ref = next((r for r in rows if (r.model, r.name, r.size_px) == (row.model, "torch CPU", row.size_px)), None)
        ratio = f"{ref.median_ms / row.median_ms:.2f}x" if ref else "-"
        print(
            f"| {row.model} | {row.name} | {row.size_px} | {row.median_ms:.1f} | {row.mean_ms:.1f} | "
            f"{row.recall:.1%} | {row.precision:.1%} | {ratio} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
