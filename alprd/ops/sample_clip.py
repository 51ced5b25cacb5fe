"""Renders the sample clip: vehicles with legible Indonesian plates crossing a road.

Used by the embedded default camera (``config/cameras/sample.yaml``), the daemon
integration test and the benchmark. ``python -m alprd.ops.sample_clip OUT.avi`` writes
the default clip (MJPEG AVI, which OpenCV reads and loops without extra codecs).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

DEFAULT_PASSES = (("B1234XYZ", 1.0), ("D4321AB", 7.0), ("AB77CD", 13.0))


@dataclass(frozen=True, slots=True)
class VehiclePass:
    plate: str
    start_s: float  # when the vehicle's front enters the frame
    duration_s: float = 4.0  # time to cross the whole frame
    color_bgr: tuple[int, int, int] = (150, 60, 40)


def spaced_plate(text: str) -> str:
    """'B1234XYZ' -> 'B 1234 XYZ', as it is painted on an Indonesian plate."""
    head = next((i for i, c in enumerate(text) if c.isdigit()), len(text))
    tail = next((i for i in range(head, len(text)) if not text[i].isdigit()), len(text))
    return " ".join(p for p in (text[:head], text[head:tail], text[tail:]) if p)


def _background(width: int, height: int) -> np.ndarray:
    img = np.full((height, width, 3), (95, 100, 100), np.uint8)
    img[: height // 4] = (200, 170, 140)  # sky / wall
    rng = np.random.default_rng(7)
    noise = rng.integers(-8, 9, size=(height, width, 1), dtype=np.int16)
    img = np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    y = int(height * 0.9)
    for x in range(0, width, width // 8):
        cv2.rectangle(img, (x, y), (x + width // 16, y + max(2, height // 90)), (230, 230, 230), -1)
    return img


def _draw_plate(img: np.ndarray, text: str, x: int, y: int, w: int) -> None:
    h = int(w * 0.3)
    border = max(2, w // 70)
    cv2.rectangle(img, (x - border, y - border), (x + w + border, y + h + border), (15, 15, 15), -1)
    cv2.rectangle(img, (x, y), (x + w, y + h), (245, 245, 245), -1)  # white plate, black text (2022+)
    label = spaced_plate(text)
    font = cv2.FONT_HERSHEY_DUPLEX
    thickness = max(2, w // 60)
    scale = 1.0
    (tw, th), _ = cv2.getTextSize(label, font, scale, thickness)
    scale = min((w * 0.9) / tw, (h * 0.62) / th)
    (tw, th), _ = cv2.getTextSize(label, font, scale, thickness)
    cv2.putText(img, label, (x + (w - tw) // 2, y + (h + th) // 2), font, scale, (15, 15, 15), thickness, cv2.LINE_AA)


def _draw_vehicle(img: np.ndarray, p: VehiclePass, x: int, width: int, height: int) -> None:
    vw, vh = int(width * 0.5), int(height * 0.42)
    y = int(height * 0.42)
    body = (x, y, x + vw, y + vh)
    cv2.rectangle(img, (x + vw // 6, y - vh // 3), (x + vw * 5 // 6, y + 4), p.color_bgr, -1)  # cabin
    cv2.rectangle(img, (x + vw // 5, y - vh // 4), (x + vw * 4 // 5, y), (60, 50, 40), -1)  # windscreen
    cv2.rectangle(img, body[:2], body[2:], p.color_bgr, -1)
    for wx in (x + vw // 6, x + vw * 5 // 6):
        cv2.circle(img, (wx, y + vh), vh // 4, (25, 25, 25), -1)
    for lx in (x + vw // 12, x + vw * 11 // 12 - vw // 8):
        cv2.rectangle(img, (lx, y + vh // 6), (lx + vw // 8, y + vh // 3), (120, 230, 250), -1)
    plate_w = int(vw * 0.5)
    _draw_plate(img, p.plate, x + (vw - plate_w) // 2, y + vh // 2, plate_w)


def frames(
    passes: Sequence[VehiclePass], width: int, height: int, fps: float, duration_s: float
) -> Iterator[np.ndarray]:
    """Every frame of the clip, in order."""
    background = _background(width, height)
    vw = int(width * 0.5)
    for i in range(int(duration_s * fps)):
        t_s = i / fps
        img = background.copy()
        for p in passes:
            progress = (t_s - p.start_s) / p.duration_s
            if 0.0 <= progress <= 1.0:
                _draw_vehicle(img, p, int(-vw + progress * (width + vw)), width, height)
        yield img


def render_clip(
    path: Path,
    passes: Sequence[VehiclePass],
    *,
    width: int = 640,
    height: int = 360,
    fps: float = 25.0,
    duration_s: float | None = None,
) -> Path:
    """Write the clip as MJPEG AVI; ``duration_s`` defaults to just after the last pass."""
    if duration_s is None:
        duration_s = max((p.start_s + p.duration_s for p in passes), default=0.0) + 2.0
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"cannot write {path}")
    writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 95)
    try:
        for img in frames(passes, width, height, fps, duration_s):
            writer.write(img)
    finally:
        writer.release()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=float, default=25.0)
    args = parser.parse_args(argv)
    passes = [VehiclePass(text, start) for text, start in DEFAULT_PASSES]
    render_clip(args.out, passes, width=args.width, height=args.height, fps=args.fps)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
