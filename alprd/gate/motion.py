"""Motion gating: run the detectors only when something moves (Frigate's idea, simplified).

:class:`MotionDetector` works on a small grey copy of the frame (every n-th pixel,
about ``width_px`` wide, blurred): it compares it with a running average of past frames, thresholds the
difference, and reports the share of the picture that changed. A sudden change of most
of the picture (a zoom jump, lights switched on, a camera's exposure step) is motion too,
and the average is reset to the new picture at once.

:class:`MotionGate` decides per analysed frame whether the detectors run: when there is
motion; while a plate is being tracked (a vehicle that stops in front of a barrier stays
tracked, so it keeps being read); every ``refresh_s`` while the last detection found a
vehicle or a plate without a read (a car that stopped before its plate was read is read
once it can be: Frigate's periodic check of stationary objects); and every
``idle_refresh_s`` in an empty scene, as a safety net. A camera that sees nothing pays
for the small motion check and a rare refresh. Both are deterministic: time comes from
the frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

RESET_SHARE = 0.5  # more than this share of the picture changed at once: a new scene


@dataclass(frozen=True, slots=True)
class MotionSettings:
    width_px: int = 160  # the frame is scaled to this width for the check
    threshold: int = 25  # grey-level change (0-255) that counts as a changed pixel
    min_share: float = 0.002  # share of the picture that must change to be motion
    alpha: float = 0.2  # weight of a new frame in the running average
    refresh_s: float = 2.0  # the detectors run at least this often while a vehicle or plate is in view
    idle_refresh_s: float = 10.0  # ... and this often when the last detection found nothing


class MotionDetector:
    """Changed share of the picture against a running average (one camera, one thread)."""

    def __init__(self, settings: MotionSettings = MotionSettings()) -> None:
        self.settings = settings
        self._average: np.ndarray | None = None

    def _small(self, image: np.ndarray) -> np.ndarray:
        """Every n-th pixel (about ``width_px`` across; a strided view costs nothing), grey, blurred."""
        step = max(1, image.shape[1] // self.settings.width_px)
        small = np.ascontiguousarray(image[::step, ::step])
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        return cv2.GaussianBlur(grey, (5, 5), 0).astype(np.float32)

    def changed_share(self, image: np.ndarray) -> float:
        """The share (0..1) of the picture that changed; 1.0 for the first frame."""
        small = self._small(image)
        if self._average is None or self._average.shape != small.shape:
            self._average = small
            return 1.0
        changed = np.abs(small - self._average) > self.settings.threshold
        share = float(changed.mean())
        if share > RESET_SHARE:
            self._average = small
        else:
            cv2.accumulateWeighted(small, self._average, self.settings.alpha)
        return share


@dataclass(slots=True)
class MotionGate:
    """Whether the detectors run on a frame: motion, live tracks, or a refresh due."""

    settings: MotionSettings = MotionSettings()
    last_run_s: float | None = None
    skipped: int = 0

    def due(self, t_s: float, changed_share: float, tracking: bool, occupied: bool = True) -> bool:
        """``tracking``: a plate is followed now; ``occupied``: the last detection found a
        vehicle or a plate (a car standing there, its plate not read yet)."""
        refresh_s = self.settings.refresh_s if occupied else self.settings.idle_refresh_s
        run = (
            tracking
            or changed_share >= self.settings.min_share
            or self.last_run_s is None
            or t_s - self.last_run_s >= refresh_s
            or t_s < self.last_run_s  # time went back (a looped file): start again
        )
        if run:
            self.last_run_s = t_s
        else:
            self.skipped += 1
        return run
