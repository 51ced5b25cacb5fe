#!/usr/bin/env python3
"""Sweep the pack re-ranking's swap cost (``SWAP_CONFIDENCE_SCALE``) over the rows of
bench/accuracy.py, with the default reader (plate engine + ppocr second opinion).

    nice -n 5 python3 bench/rerank_sweep.py --scales 0 0.1 0.2 0.5 1.0

Prints the exact-read rate of every row at every scale; the rows without a pack are
skipped (no re-ranking there).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import accuracy  # noqa: E402

from alprd.log import configure_logging  # noqa: E402
from alprd.ops import evaluate as ev  # noqa: E402
from alprd.vision import rerank  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scales", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.5, 1.0])
    args = p.parse_args()
    configure_logging("auto", logging.WARNING)
    parser = argparse.ArgumentParser()
    ev.add_parser(parser.add_subparsers())
    pipelines = {}
    for name, _, dataset, extra in accuracy.ROWS:
        if "no pack" in name:
            continue
        eval_args = parser.parse_args(["eval", str(accuracy.DATA / dataset), "--threads", "1", *extra])
        samples, _ = ev.load_samples(eval_args)
        key = tuple(eval_args.pack)
        if key not in pipelines:
            pipelines[key] = ev._pipeline(ev._config(eval_args), eval_args)
        for scale in args.scales:
            rerank.SWAP_CONFIDENCE_SCALE = scale
            rep = ev.evaluate(pipelines[key], samples, progress=False)
            print(f"{name[:48]:48s} scale {scale:<5} exact {rep['exact_read_rate']:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
