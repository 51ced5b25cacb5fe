#!/usr/bin/env python3
"""Fine-tune a YOLO plate detector on ../shared/datasets/openlpr-plates (training only).

Needs torch + ultralytics (never runtime dependencies of alprd):
    pip install torch==2.14.1 torchvision==0.29.1 ultralytics
The base weights are pyplatex 0.0.5's YOLOv8n plate model (MIT), put in place by
    alprd models fetch pyplatex-pt
Its boxes include the plate frame (65 % taller than openalpr's tight boxes), so it is
fine-tuned on openlpr-plates (Apache-2.0, tight boxes). The dataset is read by path:
a small folder of symlinks in --work keeps ultralytics' label cache out of ../shared.

    nice -n 10 python3 tools/train_plate_detector.py --epochs 10 --imgsz 512
then export: alprd models export RUN/weights/best.pt --imgsz 640 --out models/plate-detector/
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATASET = REPO.parent / "shared" / "datasets" / "openlpr-plates"
BASE = REPO / "models" / "cache" / "pyplatex" / "plate_detector_model_1.pt"
ACTIVATIONS = {"silu": "nn.SiLU()", "hardswish": "nn.Hardswish()", "relu": "nn.ReLU()"}


def dataset_yaml(work: Path, dataset: Path, extra: list[Path] | None = None) -> Path:
    """A data.yaml over symlinks to the shared images/labels; caches land in ``work``.
    ``extra``: more training folders in the same layout (``images/train``, ``labels/train``),
    e.g. the pasted photos of ``python3 -m training.plate_paste``."""
    root = work / "openlpr-plates"
    for kind in ("images", "labels"):
        (root / kind).mkdir(parents=True, exist_ok=True)
        for split in ("train", "val"):
            link = root / kind / split
            if not link.exists():
                link.symlink_to(dataset / kind / split, target_is_directory=True)
    data = work / "openlpr-plates.yaml"
    train = [str(root / "images" / "train"), *(str(e.resolve() / "images" / "train") for e in extra or [])]
    data.write_text(f"path: {root}\ntrain: {train}\nval: images/val\nnames: {{0: plate}}\n")
    return data


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", type=Path, default=BASE, help="starting weights (.pt)")
    p.add_argument("--dataset", type=Path, default=DATASET)
    p.add_argument("--work", type=Path, default=Path("/tmp/alprd-train"))
    p.add_argument("--extra", type=Path, action="append", default=[], help="more training photos (YOLO layout)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--imgsz", type=int, default=512)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--act",
        choices=sorted(ACTIVATIONS),
        default=None,
        help="replace the base model's activation (SiLU) before training, e.g. hardswish: "
        "OpenVINO runs SiLU's exp as a separate pass after every INT8/bf16 convolution, "
        "about half the detector's inference time (docs/benchmarks.md)",
    )
    args = p.parse_args()

    import torch
    from ultralytics import YOLO

    torch.set_num_threads(args.threads)
    os.environ.setdefault("YOLO_OFFLINE", "1")
    data = dataset_yaml(args.work, args.dataset, args.extra)
    model = YOLO(str(args.base))
    if args.act:
        # the trainer rebuilds the network from this yaml and loads the weights into it;
        # activations have no weights, so only the yaml says which one to build
        model.model.yaml["activation"] = ACTIVATIONS[args.act]
    model.train(
        data=str(data),
        epochs=args.epochs,
        imgsz=args.imgsz,
        batch=args.batch,
        device=args.device,
        workers=2,
        cache="ram",
        project=str(args.work / "runs"),
        name="plate",
        exist_ok=True,
        seed=args.seed,
        deterministic=True,
        close_mosaic=max(1, args.epochs // 4),
        warmup_epochs=1,
        patience=args.epochs,
        plots=False,
        amp=False,
        val=True,
    )
    print(f"best weights: {args.work / 'runs' / 'plate' / 'weights' / 'best.pt'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
