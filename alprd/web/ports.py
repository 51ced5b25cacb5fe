"""What the web layer needs from the stages it does not import: plate reading and gate lines.

The composition root passes implementations to ``create_app``; tests pass small fakes
or the real pipeline.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from alprd.domain.messages import CameraState, Frame, ImageResult


@runtime_checkable
class ImagePipeline(Protocol):
    """Reads every vehicle and plate of one BGR image. Both methods block (run in an executor)."""

    @property
    def algorithm(self) -> str:
        """The plate detector that runs, as the API names it ("YOLOv8n (OpenVINO)")."""
        ...

    def read_image(self, image: np.ndarray) -> ImageResult: ...

    def annotate(self, image: np.ndarray, result: ImageResult) -> np.ndarray: ...


@runtime_checkable
class LinesProvider(Protocol):
    """The configured gate lines (cameras)."""

    def states(self) -> list[CameraState]: ...

    async def test_line(self, line_id: str) -> tuple[CameraState, ImageResult]:
        """Run detection on the line's current frame, without storing it.

        Raises NotFoundError for an unknown line.
        """
        ...

    def latest_frame(self, line_id: str) -> Frame | None:
        """The line's newest frame, None before its first. Raises NotFoundError for an unknown line."""
        ...
