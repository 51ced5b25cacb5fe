"""One camera's analysis of one frame: the step a live worker and ``eval-video`` share.

frame -> pipeline (plates read) -> plate checks (whole, in the ROI, wide enough) ->
tracker and event decisions -> plate events. Time comes from the frame's timestamp.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from alprd.config import CameraConfig
from alprd.domain.messages import Frame, ImageResult, PlateEvent
from alprd.gate.camera_worker import keep_counting_reads
from alprd.gate.events import EventPolicy
from alprd.gate.passes import PassBuilder


class PlateReader(Protocol):
    def read_image(self, image: np.ndarray) -> ImageResult: ...


class CameraGate:
    def __init__(
        self, camera_id: str, camera: CameraConfig, reader: PlateReader, fits: Callable[[str], bool] | None
    ) -> None:
        self.camera_id = camera_id
        self.camera = camera
        self._reader = reader
        self.builder = PassBuilder(camera_id, EventPolicy.from_camera(camera), fits)

    def on_frame(self, frame: Frame) -> list[PlateEvent]:
        result = keep_counting_reads(self._reader.read_image(frame.image), self.camera)
        return self.builder.on_frame(frame, result.reads)

    def flush(self, t_s: float) -> list[PlateEvent]:
        return self.builder.flush(t_s)
