#!/usr/bin/env python3
"""How many motorcycle plates a plate detector boxes: vehicle-types' motorcycle crops.

``training/labels/vehicle-types-moto-plates.txt`` lists the 155 motorcycle crops of
``../shared/datasets/vehicle-types`` (428, mostly Indonesian scooters and underbones
from social media) in which a plate can be seen; they have no boxes. For each detector
given, this prints how many listed crops get at least one plate box at the detector's
threshold (an upper bound of its recall: look at the boxes with ``--save DIR`` to
count the right ones) and how many boxes it draws on the 273 crops not listed (all
wrong: no plate is visible there).

    python3 bench/moto_plates.py                       # the default detector
    python3 bench/moto_plates.py --model A.xml B.xml --save /tmp/moto
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alprd.vision.ov_model import make_core  # noqa: E402
from alprd.vision.plate_detector import PlateDetector  # noqa: E402

DATASET = REPO.parent / "shared" / "datasets" / "vehicle-types"
LISTED = REPO / "training" / "labels" / "vehicle-types-moto-plates.txt"


def listed_crops(path: Path = LISTED) -> set[str]:
    return {line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")}


def motorcycle_crops() -> list[str]:
    """Every motorcycle crop of vehicle-types (paths under DATASET), in the CSV's order."""
    with open(DATASET / "labels.csv", newline="") as f:
        return [row["file"] for row in csv.DictReader(f) if row["class"] == "motorcycle"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, nargs="+", default=[REPO / "models" / "plate-detector" / "plate-yolov8n.xml"])
    p.add_argument("--size", type=int, default=640)
    p.add_argument("--conf", type=float, default=0.25)
    p.add_argument("--save", type=Path, help="write each boxed crop here, boxes drawn")
    args = p.parse_args()
    listed = listed_crops()
    motos = motorcycle_crops()
    core = make_core()
    for model in args.model:
        det = PlateDetector(model, core, "CPU", input_size=args.size, confidence=args.conf, num_threads=2)
        boxed, wrong = 0, 0
        for name in motos:
            image = cv2.imread(str(DATASET / name))
            if image is None:
                raise SystemExit(f"{DATASET / name}: not a readable image")
            found = det.detect(image)
            if name in listed:
                boxed += bool(found)
            else:
                wrong += len(found)
            if found and args.save:
                for d in found:
                    b = d.box
                    cv2.rectangle(image, (int(b.x1), int(b.y1)), (int(b.x2), int(b.y2)), (0, 0, 255), 1)
                out = args.save / model.stem / Path(name).name
                out.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(out), image)
        print(
            f"{model.name}: listed crops with a box {boxed} of {len(listed)} ({boxed / len(listed):.1%}); "
            f"boxes on the {len(motos) - len(listed)} crops with no visible plate: {wrong}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
