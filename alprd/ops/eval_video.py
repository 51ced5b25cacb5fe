"""``alprd eval-video DIR|FILES``: the per-camera path over video files, scored per clip.

Each clip is decoded frame by frame; a frame's time is its index / the clip's fps (as
OpenCV decodes it, the time base of the truth files), so a run is deterministic. Frames
due at the camera's ``detect_fps`` go through the same steps as a live camera's worker
(:class:`~alprd.gate.camera_gate.CameraGate`: motion gate, pipeline, plate checks,
tracker, event decisions); every event is printed, and the finals are scored against
``<stem>.truth.tsv`` beside the clip (:mod:`alprd.ops.video_truth`). ``--realtime``
paces the frames at the clip's speed and skips the ones that come while a frame is still
being analysed, as a live camera does (not deterministic).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import yaml

from alprd.capture.sources import OpenCvSource
from alprd.capture.timing import RateGate
from alprd.config import DEFAULT_CONFIG_PATH, CameraConfig, Config, load_camera, load_config
from alprd.domain.messages import Frame, PlateEvent
from alprd.errors import BadInputError
from alprd.gate.camera_gate import CameraGate, PlateReader
from alprd.gate.vote import Vote
from alprd.log import configure_logging
from alprd.ops.video_truth import ClipScore, ScoredEvent, load_truth, score_clip, total

VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval-video", help="run the camera path over video files and score the plate events")
    p.add_argument("paths", nargs="+", type=Path, help="video files, or folders of them (with <stem>.truth.tsv)")
    p.add_argument(
        "--config",
        "-c",
        type=Path,
        default=DEFAULT_CONFIG_PATH,
        help=f"main YAML config for models and regions (default: {DEFAULT_CONFIG_PATH})",
    )
    p.add_argument(
        "--camera",
        type=Path,
        help="camera YAML for the event settings (default: the built-in "
        "camera defaults; its source is replaced by each clip)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one camera setting (YAML value), e.g. --set detect_fps=10",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object (events are not printed)")
    p.add_argument("--realtime", action="store_true", help="pace frames at the clip's speed, skip while busy")
    p.add_argument(
        "--text-plates", choices=("on", "off"), help="override inference.text_plates.enabled (plates found as text)"
    )
    p.set_defaults(func=main)


@dataclass(frozen=True, slots=True)
class Unsure:
    """A final dropped for lack of support."""

    text: str
    confidence: float
    reads: int
    agreeing: int
    first_seen_s: float
    last_seen_s: float


@dataclass(frozen=True, slots=True)
class ClipRun:
    clip: Path
    events: tuple[PlateEvent, ...]
    unsure: tuple[Unsure, ...]
    frames: int
    analysed: int  # frames due at detect_fps
    detected: int  # of those, frames the detectors ran on (motion gate)
    score: ClipScore | None


def clip_paths(paths: Sequence[Path]) -> list[Path]:
    """The video files named, or found (sorted) in the folders named."""
    clips: list[Path] = []
    for path in paths:
        if path.is_dir():
            clips += sorted(p for p in path.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
        elif path.is_file():
            clips.append(path)
        else:
            raise BadInputError(f"{path}: no such file or folder")
    if not clips:
        raise BadInputError("no video files found")
    return clips


def truth_path(clip: Path) -> Path:
    return clip.with_name(f"{clip.stem}.truth.tsv")


def camera_for(base: CameraConfig, clip: Path) -> CameraConfig:
    return base.model_copy(update={"source": str(clip)})


def clip_frames(clip: Path, camera_id: str) -> Iterator[Frame]:
    """Every frame of a clip, timed index / fps from 0 (no looping)."""
    capture = cv2.VideoCapture(str(clip), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        raise BadInputError(f"{clip}: cannot open the video")
    source = OpenCvSource(capture, loop=False)
    try:
        index = 0
        while True:
            ok, image = source.read()
            if not ok or image is None:
                return
            yield Frame(camera_id, index, index / source.nominal_fps, image)
            index += 1
    finally:
        source.release()


def run_clip(clip: Path, camera: CameraConfig, reader: PlateReader, fits, realtime: bool = False) -> ClipRun:
    camera_id = clip.stem
    unsure: list[Unsure] = []

    def on_unsure(v: Vote, first_s: float, last_s: float) -> None:
        unsure.append(Unsure(v.text, v.confidence, v.reads, v.agreeing, first_s, last_s))

    gate = CameraGate(camera_id, camera, reader, fits, on_unsure)
    rate = RateGate(camera.detect_fps)
    events: list[PlateEvent] = []
    frames = analysed = 0
    busy_until_s = 0.0
    started = time.monotonic()
    last: Frame | None = None
    for frame in clip_frames(clip, camera_id):
        frames += 1
        last = frame
        if realtime:
            time.sleep(max(0.0, frame.timestamp_s - (time.monotonic() - started)))
            if time.monotonic() - started < busy_until_s:
                continue
        if not rate.due(frame.timestamp_s):
            continue
        analysed += 1
        events += gate.on_frame(frame)
        busy_until_s = time.monotonic() - started
    events += gate.flush(last.timestamp_s if last else 0.0)
    truth_file = truth_path(clip)
    score = None
    if truth_file.is_file():
        score = score_clip(load_truth(truth_file), finals_of(events))
    return ClipRun(clip, tuple(events), tuple(unsure), frames, analysed, gate.stats().detected, score)


def finals_of(events: Sequence[PlateEvent]) -> list[ScoredEvent]:
    return [ScoredEvent(e.text, e.first_seen_s, e.last_seen_s) for e in events if e.kind == "final"]


def describe_event(e: PlateEvent) -> str:
    return (
        f"  {e.last_seen_s:6.2f}s {e.kind:7s} {e.text:12s} conf {e.confidence:.2f} reads {e.reads_count:3d} "
        f"seen {e.first_seen_s:.2f}-{e.last_seen_s:.2f}s pass {e.track_id}"
    )


def describe_score(s: ClipScore) -> str:
    parts = [
        f"{k} {getattr(s, k)}" for k in ("plates", "found_once", "duplicates", "missed", "wrong", "extra", "unlisted")
    ]
    detail = ", ".join(f"{p}: {o}" for p, o in s.outcome.items())
    wrong = f"; wrong: {' '.join(s.wrong_texts)}" if s.wrong_texts else ""
    extra = f"; extra: {' '.join(s.extra_texts)}" if s.extra_texts else ""
    return f"  score: {', '.join(parts)} ({detail}{wrong}{extra})"


def report(runs: Sequence[ClipRun]) -> dict[str, Any]:
    scored = [r for r in runs if r.score is not None]
    return {
        "clips": len(runs),
        "clips_scored": len(scored),
        "unsure_dropped": sum(len(r.unsure) for r in runs),
        **total(r.score for r in scored if r.score is not None),
        "per_clip": {
            r.clip.stem: {
                "frames": r.frames,
                "analysed": r.analysed,
                "detected": r.detected,
                "finals": [e.text for e in r.events if e.kind == "final"],
                "previews": [e.text for e in r.events if e.kind == "preview"],
                "unsure_dropped": [u.text for u in r.unsure],
                **({"score": _score_dict(r.score)} if r.score else {}),
            }
            for r in runs
        },
    }


def _score_dict(s: ClipScore) -> dict[str, Any]:
    keys = ("plates", "found_once", "duplicates", "missed", "wrong", "extra", "unlisted")
    return {
        **{k: getattr(s, k) for k in keys},
        "outcome": s.outcome,
        "wrong_texts": list(s.wrong_texts),
        "extra_texts": list(s.extra_texts),
    }


def _camera(args: argparse.Namespace) -> CameraConfig:
    base = load_camera(args.camera) if args.camera else CameraConfig(source="clip")
    updates: dict[str, Any] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise BadInputError(f"--set {item!r}: expected KEY=VALUE")
        updates[key.strip()] = yaml.safe_load(value)
    if not updates:
        return base
    from pydantic import ValidationError

    try:
        return CameraConfig.model_validate({**base.model_dump(), **updates})
    except ValidationError as exc:
        raise BadInputError(f"--set: {exc}") from exc


def _config(path: Path, text_plates: str | None = None) -> Config:
    config = load_config(path) if path.is_file() else Config(base_dir=Path("config").resolve())
    ocr = config.inference.ocr
    gemini = ocr.gemini.model_copy(update={"enabled": False})  # measure the local reader
    inference = config.inference.model_copy(
        update={
            "ocr": ocr.model_copy(update={"gemini": gemini}),
            "text_plates": config.inference.text_plates.switched(text_plates),
        }
    )
    return config.model_copy(update={"inference": inference})


def main(args: argparse.Namespace) -> int:
    configure_logging("auto", logging.WARNING)  # stdout is for the report
    from alprd.vision.ov_model import make_core
    from alprd.vision.pipeline import ImagePipeline

    clips = clip_paths(args.paths)
    camera = _camera(args)
    config = _config(args.config, args.text_plates)
    pipeline = ImagePipeline.from_config(config, make_core())
    fits = pipeline.packs.matches_format if pipeline.packs.packs else None  # as the daemon: no pack, all fit
    runs = []
    for clip in clips:
        run = run_clip(clip, camera_for(camera, clip), pipeline, fits, realtime=args.realtime)
        runs.append(run)
        if not args.json:
            print(f"{clip.name}: {run.frames} frames, {run.analysed} analysed, {run.detected} through the detectors")
            for e in run.events:
                print(describe_event(e))
            for u in run.unsure:
                print(
                    f"  {u.last_seen_s:6.2f}s dropped {u.text:12s} conf {u.confidence:.2f} reads {u.reads:3d} "
                    f"agreeing {u.agreeing} seen {u.first_seen_s:.2f}-{u.last_seen_s:.2f}s (below final support)"
                )
            print(describe_score(run.score) if run.score else "  (no truth file)")
            sys.stdout.flush()
    rep = report(runs)
    if args.json:
        print(json.dumps(rep))
    else:
        keys = ("clips", "plates", "found_once", "duplicates", "missed", "wrong", "extra", "unlisted", "unsure_dropped")
        print("overall: " + ", ".join(f"{k} {rep.get(k, 0)}" for k in keys))
    return 0
