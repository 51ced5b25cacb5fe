"""``alprd eval DIR``: detection and reading accuracy, and latency, on a labelled folder.

An openalpr benchmark folder (``image x y w h TEXT`` per .txt) is run end to end
through the pipeline: plate detection recall/precision at IoU 0.5, exact plate reads,
character accuracy (1 - normalised edit distance) and per-stage latency. ``--gt-crops``
also reads the labelled boxes (OCR alone). A folder of crops with a CSV is read by the
OCR alone. A progress bar goes to stderr; ``--json`` prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
from tqdm import tqdm

from alprd.config import DEFAULT_CONFIG_PATH, Config, PlateOcrConfig, RegionsConfig, load_config, ocr_config_as
from alprd.domain.packs import parse_pack_list
from alprd.errors import BadInputError, ConfigError
from alprd.log import configure_logging
from alprd.ops.eval_metrics import (
    Sample,
    Tally,
    apply_errata,
    load_box_texts,
    load_errata,
    load_folder,
    select,
    tally_image,
    tally_reads,
)
from alprd.vision.pipeline import ImagePipeline, crop_box


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure detection and reading accuracy on a labelled folder")
    p.add_argument("dir", type=Path, help="openalpr benchmark folder, or a folder of crops with a CSV")
    p.add_argument(
        "--config",
        "-c",
        type=Path,
        default=DEFAULT_CONFIG_PATH,
        help=f"main YAML config for the models (default: {DEFAULT_CONFIG_PATH})",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--limit", type=int, default=None, help="first N samples only")
    p.add_argument("--gt-crops", action="store_true", help="also read the labelled boxes (OCR alone)")
    p.add_argument("--ocr", choices=("plate", "ppocr"), help="override inference.ocr.engine")
    p.add_argument("--ocr-model", type=Path, help="override inference.ocr.model")
    p.add_argument("--views", type=int, choices=(1, 3), help="override inference.ocr.views (engine 'plate')")
    p.add_argument("--plate-model", type=Path, help="override inference.plate_detector.model")
    p.add_argument("--plate-size", type=int, help="override inference.plate_detector.input_size")
    p.add_argument(
        "--vehicle-head",
        help="override inference.vehicle_detector.classifier (a type head "
        "trained on --plate-model's backbone); 'none': vehicles without a type",
    )
    p.add_argument(
        "--pack",
        type=_pack_list,
        metavar="CODE[,CODE...]|none",
        help="override regions.packs: one pack, several ranked in order (id,my,sg), "
        "or 'none' (no re-ranking, no regions)",
    )
    p.add_argument(
        "--second-opinion",
        choices=("ppocr", "none"),
        help="override inference.ocr.second_opinion.engine (the engine that re-reads unsure reads)",
    )
    p.add_argument(
        "--groups",
        type=lambda v: tuple(g for g in v.split(",") if g),
        default=(),
        metavar="G[,G...]",
        help="only the crops of these source groups (the set's meta.csv), e.g. a held-out source",
    )
    p.add_argument("--files", type=Path, help="only the files listed in this file (one name a line)")
    p.add_argument(
        "--texts",
        type=Path,
        help="CSV image,box,x,y,w,h,plate giving the plates of a folder of photos whose own labels hold "
        "no text, e.g. training/labels/openlpr-plates-text.csv for ../shared/datasets/openlpr-plates "
        "(group: the split, --groups val)",
    )
    p.add_argument(
        "--text-plates", choices=("on", "off"), help="override inference.text_plates.enabled (plates found as text)"
    )
    p.add_argument("--device", choices=("AUTO", "CPU", "GPU"), help="override inference.device")
    p.add_argument("--threads", type=int, default=None, help="CPU inference threads (default: all)")
    p.add_argument(
        "--errata",
        type=Path,
        help="CSV of label corrections (file,label,corrected,reason), "
        "e.g. docs/openalpr-eu-errata.csv; the report counts the labels changed",
    )
    p.set_defaults(func=main)


def _pack_list(value: str) -> tuple[str, ...]:
    try:
        return parse_pack_list(value)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _config(args: argparse.Namespace) -> Config:
    config = load_config(args.config) if args.config.is_file() else Config(base_dir=Path("config").resolve())
    inference = config.inference
    ocr = inference.ocr
    if args.ocr is not None and args.ocr != ocr.engine:  # another engine: its own default model
        ocr = ocr_config_as(ocr, args.ocr)
    if args.ocr_model is not None:
        ocr = ocr.model_copy(update={"model": args.ocr_model})
    if args.views is not None and isinstance(ocr, PlateOcrConfig):
        ocr = ocr.model_copy(update={"views": args.views})
    plate = inference.plate_detector
    if args.plate_model is not None:
        plate = plate.model_copy(update={"model": args.plate_model.resolve()})
    if args.plate_size is not None:
        plate = plate.model_copy(update={"input_size": args.plate_size})
    vehicle = inference.vehicle_detector
    if args.vehicle_head is not None:
        head = None if args.vehicle_head == "none" else Path(args.vehicle_head).resolve()
        vehicle = vehicle.model_copy(update={"classifier": head})
    if args.second_opinion is not None:
        ocr = ocr.model_copy(
            update={"second_opinion": ocr.second_opinion.model_copy(update={"engine": args.second_opinion})}
        )
    gemini = ocr.gemini.model_copy(update={"enabled": False})  # eval measures the local reader
    inference = inference.model_copy(
        update={
            "ocr": ocr.model_copy(update={"gemini": gemini}),
            "plate_detector": plate,
            "vehicle_detector": vehicle,
            "device": args.device or inference.device,
            "text_plates": inference.text_plates.switched(args.text_plates),
        }
    )
    update: dict[str, Any] = {"inference": inference}
    if args.pack is not None:
        update["regions"] = RegionsConfig(packs=args.pack)
    return config.model_copy(update=update)


def _pipeline(config: Config, args: argparse.Namespace) -> ImagePipeline:
    from alprd.vision.ov_model import make_core

    core = make_core()
    if args.threads:
        core.set_property("CPU", {"INFERENCE_NUM_THREADS": args.threads})
    return ImagePipeline.from_config(config, core)


@dataclass
class Run:
    """Accumulates one evaluation (local to ``evaluate``)."""

    end_to_end: Tally = Tally()
    gt_crops: Tally = Tally()
    stage_ms: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    total_ms: float = 0.0
    crop_ocr_ms: float = 0.0
    images: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    by_group: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))


def _read(path: Path):
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise BadInputError(f"{path}: cannot decode image")
    return image


def _end_to_end(pipeline: ImagePipeline, sample: Sample, run: Run, gt_crops: bool) -> None:
    image = _read(sample.path)
    t0 = time.perf_counter()
    out = pipeline.run(image)
    run.total_ms += (time.perf_counter() - t0) * 1000.0
    for stage, ms in out.result.timings_ms:
        run.stage_ms[stage] += ms
    texts_by_plate = {id(r.plate): r.ocr.text for r in out.result.reads}
    texts = [texts_by_plate.get(id(p), "") for p in out.plates]
    tally = tally_image(sample.plates, [p.box for p in out.plates], texts)
    run.end_to_end += tally
    if tally.exact < tally.plates:
        run.failures.append(
            {
                "image": sample.path.name,
                "truth": " ".join(p.text for p in sample.plates),
                "read": " ".join(t for t in texts if t),
            }
        )
    if gt_crops:
        crops = [crop_box(image, p.box) for p in sample.plates if p.box is not None]
        t0 = time.perf_counter()
        reads = pipeline.read_crops(crops)
        run.crop_ocr_ms += (time.perf_counter() - t0) * 1000.0
        run.gt_crops += tally_reads([p.text for p in sample.plates], [r.text for r in reads])


def _crop_only(pipeline: ImagePipeline, sample: Sample, run: Run) -> None:
    crop = _read(sample.path)
    t0 = time.perf_counter()
    reads = pipeline.read_crops([crop])
    run.crop_ocr_ms += (time.perf_counter() - t0) * 1000.0
    tally = tally_reads([sample.plates[0].text], [reads[0].text])
    run.gt_crops += tally
    if sample.group:
        run.by_group[sample.group] += tally
    if not tally.exact:
        run.failures.append({"image": sample.path.name, "truth": sample.plates[0].text, "read": reads[0].text})


def evaluate(
    pipeline: ImagePipeline, samples: Sequence[Sample], gt_crops: bool = False, progress: bool = True
) -> dict[str, Any]:
    """Run every sample and return the report (the ``--json`` object)."""
    run = Run()
    crops_only = bool(samples) and samples[0].plates[0].box is None
    for sample in tqdm(samples, desc="eval", unit="img", file=sys.stderr, disable=not progress):
        if crops_only:
            _crop_only(pipeline, sample, run)
        else:
            _end_to_end(pipeline, sample, run, gt_crops)
        run.images += 1
    return report(run, crops_only, gt_crops, pipeline)


def _ratio(x: float) -> float:
    return round(x, 4)


def report(run: Run, crops_only: bool, gt_crops: bool, pipeline: ImagePipeline) -> dict[str, Any]:
    n = max(1, run.images)
    out: dict[str, Any] = {
        "images": run.images,
        "mode": "crops" if crops_only else "end-to-end",
        "ocr_engine": pipeline.ocr.name,
        "pack": ",".join(pipeline.packs.codes) or None,
    }
    if crops_only:
        out.update(
            plates=run.gt_crops.plates,
            detection_recall=None,
            detection_precision=None,
            exact_read_rate=_ratio(run.gt_crops.exact_rate),
            char_accuracy=_ratio(run.gt_crops.char_accuracy),
            ms_per_image=round(run.crop_ocr_ms / n, 2),
            stage_ms={"ocr": round(run.crop_ocr_ms / n, 2)},
        )
    else:
        e2e = run.end_to_end
        out.update(
            plates=e2e.plates,
            detections=e2e.found,
            detection_recall=_ratio(e2e.recall),
            detection_precision=_ratio(e2e.precision),
            exact_read_rate=_ratio(e2e.exact_rate),
            char_accuracy=_ratio(e2e.char_accuracy),
            ms_per_image=round(run.total_ms / n, 2),
            stage_ms={k: round(v / n, 2) for k, v in run.stage_ms.items()},
        )
        if gt_crops:
            out.update(
                gt_crops_exact_read_rate=_ratio(run.gt_crops.exact_rate),
                gt_crops_char_accuracy=_ratio(run.gt_crops.char_accuracy),
                gt_crops_ocr_ms_per_crop=round(run.crop_ocr_ms / max(1, run.gt_crops.plates), 2),
            )
    if run.by_group:
        out["by_group"] = {
            g: {"plates": t.plates, "exact_read_rate": _ratio(t.exact_rate)} for g, t in sorted(run.by_group.items())
        }
    out["second_opinion"] = pipeline.second_opinion.engine.name if pipeline.second_opinion else None
    out["failures"] = run.failures
    return out


def format_text(rep: dict[str, Any]) -> str:
    pct = lambda v: "n/a" if v is None else f"{100 * v:.1f} %"  # noqa: E731
    lines = [
        f"images: {rep['images']} ({rep['mode']}), plates: {rep['plates']}, "
        f"OCR: {rep['ocr_engine']} (second opinion: {rep.get('second_opinion') or 'none'}), "
        f"pack: {rep['pack'] or 'none'}"
    ]
    if rep["mode"] == "end-to-end":
        lines += [
            f"detection recall @IoU0.5: {pct(rep['detection_recall'])}",
            f"detection precision @IoU0.5: {pct(rep['detection_precision'])}",
        ]
    lines += [f"exact plate reads: {pct(rep['exact_read_rate'])}", f"character accuracy: {pct(rep['char_accuracy'])}"]
    if "gt_crops_exact_read_rate" in rep:
        lines += [
            f"exact reads on labelled crops (OCR alone): {pct(rep['gt_crops_exact_read_rate'])}"
            f" ({rep['gt_crops_ocr_ms_per_crop']} ms per crop)"
        ]
    stages = ", ".join(f"{k} {v} ms" for k, v in rep["stage_ms"].items())
    lines += [f"latency: {rep['ms_per_image']} ms per image ({stages})"]
    if rep.get("by_group"):
        lines += [
            "by source: "
            + ", ".join(f"{g} {pct(v['exact_read_rate'])} ({v['plates']})" for g, v in rep["by_group"].items())
        ]
    if rep.get("labels_corrected") is not None:
        lines += [f"labels corrected by errata: {rep['labels_corrected']}"]
    return "\n".join(lines)


def load_samples(args: argparse.Namespace) -> tuple[list[Sample], int | None]:
    """The labelled samples ``args`` name (folder, ``--groups``/``--files``, ``--limit``),
    with ``--errata`` applied; and how many labels the errata changed (None without)."""
    for option in ("texts", "files", "errata"):
        path = getattr(args, option)
        if path is not None and not path.is_file():
            raise BadInputError(f"--{option} {path}: no such file")
    samples = load_box_texts(args.dir, args.texts) if args.texts is not None else load_folder(args.dir)
    if args.groups or args.files is not None:
        samples = select(samples, args.groups, args.files)
    if args.limit is not None:
        samples = samples[: args.limit]
    if not samples:
        raise BadInputError(f"{args.dir}: no labelled samples")
    changed = None
    if args.errata is not None:
        samples, changed = apply_errata(samples, load_errata(args.errata))
    return samples, changed


def main(args: argparse.Namespace) -> int:
    configure_logging("auto", logging.WARNING)  # stdout is for the report
    samples, changed = load_samples(args)
    rep = evaluate(_pipeline(_config(args), args), samples, gt_crops=args.gt_crops)
    rep["labels_corrected"] = changed
    print(json.dumps(rep) if args.json else format_text(rep))
    return 0
