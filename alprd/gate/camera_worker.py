"""One inference worker per camera: newest frame -> camera gate -> events -> sink.

The worker thread takes frames from the camera's :class:`LatestQueue` (so it always
works on the newest one) and hands each to the camera's :class:`CameraGate` (motion
gate, the shared pipeline's blocking OpenVINO calls that release the GIL, plate checks,
passes). Events go to ``sink``, which must not block. On stop, open passes are flushed
as final events, so nothing in flight is lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from alprd.config import CameraConfig
from alprd.domain.messages import CameraState, CaptureStats, Frame, PlateEvent
from alprd.gate.camera_gate import CameraGate
from alprd.latest import LatestQueue
from alprd.log import get_logger
from alprd.meters import FpsMeter
from alprd.redact import mask_secrets

# Takes each event; returns it as acted on (e.g. with its list status) for the line state.
EventSink = Callable[[PlateEvent], PlateEvent | None]


class CameraWorker:
    def __init__(
        self,
        camera_id: str,
        camera: CameraConfig,
        frames: LatestQueue[Frame],
        gate: CameraGate,
        sink: EventSink,
    ) -> None:
        self.camera_id = camera_id
        self.camera = camera
        self._frames = frames
        self._gate = gate
        self._sink = sink
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._fps = FpsMeter()
        self._latest: Frame | None = None
        self._last_event: PlateEvent | None = None
        self._last_error = ""
        self._heartbeat_s = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"infer-{camera_id}", daemon=True)
        self._log = get_logger("alprd.gate").bind(camera=camera_id)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the frame in hand, flush live tracks as final events, and end the thread."""
        self._stop.set()
        self._frames.close()
        self._thread.join(timeout_s)

    def healthy(self, stale_s: float) -> bool:
        """Alive and looped within ``stale_s`` (a hung inference call makes it stale)."""
        with self._lock:
            return self._thread.is_alive() and time.monotonic() - self._heartbeat_s < stale_s

    def latest_frame(self) -> Frame | None:
        with self._lock:
            return self._latest

    def state(self, capture: CaptureStats) -> CameraState:
        gate = self._gate.stats()  # plain counters: a slightly stale read is fine
        with self._lock:
            return CameraState(
                camera_id=self.camera_id,
                name=self.camera.name or self.camera_id,
                location=self.camera.location,
                source=mask_secrets(self.camera.source),
                connected=capture.connected,
                fps_in=capture.fps_in,
                fps_analysed=round(self._fps.fps(time.time()), 2),
                frames_dropped=capture.frames_dropped,
                last_error=capture.last_error or self._last_error,
                last_frame_s=capture.last_frame_s,
                last_event=self._last_event,
                frames_detected=gate.detected,
                frames_skipped_no_motion=gate.skipped_no_motion,
                events_unsure_dropped=gate.unsure_dropped,
                events_duplicates_merged=gate.duplicates_merged,
                reconnects=capture.reconnects,
                inference=self._gate.latency.snapshot(),
            )

    def _run(self) -> None:
        while not self._stop.is_set():
            self._beat()
            frame = self._frames.get(timeout_s=0.5)
            if frame is not None:
                self._analyse(frame)
        self._emit(self._gate.flush(time.time()))
        gate = self._gate.stats()
        self._log.info("inference.stopped", frames=gate.frames, detected=gate.detected, in_regions=gate.in_regions)

    def _beat(self) -> None:
        with self._lock:
            self._heartbeat_s = time.monotonic()

    def _analyse(self, frame: Frame) -> None:
        try:
            events = self._gate.on_frame(frame)  # its counters are read by state() without a lock
        except Exception as exc:  # boundary: one bad frame must not end the camera
            self._log.exception("inference.failed", error=str(exc))
            with self._lock:
                self._last_error = f"inference failed: {exc}"
            return
        with self._lock:
            self._latest = frame
            self._fps.tick(time.time())
            self._last_error = ""
        self._emit(events)

    def _emit(self, events: list[PlateEvent]) -> None:
        for event in events:
            try:
                event = self._sink(event) or event
            except Exception as exc:  # boundary: the sink's failure is logged, capture goes on
                self._log.exception("event.sink_failed", error=str(exc), plate=event.text)
            with self._lock:
                self._last_event = event
