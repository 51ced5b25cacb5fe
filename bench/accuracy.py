"""The accuracy table of docs/accuracy.md: every real set x engine x pack, one run.

    nice -n 5 python3 bench/accuracy.py [--ocr-model X.xml] [--out /tmp/accuracy.json]

Each row is one ``alprd eval`` run (printed above the table, so every number has its
command): end to end on photos, crop reads on crop sets, on the part of a set
kept out of training (see ``training/data.py``; since OCR v3 the two Indonesian street and
motorcycle sources are trained on, and their unseen numbers come from by-source folds), with three
readers: the ``plate`` engine alone, ``plate`` with the ``ppocr`` second opinion (the
default), the same reading each crop as it is only (``--views 1``, no tighter and looser
copies voted), and ``ppocr`` alone. ms are per image (photo or crop), on whatever load the
machine has: compare columns of one run, not runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "datasets"
SPLITS = REPO / "training" / "splits"

# (row name, what the model saw of its source, dataset folder, extra eval arguments)
ROWS: list[tuple[str, str, str, list[str]]] = [
    (
        "openalpr-eu, photos end to end, sk pack + errata",
        "never trained on",
        "openalpr-eu",
        ["--pack", "sk", "--errata", str(REPO / "docs" / "openalpr-eu-errata.csv")],
    ),
    ("openalpr-eu, photos end to end, no pack", "never trained on", "openalpr-eu", ["--pack", "none"]),
    (
        "openalpr-us-crops held-out 20 %",
        "same source, other files",
        "openalpr-us-crops",
        ["--files", str(SPLITS / "us_holdout.txt"), "--pack", "us"],
    ),
    (
        "indonesia-plate-crops val",
        "same source, other plates",
        "indonesia-plate-crops",
        ["--files", str(SPLITS / "id_val.txt"), "--pack", "id"],
    ),
    (
        "ID street cameras (exchioz-street)",
        "trained on since v3 (fold estimate: docs/accuracy.md)",
        "indonesia-plates-extra",
        ["--groups", "exchioz-street", "--pack", "id"],
    ),
    (
        "ID motorcycles (motoplat-manual, -camcrop)",
        "trained on since v3 (fold estimate: docs/accuracy.md)",
        "indonesia-plates-extra",
        ["--groups", "motoplat-manual,motoplat-camcrop", "--pack", "id"],
    ),
    (
        "VN mostly two-row (VN-ndata, VN-CarLongPlate)",
        "source never trained on",
        "vietnam-eu-plate-crops",
        ["--groups", "VN-ndata,VN-CarLongPlate", "--pack", "vn"],
    ),
    (
        "openlpr-plates val, photos end to end, no pack (many countries, text read by the project)",
        "same source, other photos (OCR v4; v3 never trained on it)",
        "openlpr-plates",
        ["--texts", str(REPO / "training" / "labels" / "openlpr-plates-text.csv"), "--groups", "val", "--pack", "none"],
    ),
    (
        "vehicle-types non-Indonesian cars, small plates, the detector's boxes, no pack (text read by the project)",
        "never trained on (OCR, detector)",
        "vehicle-types",
        ["--texts", str(REPO / "training" / "labels" / "vehicle-types-plate-texts.csv"), "--pack", "none"],
    ),
    (
        "Czech plates (EU-iwt)",
        "source never trained on",
        "vietnam-eu-plate-crops",
        ["--groups", "EU-iwt", "--pack", "eu"],
    ),
]
READERS = {
    "plate": ["--ocr", "plate", "--second-opinion", "none"],
    "plate + ppocr 2nd": ["--ocr", "plate", "--second-opinion", "ppocr"],
    "same, 1 view": ["--ocr", "plate", "--second-opinion", "ppocr", "--views", "1"],
    "ppocr": ["--ocr", "ppocr", "--second-opinion", "none"],
}


def run(dataset: str, extra: list[str], reader: list[str], ocr_model: Path | None) -> dict:
    cmd = [sys.executable, "-m", "alprd", "eval", str(DATA / dataset), "--json", "--threads", "1", *extra, *reader]
    if ocr_model is not None and "plate" in reader:
        cmd += ["--ocr-model", str(ocr_model)]
    print("$", " ".join(c.replace(str(REPO.parent), "..") for c in cmd[1:]), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ocr-model", type=Path, help="plate OCR model (default: the committed one)")
    ap.add_argument("--out", type=Path, help="also write every report as JSON here")
    ap.add_argument("--rows", help="only rows whose name contains this text")
    args = ap.parse_args(argv)
    results: dict[str, dict[str, dict]] = {}
    lines = [
        "| set | model saw its source? | n | "
        + " | ".join(READERS)
        + " | ms per image ("
        + " / ".join(READERS)
        + ") |",
        "|---|---|---|" + "---|" * (len(READERS) + 1),
    ]
    for name, seen, dataset, extra in ROWS:
        if args.rows and args.rows not in name:
            continue
        reps = {reader: run(dataset, extra, flags, args.ocr_model) for reader, flags in READERS.items()}
        results[name] = reps
        first = next(iter(reps.values()))
        rates = " | ".join(f"{100 * r['exact_read_rate']:.1f} %" for r in reps.values())
        ms = " / ".join(f"{r['ms_per_image']:.1f}" for r in reps.values())
        recall = first.get("detection_recall")
        n = f"{first['plates']}" + (f" (det. recall {100 * recall:.1f} %)" if recall is not None else "")
        lines.append(f"| {name} | {seen} | {n} | {rates} | {ms} |")
        print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
