"""The gate lines: every configured camera as capture thread + inference worker.

The capture side is given (``StartCapture``: the composition root passes
``capture.reader.CameraReader`` with its opener), so the gate depends on the frames it
is handed, not on how they are read.

:class:`GateLines` starts, stops and reloads cameras one by one (a SIGHUP reload
touches only the cameras whose config changed), reports their state, checks their
health for the watchdog, and serves the web layer's ``LinesProvider`` protocol.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from alprd.config import CameraConfig
from alprd.domain.messages import CameraState, CaptureStats, Frame, ImageResult
from alprd.errors import InferenceUnavailableError, NotFoundError
from alprd.gate.camera_gate import CameraGate, PlateReader
from alprd.gate.camera_worker import CameraWorker, EventSink
from alprd.gate.vote import Vote
from alprd.latest import LatestQueue
from alprd.log import get_logger


@dataclass(frozen=True, slots=True)
class ReloadReport:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    restarted: tuple[str, ...]
    unchanged: tuple[str, ...]


def plan_reload(current: Mapping[str, CameraConfig], cameras: Mapping[str, CameraConfig]) -> ReloadReport:
    """Which cameras a reload adds, removes, restarts (settings changed) or leaves alone."""
    wanted = {cid: cam for cid, cam in cameras.items() if cam.enabled}
    removed = tuple(sorted(set(current) - set(wanted)))
    added = tuple(sorted(set(wanted) - set(current)))
    restarted = tuple(sorted(c for c in set(wanted) & set(current) if current[c] != wanted[c]))
    unchanged = tuple(sorted(set(current) - set(removed) - set(restarted)))
    return ReloadReport(added, removed, restarted, unchanged)


_log = get_logger("alprd.gate")


class Capture(Protocol):
    """A camera's capture thread, as the line drives it (capture.reader.CameraReader)."""

    @property
    def alive(self) -> bool: ...

    def start(self) -> None: ...

    def request_stop(self) -> None: ...

    def stop(self, timeout_s: float = 5.0) -> None: ...

    def stats(self) -> CaptureStats: ...


# (camera id, its settings, the queue to put frames in) -> a capture, not yet started
StartCapture = Callable[[str, CameraConfig, LatestQueue[Frame]], Capture]


class CameraLine:
    """One camera: its capture thread, frame queue and inference worker."""

    def __init__(
        self,
        camera_id: str,
        camera: CameraConfig,
        reader: PlateReader,
        sink: EventSink,
        capture: StartCapture,
        fits: Callable[[str], bool] | None,
    ) -> None:
        self.camera_id = camera_id
        self.camera = camera
        frames: LatestQueue[Frame] = LatestQueue(maxsize=1)
        self.capture = capture(camera_id, camera, frames)
        gate = CameraGate(camera_id, camera, reader, fits, on_unsure=self._log_unsure)
        self.worker = CameraWorker(camera_id, camera, frames, gate, sink)

    def _log_unsure(self, result: Vote, first_seen_s: float, last_seen_s: float) -> None:
        _log.info(
            "event.unsure_dropped",
            camera=self.camera_id,
            plate=result.text,
            confidence=result.confidence,
            reads=result.reads,
            agreeing=result.agreeing,
            seen_s=round(last_seen_s - first_seen_s, 2),
        )

    def start(self) -> None:
        self.worker.start()
        self.capture.start()

    def stop(self) -> None:
        self.capture.stop(timeout_s=max(5.0, self.camera.read_timeout_s + 1))
        self.worker.stop()

    def state(self) -> CameraState:
        return self.worker.state(self.capture.stats())


class GateLines:
    def __init__(
        self, reader: PlateReader, sink: EventSink, capture: StartCapture, fits: Callable[[str], bool] | None = None
    ) -> None:
        self._reader = reader
        self._sink = sink
        self._capture = capture
        self._fits = fits
        self._lines: dict[str, CameraLine] = {}
        self._lock = threading.Lock()
        self._log = get_logger("alprd.lines")

    def start(self, cameras: Mapping[str, CameraConfig]) -> None:
        for camera_id, camera in cameras.items():
            if camera.enabled:
                self._start_one(camera_id, camera)

    def stop(self) -> None:
        """Stop every camera; each worker flushes its live tracks as final events."""
        with self._lock:
            lines, self._lines = list(self._lines.values()), {}
        for line in lines:
            line.capture.request_stop()  # stop all captures at once, then wait for each
        for line in lines:
            line.stop()

    def reload(self, cameras: Mapping[str, CameraConfig]) -> ReloadReport:
        """Apply a new camera set, touching only the cameras that changed."""
        with self._lock:
            current = {cid: line.camera for cid, line in self._lines.items()}
        plan = plan_reload(current, cameras)
        for cid in plan.removed + plan.restarted:
            self._stop_one(cid)
        for cid in plan.added + plan.restarted:
            self._start_one(cid, cameras[cid])
        return plan

    def healthy(self, stale_s: float) -> list[str]:
        """Ids of cameras whose threads died or hung (empty when all is well)."""
        with self._lock:
            lines = list(self._lines.values())
        return [line.camera_id for line in lines if not line.capture.alive or not line.worker.healthy(stale_s)]

    def states(self) -> list[CameraState]:
        with self._lock:
            lines = list(self._lines.values())
        return [line.state() for line in lines]

    async def test_line(self, line_id: str) -> tuple[CameraState, ImageResult]:
        with self._lock:
            line = self._lines.get(line_id)
        if line is None:
            raise NotFoundError(f"Line {line_id} not found")
        frame = line.worker.latest_frame()
        if frame is None:
            raise InferenceUnavailableError(f"Line {line_id} has no frame yet (camera not connected)")
        result = await asyncio.to_thread(self._reader.read_image, frame.image)
        return line.state(), result

    def latest_frame(self, line_id: str) -> Frame | None:
        """The line's newest frame (None before its first); NotFoundError for an unknown line."""
        with self._lock:
            line = self._lines.get(line_id)
        if line is None:
            raise NotFoundError(f"Line {line_id} not found")
        return line.worker.latest_frame()

    def _start_one(self, camera_id: str, camera: CameraConfig) -> None:
        line = CameraLine(camera_id, camera, self._reader, self._sink, self._capture, self._fits)
        with self._lock:
            self._lines[camera_id] = line
        line.start()
        self._log.info("camera.started", camera=camera_id, location=camera.location)

    def _stop_one(self, camera_id: str) -> None:
        with self._lock:
            line = self._lines.pop(camera_id, None)
        if line is not None:
            line.stop()
            self._log.info("camera.stopped", camera=camera_id)
