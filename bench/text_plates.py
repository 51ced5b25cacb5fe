#!/usr/bin/env python3
"""Plates found as text (``inference.text_plates``): what they add and what they cost.

One run, the pipeline with text plates off and on side by side (same models, pack
``id``, images alternated):
* reads on the motorcycle crops of vehicle-types: the 155 listed in
  ``training/labels/vehicle-types-moto-plates.txt`` (a plate is visible) get a read or
  not; reads on the 273 others are all wrong (no plate visible there);
* ms per image (median, p95) on those crops (224 px), on a 640x360 traffic-camera frame
  (``../shared/videos/id_etle_motorcycles_cilacap.mp4`` at 20 s) and on the openalpr-eu
  photos (pack ``sk``: reads the text route adds there are wrong; every plate there is
  found by the plate detector).

    nice -n 5 python3 bench/text_plates.py [--threads 2] [--save DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from moto_plates import DATASET as MOTOS  # noqa: E402
from moto_plates import listed_crops, motorcycle_crops  # noqa: E402

from alprd.config import Config, RegionsConfig, TextPlatesConfig  # noqa: E402
from alprd.vision.ov_model import make_core  # noqa: E402
from alprd.vision.pipeline import ImagePipeline, crop_box  # noqa: E402

SHARED = REPO.parent / "shared"
EU = SHARED / "datasets" / "openalpr-eu"
CLIP = SHARED / "videos" / "id_etle_motorcycles_cilacap.mp4"


def pipelines(threads: int, pack: str) -> dict[str, ImagePipeline]:
    core = make_core()
    core.set_property("CPU", {"INFERENCE_NUM_THREADS": threads})
    base = Config(base_dir=(REPO / "config").resolve())
    out = {}
    for name, enabled in (("off", False), ("on", True)):
        inference = base.inference.model_copy(update={"text_plates": TextPlatesConfig(enabled=enabled)})
        config = base.model_copy(update={"inference": inference, "regions": RegionsConfig(packs=(pack,))})
        out[name] = ImagePipeline.from_config(config, core)
    return out


def frame_at(path: Path, seconds: float) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    frame = None
    for _ in range(int(round(seconds * capture.get(cv2.CAP_PROP_FPS))) + 1):
        ok, frame = capture.read()
        if not ok:
            raise SystemExit(f"{path}: ends before {seconds} s")
    capture.release()
    assert frame is not None
    return frame


def timed(p: ImagePipeline, image: np.ndarray) -> tuple[float, int, list[str], list[np.ndarray]]:
    start = time.perf_counter()
    result = p.read_image(image)
    ms = (time.perf_counter() - start) * 1000.0
    texts = [r.ocr.text for r in result.reads]
    return ms, len(result.reads), texts, [crop_box(image, r.plate.box) for r in result.reads]


def summary(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=20) if len(ms) >= 2 else ms * 19
    return f"median {statistics.median(ms):.1f} ms, p95 {q[18]:.1f} ms (n={len(ms)})"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--save", type=Path, help="write the crops read on the motorcycle crops here")
    args = p.parse_args()
    listed = listed_crops()
    motos = motorcycle_crops()
    id_pipes = pipelines(args.threads, "id")
    ms: dict[str, dict[str, list[float]]] = {k: {"motos": [], "frame": [], "eu": []} for k in id_pipes}
    hits = {k: [0, 0] for k in id_pipes}  # listed crops read, unlisted crops read
    for name in motos:
        image = cv2.imread(str(MOTOS / name))
        for mode, pipe in id_pipes.items():
            took, n, texts, crops = timed(pipe, image)
            ms[mode]["motos"].append(took)
            hits[mode][0 if name in listed else 1] += bool(n)
            if args.save and mode == "on" and n:
                args.save.mkdir(parents=True, exist_ok=True)
                for i, (text, crop) in enumerate(zip(texts, crops)):
                    tag = "" if name in listed else "UNLISTED-"
                    cv2.imwrite(str(args.save / f"{tag}{Path(name).stem}-{i}-{text}.png"), crop)
    frame = frame_at(CLIP, 20.0)
    for _ in range(20):
        for mode, pipe in id_pipes.items():
            ms[mode]["frame"].append(timed(pipe, frame)[0])
    eu_pipes = pipelines(args.threads, "sk")
    eu_reads = {k: 0 for k in eu_pipes}
    for photo in sorted(EU.glob("*.jpg")):
        image = cv2.imread(str(photo))
        for mode, pipe in eu_pipes.items():
            took, n, _, _ = timed(pipe, image)
            ms[mode]["eu"].append(took)
            eu_reads[mode] += n
    print(f"threads {args.threads}")
    for mode in id_pipes:
        print(
            f"text_plates {mode}: motorcycle crops read {hits[mode][0]} of {len(listed)} listed, "
            f"{hits[mode][1]} of {len(motos) - len(listed)} unlisted; openalpr-eu reads {eu_reads[mode]}"
        )
        for what, values in ms[mode].items():
            print(f"  {what}: {summary(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
