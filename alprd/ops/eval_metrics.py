"""Labelled folders and the accuracy measures of ``alprd eval``: pure functions.

Two folder layouts:
* openalpr benchmark (``openalpr-eu``): ``name.jpg`` + ``name.txt`` holding one line per
  plate, ``image<TAB>x<TAB>y<TAB>w<TAB>h<TAB>TEXT`` (pixels, top-left origin);
* crops with a CSV (``openalpr-us-crops/groundtruth.csv``: ``file,state,TEXT``;
  ``indonesia-plate-crops/labels.csv``: ``file,plate`` with a header): the first
  column names the crop, the last holds the text. OCR-only.
* photos with a separate text CSV (``--texts``: ``image,box,x,y,w,h,plate``, the image
  path relative to the folder, e.g. ``images/val/1065.jpg`` of openlpr-plates, whose own
  labels are boxes only): end to end; the group of a photo is its split folder.

Third-party labels hold mistakes; an errata CSV (``file,label,corrected,reason``)
replaces a label only where file and label both match, so a fixed or re-labelled
dataset is never silently changed (``apply_errata``).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from alprd.domain.messages import Box
from alprd.domain.text import edit_distance
from alprd.errors import BadInputError
from alprd.vision.ocr import normalise_text

IOU_MATCH = 0.5
CSV_NAMES = ("groundtruth.csv", "labels.csv")


@dataclass(frozen=True, slots=True)
class LabelledPlate:
    box: Box | None  # None for a crop (the whole file is the plate)
    text: str


@dataclass(frozen=True, slots=True)
class Sample:
    path: Path
    plates: tuple[LabelledPlate, ...]
    group: str = ""  # the source (camera / photographer group) from the set's meta.csv, if any


def parse_openalpr_line(line: str) -> tuple[str, LabelledPlate]:
    """``image x y w h TEXT`` (tabs, or any whitespace) -> (image name, plate)."""
    parts = line.strip().split("\t") if "\t" in line else line.split()
    if len(parts) < 6:
        raise BadInputError(f"expected 'image x y w h TEXT', got {line!r}")
    name, (x, y, w, h), text = parts[0], (float(v) for v in parts[1:5]), parts[5]
    return name, LabelledPlate(Box(x, y, x + w, y + h), normalise_text(text))


def load_openalpr(folder: Path) -> list[Sample]:
    samples = []
    for txt in sorted(folder.glob("*.txt")):
        lines = [ln for ln in txt.read_text(encoding="utf-8").splitlines() if ln.strip()]
        if not lines:
            continue
        parsed = [parse_openalpr_line(ln) for ln in lines]
        image = folder / parsed[0][0]
        if not image.is_file():
            raise BadInputError(f"{txt}: image {image.name} not found")
        samples.append(Sample(image, tuple(p for _, p in parsed)))
    return samples


def load_crops_csv(csv_path: Path) -> list[Sample]:
    """Crops and their text: the first column is the file; the text is the column a
    header names ``plate`` (``file,plate,source``), else the last (``file,state,PLATE``)."""
    folder = csv_path.parent
    with csv_path.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r and r[0].strip()]
    column = -1
    if rows and not (folder / rows[0][0]).is_file() and rows[0][0].lower() in ("file", "filename", "image"):
        header = [h.strip().lower() for h in rows[0]]
        column = header.index("plate") if "plate" in header else -1
        rows = rows[1:]
    groups = load_groups(folder / "meta.csv")
    return [
        Sample(folder / r[0], (LabelledPlate(None, normalise_text(r[column])),), groups.get(r[0], "")) for r in rows
    ]


def read_box_texts(texts_csv: Path) -> dict[str, list[LabelledPlate]]:
    """``image,box,x,y,w,h,plate`` rows -> each image's plates in box order (text "" where
    the plate was not read)."""
    with texts_csv.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_image: dict[str, list[LabelledPlate]] = {}
    try:
        for r in rows:
            x, y, w, h = (float(r[k]) for k in ("x", "y", "w", "h"))
            plate = LabelledPlate(Box(x, y, x + w, y + h), normalise_text(r["plate"]))
            by_image.setdefault(r["image"], []).append(plate)
    except (KeyError, ValueError) as e:
        raise BadInputError(f"{texts_csv}: expected the columns image,box,x,y,w,h,plate ({e})") from e
    return by_image


def load_box_texts(folder: Path, texts_csv: Path) -> list[Sample]:
    """Photos of ``folder`` whose every box in ``texts_csv`` has a text (a photo with an
    unreadable or non-Latin plate is left out whole: its plate would count as a false
    detection). Group: the folder the image lies in (``images/val/x.jpg`` -> ``val``)."""
    samples = [
        Sample(folder / image, tuple(plates), Path(image).parent.name)
        for image, plates in sorted(read_box_texts(texts_csv).items())
        if all(p.text for p in plates)
    ]
    missing = [s.path for s in samples if not s.path.is_file()]
    if missing:
        raise BadInputError(f"{texts_csv}: {len(missing)} images not found under {folder}, e.g. {missing[0]}")
    return samples


def load_groups(meta_csv: Path) -> dict[str, str]:
    """file -> source group of a set's ``meta.csv`` (``file,group,...``); empty without one."""
    if not meta_csv.is_file():
        return {}
    with meta_csv.open(newline="", encoding="utf-8") as f:
        return {r["file"]: r.get("group", "") for r in csv.DictReader(f) if r.get("file")}


def select(samples: Sequence[Sample], groups: Sequence[str] = (), files: Path | None = None) -> list[Sample]:
    """The samples of the given source groups and/or listed in ``files`` (one name a line):
    how a held-out part of a set is measured on its own."""
    names = set(files.read_text(encoding="utf-8").split()) if files is not None else None
    return [s for s in samples if (not groups or s.group in groups) and (names is None or s.path.name in names)]


def load_folder(folder: Path) -> list[Sample]:
    """The samples of a labelled folder, either layout; BadInputError when neither."""
    if not folder.is_dir():
        raise BadInputError(f"{folder}: not a folder")
    if any(folder.glob("*.txt")):
        return load_openalpr(folder)
    for name in CSV_NAMES:
        if (folder / name).is_file():
            return load_crops_csv(folder / name)
    csvs = sorted(folder.glob("*.csv"))
    if csvs:
        return load_crops_csv(csvs[0])
    raise BadInputError(f"{folder}: no openalpr .txt labels and no CSV of crops")


def char_accuracy(predicted: str, truth: str) -> float:
    """1 - edit distance / the longer length (1.0 for two empty strings)."""
    longest = max(len(predicted), len(truth))
    return 1.0 if longest == 0 else 1.0 - edit_distance(predicted, truth) / longest


def match_boxes(truth: Sequence[Box], found: Sequence[Box], min_iou: float = IOU_MATCH) -> dict[int, int]:
    """Greedy one-to-one matching by IoU: {truth index: found index} for pairs >= ``min_iou``."""
    pairs = sorted(
        ((t.iou(f), i, j) for i, t in enumerate(truth) for j, f in enumerate(found)),
        reverse=True,
    )
    matched: dict[int, int] = {}
    used: set[int] = set()
    for iou, i, j in pairs:
        if iou < min_iou:
            break
        if i not in matched and j not in used:
            matched[i] = j
            used.add(j)
    return matched


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts summed over a run; ratios as properties."""

    plates: int = 0  # labelled plates
    found: int = 0  # plate detections
    matched: int = 0  # detections matching a labelled plate
    exact: int = 0  # labelled plates read exactly
    char_sum: float = 0.0  # sum of char_accuracy over labelled plates

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.plates + other.plates,
            self.found + other.found,
            self.matched + other.matched,
            self.exact + other.exact,
            self.char_sum + other.char_sum,
        )

    def astuple(self) -> tuple[int, int, int, int, float]:
        return (self.plates, self.found, self.matched, self.exact, self.char_sum)

    @property
    def recall(self) -> float:
        return self.matched / self.plates if self.plates else 0.0

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 0.0

    @property
    def exact_rate(self) -> float:
        return self.exact / self.plates if self.plates else 0.0

    @property
    def char_accuracy(self) -> float:
        return self.char_sum / self.plates if self.plates else 0.0


def tally_image(truth: Sequence[LabelledPlate], found: Sequence[Box], texts: Sequence[str]) -> Tally:
    """One image: ``found[k]`` was read as ``texts[k]`` ("" when its read was dropped).

    Detection counts IoU >= 0.5 matches only; reads use ``read_association``.
    """
    boxes = [p.box for p in truth if p.box is not None]
    matched = match_boxes(boxes, found)
    readers = read_association(boxes, found, matched)
    exact, char_sum = 0, 0.0
    for i, plate in enumerate(truth):
        read = texts[readers[i]] if i in readers else ""
        exact += read == plate.text
        char_sum += char_accuracy(read, plate.text)
    return Tally(len(truth), len(found), len(matched), exact, char_sum)


def read_association(truth: Sequence[Box], found: Sequence[Box], matched: dict[int, int]) -> dict[int, int]:
    """Which detection's read counts for each labelled plate: its IoU match, else an
    unmatched detection holding the label's centre (a looser box still reads the plate)."""
    readers = dict(matched)
    used = set(matched.values())
    for i, box in enumerate(truth):
        if i in readers:
            continue
        holding = [j for j, f in enumerate(found) if j not in used and f.contains_point(*box.center)]
        if holding:
            j = max(holding, key=lambda k: found[k].iou(box))
            readers[i] = j
            used.add(j)
    return readers


def tally_reads(truth: Sequence[str], reads: Sequence[str]) -> Tally:
    """OCR only (crops): one read per labelled text."""
    return Tally(
        plates=len(truth),
        found=len(reads),
        matched=len(reads),
        exact=sum(r == t for r, t in zip(reads, truth)),
        char_sum=sum(char_accuracy(r, t) for r, t in zip(reads, truth)),
    )


@dataclass(frozen=True, slots=True)
class Erratum:
    file: str  # image or crop file name
    label: str  # the dataset's text
    corrected: str  # what the plate shows
    reason: str


def load_errata(csv_path: Path) -> list[Erratum]:
    """An errata CSV with the header ``file,label,corrected,reason``."""
    with csv_path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    try:
        return [
            Erratum(r["file"], normalise_text(r["label"]), normalise_text(r["corrected"]), r["reason"]) for r in rows
        ]
    except KeyError as e:
        raise BadInputError(f"{csv_path}: errata need the columns file,label,corrected,reason (missing {e})") from e


def errata_fixes(errata: Sequence[Erratum]) -> dict[tuple[str, str], str]:
    """(file stem, dataset label) -> corrected label."""
    return {(Path(e.file).stem, e.label): e.corrected for e in errata}


def apply_errata(samples: Sequence[Sample], errata: Sequence[Erratum]) -> tuple[list[Sample], int]:
    """The samples with each erratum's label corrected where file and label both match,
    and how many labels changed."""
    fixes = errata_fixes(errata)
    changed = 0
    out = []
    for sample in samples:
        plates = []
        for plate in sample.plates:
            corrected = fixes.get((sample.path.stem, plate.text))
            if corrected is not None and corrected != plate.text:
                plate = replace(plate, text=corrected)
                changed += 1
            plates.append(plate)
        out.append(replace(sample, plates=tuple(plates)))
    return out, changed
