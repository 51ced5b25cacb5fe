"""Train the plate OCR on pre-rendered synthetic plates plus augmented real crops.

    python3 -m training.synth.generate --count 40000 --seed 1 --out /tmp/synth_1.npz
    nice -n 5 python3 -m training.train_ocr --synth /tmp/synth_1.npz --max-minutes 60 \
        --out /tmp/ocr_run

Real crops: the training parts of openalpr-us-crops and indonesia-plate-crops (see
``training/data.py`` for the fixed splits); openalpr-eu is only measured, never learnt.
The learning rate follows a cosine over the wall-clock budget, and a checkpoint is
written every few minutes and at the end (also on SIGTERM), so a stopped run still
leaves a usable model: ``<out>/last.pt``.
"""

from __future__ import annotations

import argparse
import math
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from training import data
from training.augment import augment, to_base
from training.ocr_model import BLANK_INDEX, INPUT_HW, MAX_TEXT, PlateOcrNet, decode, encode
from training.synth import make_sample
from training.synth.generate import V2_WEIGHTS


@dataclass
class TrainConfig:
    max_minutes: float = 60.0
    max_steps: int = 10**9
    batch: int = 128
    real_fraction: float = 0.4
    lr: float = 2e-3
    warmup_steps: int = 200
    seed: int = 0
    threads: int = 2
    checkpoint_every_s: float = 300.0
    out: Path | None = None


@dataclass
class Pool:
    """Images (uint8) and their encoded labels; real pools hold 256x128 base images."""

    images: np.ndarray
    labels: np.ndarray
    real: bool
    online_styles: tuple[str, ...] = ()  # when set: fresh synthetic plates every batch
    p: np.ndarray | None = None  # sampling probability of each image (None: uniform)


@dataclass
class TrainResult:
    steps: int = 0
    losses: list[float] = field(default_factory=list)


def make_pool(images: np.ndarray, texts, real: bool) -> Pool:
    labels = np.array([encode(t) for t in texts], np.int64).reshape(-1, MAX_TEXT)
    return Pool(images, labels, real)


def load_synth(paths: list[Path]) -> Pool:
    parts = [np.load(p) for p in paths]
    return make_pool(np.concatenate([p["images"] for p in parts]), np.concatenate([p["labels"] for p in parts]), False)


def real_pool(crops: list[data.Crop], balance_prefixes: float = 0.0) -> Pool:
    pool = make_pool(np.stack([to_base(c.image) for c in crops]), [c.text for c in crops], True)
    if balance_prefixes > 0:
        pool.p = prefix_balance([c.text for c in crops], balance_prefixes)
    return pool


def prefix_balance(texts: list[str], power: float) -> np.ndarray:
    """Sampling probabilities that weigh each text by 1 / (count of its leading letters) **
    power, so a set photographed in one region (Yogyakarta's AB) does not teach the
    network that plates start with that region's letters."""
    prefixes = [re.match(r"[A-Z]*", t).group() for t in texts]  # type: ignore[union-attr]
    counts = Counter(prefixes)
    w = np.array([counts[prefix] ** -power for prefix in prefixes])
    return w / w.sum()


def online_pool(styles: tuple[str, ...]) -> Pool:
    return Pool(np.empty((0,)), np.empty((0, MAX_TEXT), np.int64), False, styles)


def render_online(pool: Pool, n: int, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    samples = [make_sample(int(rng.integers(2**31)), pool.online_styles[int(rng.integers(len(pool.online_styles)))])
               for _ in range(n)]
    images = [cv2.resize(s.image, (INPUT_HW[1], INPUT_HW[0]), interpolation=cv2.INTER_AREA) for s in samples]
    return images, np.array([encode(s.text) for s in samples], np.int64).reshape(-1, MAX_TEXT)


def sample_batch(pools: list[Pool], weights: list[float], batch: int, rng: np.random.Generator):
    counts = rng.multinomial(batch, np.array(weights) / sum(weights))
    xs, ys = [], []
    for pool, n in zip(pools, counts):
        if pool.online_styles:
            images, labels = render_online(pool, n, rng)
            xs.extend(images)
            ys.append(labels)
            continue
        idx = rng.choice(len(pool.images), n, p=pool.p) if pool.p is not None else rng.integers(0, len(pool.images), n)
        for i in idx:
            xs.append(augment(pool.images[i], rng, INPUT_HW) if pool.real else pool.images[i])
        ys.append(pool.labels[idx])
    x = torch.from_numpy(np.stack(xs)[:, None].astype(np.float32))
    return x, torch.from_numpy(np.concatenate(ys))


def preprocess(bgr: np.ndarray) -> np.ndarray:
    """As the runtime does it: grey, resized straight to the input size."""
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY) if bgr.ndim == 3 else bgr
    return cv2.resize(grey, (INPUT_HW[1], INPUT_HW[0]), interpolation=cv2.INTER_AREA)


def ctc_loss(loss_fn: nn.CTCLoss, log_probs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """CTC loss of N x T x V log-probabilities against BLANK-padded label rows."""
    lengths = (labels != BLANK_INDEX).sum(dim=1)
    frames = torch.full((log_probs.shape[0],), log_probs.shape[1], dtype=torch.long)
    return loss_fn(log_probs.transpose(0, 1), labels, frames, lengths)


def lr_at(cfg: TrainConfig, step: int, progress: float) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    return cfg.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


@torch.no_grad()
def exact_rate(model: nn.Module, crops: list[data.Crop]) -> float:
    if not crops:
        return float("nan")
    model.eval()
    x = np.stack([preprocess(c.image) for c in crops])
    pred = model(torch.from_numpy(x[:, None].astype(np.float32))).argmax(-1).numpy()
    model.train()
    return float(np.mean([decode(p) == c.text for p, c in zip(pred, crops)]))


def save_checkpoint(model: nn.Module, out: Path, step: int, meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "last.pt.tmp"
    torch.save({"model": model.state_dict(), "step": step, "meta": meta}, tmp)
    tmp.replace(out / "last.pt")


def train(cfg: TrainConfig, pools: list[Pool], weights: list[float], model: PlateOcrNet | None = None,
          val: dict[str, list[data.Crop]] | None = None) -> tuple[PlateOcrNet, TrainResult]:
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = np.random.default_rng(cfg.seed)
    model = model or PlateOcrNet()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    loss_fn = nn.CTCLoss(blank=BLANK_INDEX, zero_infinity=True)
    result = TrainResult()
    start_s = last_ckpt_s = time.monotonic()
    stop = {"now": False}
    if cfg.out is not None:
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    model.train()
    while result.steps < cfg.max_steps and not stop["now"]:
        elapsed_s = time.monotonic() - start_s
        progress = max(elapsed_s / (cfg.max_minutes * 60), result.steps / cfg.max_steps)
        if progress >= 1.0:
            break
        for group in opt.param_groups:
            group["lr"] = lr_at(cfg, result.steps, progress)
        x, y = sample_batch(pools, weights, cfg.batch, rng)
        loss = ctc_loss(loss_fn, model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        result.losses.append(loss.item())
        result.steps += 1
        if result.steps % 50 == 0:
            print(f"step {result.steps} loss {np.mean(result.losses[-50:]):.4f} lr {opt.param_groups[0]['lr']:.5f} "
                  f"{elapsed_s / 60:.1f} min", flush=True)
        if cfg.out is not None and time.monotonic() - last_ckpt_s > cfg.checkpoint_every_s:
            report(model, val or {}, result.steps)
            save_checkpoint(model, cfg.out, result.steps, {"minutes": elapsed_s / 60})
            last_ckpt_s = time.monotonic()
    if cfg.out is not None:
        report(model, val or {}, result.steps)
        save_checkpoint(model, cfg.out, result.steps, {"minutes": (time.monotonic() - start_s) / 60})
    return model, result


def report(model: nn.Module, val: dict[str, list[data.Crop]], step: int) -> None:
    if not val:
        return
    rates = " ".join(f"{name}={exact_rate(model, crops):.3f}" for name, crops in val.items())
    print(f"val step {step} {rates}", flush=True)


def real_training_sets() -> list[list[data.Crop]]:
    """Every real training crop (the held-out sources excluded), one list per set."""
    return [
        data.us_crops(holdout=False),
        data.id_crops(val=False),
        data.grouped_crops("indonesia-plates-extra", held_out=False),
        data.grouped_crops("vietnam-eu-plate-crops", held_out=False),
    ]


def real_training_crops() -> list[data.Crop]:
    return [c for crops in real_training_sets() for c in crops]


def real_pools(balance_prefixes: float = 0.0) -> tuple[list[Pool], list[float]]:
    """A pool per real training set, and each pool's share of the real part of a batch."""
    return [real_pool(crops, balance_prefixes) for crops in real_training_sets()], [0.3, 0.3, 0.25, 0.15]


HELD_OUT_REPORT = {  # validation line name: (dataset, its held-out groups)
    "idx_street": ("indonesia-plates-extra", {"exchioz-street"}),
    "idx_moto": ("indonesia-plates-extra", {"motoplat-manual", "motoplat-camcrop"}),
    "vn_val": ("vietnam-eu-plate-crops", {"VN-ndata", "VN-CarLongPlate"}),
    "cz_iwt": ("vietnam-eu-plate-crops", {"EU-iwt"}),
}


def extra_training_crops(specs: list[str]) -> list[data.Crop]:
    """The held-out groups named ``DATASET:GROUP`` (a by-source fold trains on them)."""
    crops: list[data.Crop] = []
    for spec in specs:
        dataset, _, group = spec.partition(":")
        if group not in data.HELD_OUT_GROUPS.get(dataset, {}):
            raise SystemExit(f"--train-groups: {spec!r} is not a held-out group (training/data.py)")
        crops.extend(data.grouped_crops(dataset, True, {group}))
    return crops


def validation_sets(exclude: set[str] = frozenset()) -> dict[str, list[data.Crop]]:
    """Crops no model trains on, by source (see training/data.py); ``exclude`` names
    ``DATASET:GROUP`` sources a fold trains on, whose crops leave the report."""
    sets = {"eu": data.eu_crops(), "us_holdout": data.us_crops(holdout=True), "id_val": data.id_crops(val=True),
            "openlpr_val": data.openlpr_crops("val")}
    for name, (dataset, groups) in HELD_OUT_REPORT.items():
        kept = {g for g in groups if f"{dataset}:{g}" not in exclude}
        if kept:
            sets[name] = data.grouped_crops(dataset, True, kept)
    return sets


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--synth", type=Path, nargs="+", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--max-minutes", type=float, default=60.0)
    ap.add_argument("--max-steps", type=int, default=10**9)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup-steps", type=int, default=100)
    ap.add_argument("--init", type=Path, help="start from this checkpoint (fine-tuning)")
    ap.add_argument("--init-onnx", type=Path, help="start a two-row model from a one-row model's ONNX file")
    ap.add_argument("--online-fraction", type=float, default=0.15,
                    help="share of each batch rendered fresh by the generator")
    ap.add_argument("--real-fraction", type=float, default=0.4, help="share of each batch from real crops")
    ap.add_argument("--boost-letters", default="",
                    help="letters the model misreads though real crops show them (e.g. Q, read as O): the real "
                         "training crops whose text has one form a pool of their own ...")
    ap.add_argument("--boost-fraction", type=float, default=0.0, help="... with this share of each batch")
    ap.add_argument("--train-groups", nargs="*", default=[], metavar="DATASET:GROUP",
                    help="held-out sources to train on (a by-source fold): they leave the validation report "
                         "and form one more real pool")
    ap.add_argument("--train-groups-share", type=float, default=0.2,
                    help="that pool's share of the real part of a batch")
    ap.add_argument("--openlpr-share", type=float, default=0.0,
                    help="train on openlpr-plates' train photos' plates (many countries, text read by the project): "
                         "one more real pool with this share of the real part of a batch (0: off)")
    ap.add_argument("--balance-prefixes", type=float, default=0.0, metavar="POWER",
                    help="sample each real crop by 1 / (crops with its leading letters) ** POWER (0: uniform)")
    ap.add_argument("--online-styles", default=",".join(V2_WEIGHTS),
                    help="styles rendered fresh (comma-separated; default: the v2 mix's)")
    args = ap.parse_args(argv)
    cfg = TrainConfig(max_minutes=args.max_minutes, max_steps=args.max_steps, batch=args.batch, lr=args.lr,
                      seed=args.seed, out=args.out, threads=args.threads, warmup_steps=args.warmup_steps,
                      real_fraction=args.real_fraction)
    synth = load_synth(args.synth)
    reals, shares = real_pools(args.balance_prefixes)
    extra = extra_training_crops(args.train_groups)
    if extra:
        reals.append(real_pool(extra, args.balance_prefixes))
        shares = [*shares, args.train_groups_share]
    if args.openlpr_share > 0:
        reals.append(real_pool(data.openlpr_crops("train"), args.balance_prefixes))
        shares = [*shares, args.openlpr_share]
    print(f"synthetic {len(synth.images)}, real " + ", ".join(str(len(p.images)) for p in reals), flush=True)
    model = PlateOcrNet()
    if args.init:
        model.load_state_dict(torch.load(args.init, weights_only=True)["model"])
    elif args.init_onnx:
        from training.warm_start import from_onnx

        calibration = np.stack([preprocess(c.image) for c in data.us_crops(holdout=False)[:256]])
        model = from_onnx(args.init_onnx, torch.from_numpy(calibration[:, None].astype(np.float32)))
    r, o, b = cfg.real_fraction, args.online_fraction, args.boost_fraction
    pools = [synth, *reals, online_pool(tuple(args.online_styles.split(",")))]
    weights = [1 - r - o - b, *(r * s for s in shares), o]
    if args.boost_letters and b > 0:
        boosted = [c for c in real_training_crops() if set(c.text) & set(args.boost_letters)]
        print(f"boost pool: {len(boosted)} real crops with {args.boost_letters}", flush=True)
        pools.append(real_pool(boosted))
        weights.append(b)
    val = validation_sets(exclude=set(args.train_groups))
    train(cfg, pools, weights, model, val)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
