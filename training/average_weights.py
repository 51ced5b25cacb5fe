"""Average two checkpoints of the same network, weight by weight (WiSE-FT).

    python3 -m training.average_weights BASE.pt TUNED.pt --weight 0.5 --out AVG.pt

A fine-tune on new sources gains on cameras like them and drifts on what the base
already read well; the average of the base and the fine-tune keeps most of both
(Wortsman et al., "Robust fine-tuning of zero-shot models", 2022). Float tensors
(weights, BatchNorm statistics) are interpolated, counters taken from ``TUNED``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch


def average(base: dict[str, torch.Tensor], tuned: dict[str, torch.Tensor], weight: float) -> dict[str, torch.Tensor]:
    """``(1 - weight) * base + weight * tuned`` for every float tensor; others from ``tuned``."""
    if base.keys() != tuned.keys() or any(base[k].shape != v.shape for k, v in tuned.items()):
        raise ValueError("the checkpoints are of different networks")
    return {k: (1 - weight) * base[k] + weight * v if v.is_floating_point() else v.clone() for k, v in tuned.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", type=Path)
    ap.add_argument("tuned", type=Path)
    ap.add_argument("--weight", type=float, default=0.5, help="share of TUNED (0: BASE, 1: TUNED)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    base = torch.load(args.base, weights_only=True)
    tuned = torch.load(args.tuned, weights_only=True)
    state = average(base["model"], tuned["model"], args.weight)
    meta = {"averaged": [str(args.base), str(args.tuned)], "weight": args.weight}
    torch.save({"model": state, "step": tuned.get("step", 0), "meta": meta}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
