"""Exact-read rates of an exported plate OCR model through the runtime reader.

    python3 -m training.eval_ocr --model models/plate-ocr/plate_ocr.xml
    python3 -m training.eval_ocr --engine ppocr     # the general OCR on the same crops

Sets: openalpr-eu ground-truth crops (validation only), the held-out 20 % of
openalpr-us-crops, the Indonesian validation plates (``id_val``, also after re-ranking
with the id pack). For openalpr-eu also: the labels corrected by
``docs/openalpr-eu-errata.csv`` (``eu_errata``) and, on those, the reads re-ranked by the
Slovak pack (``eu_errata_sk``). Prints one line per set and, with ``--json``, one JSON
object.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import openvino as ov

from alprd.domain.packs import load_pack
from alprd.ops.eval_metrics import char_accuracy, errata_fixes, load_errata
from alprd.vision.ocr import OcrEngine
from alprd.vision.ocr_plate import PlateOcr
from alprd.vision.rerank import rerank
from training import data

ERRATA = Path(__file__).resolve().parents[1] / "docs" / "openalpr-eu-errata.csv"


def corrected(crops: list[data.Crop]) -> list[data.Crop]:
    """The crops with the labels of the openalpr-eu errata corrected."""
    fixes = errata_fixes(load_errata(ERRATA))
    return [replace(c, text=fixes.get((c.name, c.text), c.text)) for c in crops]


def score(reads: list[str], crops: list[data.Crop]) -> dict[str, float]:
    exact = sum(r == c.text for r, c in zip(reads, crops))
    return {"n": len(crops), "exact": exact / max(len(crops), 1),
            "char_accuracy": sum(char_accuracy(r, c.text) for r, c in zip(reads, crops)) / max(len(crops), 1)}


def evaluate(reader: OcrEngine) -> dict[str, dict[str, float]]:
    sets = {"eu": data.eu_crops(), "us_holdout": data.us_crops(holdout=True), "id_val": data.id_crops(val=True)}
    out = {}
    for name, crops in sets.items():
        results = reader.read_batch([c.image for c in crops])
        out[name] = score([r.text for r in results], crops)
        if name == "eu":
            fixed = corrected(crops)
            out["eu_errata"] = score([r.text for r in results], fixed)
            out["eu_errata_sk"] = score([rerank(r, load_pack("sk")).text for r in results], fixed)
        if name == "id_val":
            pack = load_pack("id")
            out["id_val_reranked"] = score([rerank(r, pack).text for r in results], crops)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--engine", choices=("plate", "ppocr"), default="plate",
                    help="ppocr: the general PP-OCR engine on the same crops, for comparison")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--errors", action="store_true", help="print every wrong read")
    args = ap.parse_args(argv)
    if args.engine == "ppocr":
        from alprd.vision.ocr_ppocr import PpOcr

        reader = PpOcr(args.model, ov.Core(), "CPU")
    else:
        reader = PlateOcr(args.model, ov.Core(), "CPU")
    results = evaluate(reader)
    if args.json:
        print(json.dumps(results))
    for name, r in results.items():
        print(f"{name:18s} n={r['n']:4d} exact={r['exact'] * 100:5.1f}%  char={r['char_accuracy'] * 100:5.1f}%")
    if args.errors:
        for name, crops in (("eu", data.eu_crops()), ("us_holdout", data.us_crops(holdout=True))):
            for crop, res in zip(crops, reader.read_batch([c.image for c in crops])):
                if res.text != crop.text:
                    print(f"{name} {crop.name}: read {res.text} truth {crop.text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
