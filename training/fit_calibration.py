"""Fit each OCR engine's confidence -> P(exact read) map for the second opinion.

    python3 -m training.fit_calibration --out models/plate-ocr/calibration.json

Fitted on the Indonesian validation plates (``id_val``: held-out plate texts of a source
the model trained on), never on the sets of unseen sources that docs/accuracy.md reports,
so those stay blind to this choice. Also prints, for a few thresholds ``below``, how
many crops would get a second read and the exact rate of the combined reads on the same
plates (the default threshold was chosen from this printout).
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import openvino as ov

from alprd.domain.packs import load_pack
from alprd.vision.ocr_plate import PlateOcr
from alprd.vision.ocr_ppocr import PpOcr
from alprd.vision.rerank import rerank
from alprd.vision.second_opinion import SecondOpinion, choose, fit_calibration
from training import data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=None, help="plate OCR model (default: the committed one)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    crops = data.id_crops(val=True)
    pack = load_pack("id")
    core = ov.Core()
    engines = {"plate": PlateOcr(args.model, core, "CPU"), "ppocr": PpOcr(None, core, "CPU")}
    reads = {name: [rerank(r, pack) for r in e.read_batch([c.image for c in crops])] for name, e in engines.items()}
    calibrations = {}
    for name, rs in reads.items():
        calibrations[name] = fit_calibration([r.confidence for r in rs], [r.text == c.text for r, c in zip(rs, crops)])
        exact = sum(r.text == c.text for r, c in zip(rs, crops)) / len(crops)
        print(f"{name}: exact {exact:.3f}, calibration a={calibrations[name].a} b={calibrations[name].b}")
    for below in (0.5, 0.7, 0.8, 0.9, 0.95, 0.98):
        opinion = SecondOpinion(engines["ppocr"], below=below)  # the runtime's rule for "unsure"
        combined, asked = [], 0
        for first, second in zip(reads["plate"], reads["ppocr"]):
            if opinion.unsure(first, pack.matches_format):
                asked += 1
                combined.append(choose(first, second, pack.matches_format, calibrations))
            else:
                combined.append(first)
        exact = sum(r.text == c.text for r, c in zip(combined, crops)) / len(crops)
        print(f"below {below}: second reads {asked}/{len(crops)}, combined exact {exact:.3f}")
    args.out.write_text(json.dumps({
        "fitted_on": f"indonesia-plate-crops id_val ({len(crops)} crops), id pack",
        "command": "python3 -m training.fit_calibration --out models/plate-ocr/calibration.json",
        "date": date.today().isoformat(),
        "engines": {k: {"a": v.a, "b": v.b} for k, v in calibrations.items()},
    }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
