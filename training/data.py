"""Real labelled crops for training and validation, and the fixed held-out splits.

- openalpr-us-crops: a fixed 20 % of files is held out (``splits/us_holdout.txt``),
  chosen by a hash of the file name; never used in training.
- indonesia-plate-crops: split by plate TEXT (same vehicle photographed twice stays on
  one side); validation files in ``splits/id_val.txt``.
- openalpr-eu: validation only, the labelled box cropped out of each photo.
- indonesia-plates-extra and vietnam-eu-plate-crops: split by SOURCE (camera /
  photographer group, ``meta.csv``'s ``group``), never by file: the groups in
  ``HELD_OUT_GROUPS`` are validation only, so their numbers say how a model reads plates
  from cameras it never saw; a by-source fold (``train_ocr --train-groups``) trains on
  some of them and is scored on the rest, and OCR v3 trains on the Indonesian ones.
- openlpr-plates (the plate detector's photos, many countries): the set has boxes and no
  text; the project read the text of every box by eye (``labels/openlpr-plates-text.csv``,
  empty where a box is unreadable or not in Latin letters). Its ``train`` split can be
  trained on (``train_ocr --openlpr-share``); its ``val`` split (other photos, sometimes
  of the same car) stays out of training.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from alprd.ops.eval_metrics import read_box_texts

REPO_ROOT = Path(__file__).resolve().parent.parent
DATASETS = REPO_ROOT.parent / "shared" / "datasets"
SPLITS = Path(__file__).resolve().parent / "splits"
OPENLPR_TEXTS = Path(__file__).resolve().parent / "labels" / "openlpr-plates-text.csv"


@dataclass(frozen=True)
class Crop:
    name: str
    image: np.ndarray  # BGR uint8
    text: str


def _bucket(key: str, buckets: int) -> int:
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % buckets


def us_rows(root: Path = DATASETS / "openalpr-us-crops") -> list[tuple[str, str]]:
    with open(root / "groundtruth.csv", newline="") as f:  # file,state,PLATETEXT; no header
        return sorted((r[0], r[2].upper()) for r in csv.reader(f) if len(r) == 3 and r[0] != "file")


def id_rows(root: Path = DATASETS / "indonesia-plate-crops") -> list[tuple[str, str]]:
    with open(root / "labels.csv", newline="") as f:
        return sorted((r["file"], r["plate"]) for r in csv.DictReader(f))


def is_us_holdout(name: str) -> bool:
    return _bucket(name, 5) == 0  # a fixed 20 % by file name


def is_id_val(text: str) -> bool:
    return _bucket(text, 5) == 0  # a fixed 20 % by plate text


def write_splits() -> None:
    SPLITS.mkdir(exist_ok=True)
    us = [n for n, _ in us_rows() if is_us_holdout(n)]
    idv = [n for n, t in id_rows() if is_id_val(t)]
    (SPLITS / "us_holdout.txt").write_text("\n".join(us) + "\n")
    (SPLITS / "id_val.txt").write_text("\n".join(idv) + "\n")


def read_split(name: str) -> set[str]:
    return set((SPLITS / name).read_text().split())


def load_crops(root: Path, rows: list[tuple[str, str]]) -> list[Crop]:
    crops = []
    for name, text in rows:
        image = cv2.imread(str(root / name), cv2.IMREAD_COLOR)
        if image is not None:
            crops.append(Crop(name, image, text))
    return crops


# Validation-only sources of the two source-labelled sets (chosen before any model was
# trained on them; see models/plate-ocr/README.md "Validation protocol").
HELD_OUT_GROUPS = {
    "indonesia-plates-extra": {
        "exchioz-street": "ID street cameras (cars and motorcycles, small crops)",
        "motoplat-manual": "ID motorcycles, Lombok parking and Medan street video",
        "motoplat-camcrop": "ID motorcycles, Medan street camera",
    },
    "vietnam-eu-plate-crops": {
        "VN-ndata": "VN varied photos, mostly two-row",
        "VN-CarLongPlate": "VN one-row car plates",
        "EU-iwt": "Czech plates",
    },
}


def grouped_rows(dataset: str, root: Path = DATASETS) -> list[tuple[str, str, str, str]]:
    """(file, plate, group, vehicle) of a set with ``labels.csv`` and ``meta.csv``."""
    with open(root / dataset / "labels.csv", newline="") as f:
        plates = {r["file"]: r["plate"] for r in csv.DictReader(f)}
    with open(root / dataset / "meta.csv", newline="") as f:
        return sorted((r["file"], plates[r["file"]], r["group"], r["vehicle"]) for r in csv.DictReader(f)
                      if r["file"] in plates)


def grouped_crops(dataset: str, held_out: bool, groups: set[str] | None = None,
                  vehicle: str | None = None) -> list[Crop]:
    """The training (``held_out=False``) or validation part of a source-labelled set,
    optionally only some groups or one vehicle kind."""
    held = set(HELD_OUT_GROUPS[dataset])
    rows = [(f, p) for f, p, g, v in grouped_rows(dataset)
            if (g in held) == held_out and (groups is None or g in groups) and (vehicle is None or v == vehicle)]
    return load_crops(DATASETS / dataset, rows)


def us_crops(holdout: bool) -> list[Crop]:
    held = read_split("us_holdout.txt")
    rows = [(n, t) for n, t in us_rows() if (n in held) == holdout]
    return load_crops(DATASETS / "openalpr-us-crops", rows)


def id_crops(val: bool) -> list[Crop]:
    held = read_split("id_val.txt")
    rows = [(n, t) for n, t in id_rows() if (n in held) == val]
    return load_crops(DATASETS / "indonesia-plate-crops", rows)


def eu_crops(root: Path = DATASETS / "openalpr-eu") -> list[Crop]:
    """The ground-truth plate box of each labelled photo (validation only)."""
    crops = []
    for txt in sorted(root.glob("*.txt")):
        for line in txt.read_text().splitlines():
            parts = line.split()
            if len(parts) < 6:
                continue
            image = cv2.imread(str(root / parts[0]), cv2.IMREAD_COLOR)
            x, y, w, h = (int(float(v)) for v in parts[1:5])
            if image is None or w <= 0 or h <= 0:
                continue
            crops.append(Crop(txt.stem, image[max(y, 0): y + h, max(x, 0): x + w], parts[5].upper()))
            break  # the first line names the main plate
    return crops


def openlpr_crops(split: str, root: Path = DATASETS / "openlpr-plates", texts: Path = OPENLPR_TEXTS) -> list[Crop]:
    """The plates with a text of openlpr-plates' ``train`` or ``val`` photos, cut out
    (named ``image#box``)."""
    crops = []
    for image_path, plates in read_box_texts(texts).items():
        if Path(image_path).parent.name != split or not any(p.text for p in plates):
            continue
        image = cv2.imread(str(root / image_path), cv2.IMREAD_COLOR)
        for k, plate in enumerate(plates):
            x1, y1, x2, y2 = (int(v) for v in (plate.box.x1, plate.box.y1, plate.box.x2, plate.box.y2))
            if image is not None and plate.text and x2 > x1 and y2 > y1:
                crops.append(Crop(f"{image_path}#{k}", image[y1:y2, x1:x2], plate.text))
    return crops


if __name__ == "__main__":
    write_splits()
