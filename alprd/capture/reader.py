"""One capture thread per camera: read, notice stalls, reconnect, hand over the newest frame.

The thread only reads and decodes. Frames due at the camera's ``detect_fps`` go into a
:class:`LatestQueue` for the inference worker; if the worker is still busy with the
previous one, that one is dropped and counted. A read that blocks for the camera's
``read_timeout_s`` (a frozen stream) or fails closes the source; the thread then
reconnects with exponential back-off and jitter until stopped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from alprd.capture.sources import CaptureError, VideoSource, open_source, parse_source, redact_url
from alprd.capture.timing import RateGate, backoff_delay_s
from alprd.config import CameraConfig
from alprd.domain.messages import CaptureStats, Frame
from alprd.latest import LatestQueue
from alprd.log import get_logger
from alprd.meters import FpsMeter

Opener = Callable[[CameraConfig], VideoSource]
_STALL_SHARE = 0.9  # a read this close to the read timeout means the stream is frozen


class CameraReader:
    def __init__(
        self,
        camera_id: str,
        camera: CameraConfig,
        frames: LatestQueue[Frame],
        *,
        opener: Opener,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``monotonic`` is the clock stalls and the analysis rate are measured on (tests
        pass a fake one that a fake camera advances)."""
        self.camera_id = camera_id
        self._monotonic = monotonic
        self.camera = camera
        self._frames = frames
        self._opener = opener
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"capture-{camera_id}", daemon=True)
        self._log = get_logger("alprd.capture").bind(camera=camera_id, source=redact_url(camera.source))
        self._fps_in = FpsMeter()
        self._connected = False
        self._frames_read = 0
        self._reconnects = 0
        self._last_error = ""
        self._last_frame_s: float | None = None
        self._pace = parse_source(camera.source).kind == "file"

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to stop without waiting (stop many cameras at once)."""
        self._stop.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the thread to stop; waits at most ``timeout_s`` (a blocked read may outlive it)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stats(self) -> CaptureStats:
        with self._lock:
            return CaptureStats(
                connected=self._connected,
                fps_in=round(self._fps_in.fps(time.time()), 2),
                frames_read=self._frames_read,
                frames_dropped=self._frames.dropped,
                reconnects=self._reconnects,
                last_error=self._last_error,
                last_frame_s=self._last_frame_s,
            )

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                source = self._opener(self.camera)
            except CaptureError as exc:
                self._failed(str(exc))
            else:
                self._set(connected=True, error="")
                self._log.info("capture.connected", attempt=attempt)
                got_frames = self._read_until_failure(source)
                if got_frames:
                    attempt = 0
            if self._stop.is_set():
                break
            delay_s = backoff_delay_s(attempt, self.camera.reconnect_min_s, self.camera.reconnect_max_s)
            self._log.info("capture.reconnecting", delay_s=round(delay_s, 2), attempt=attempt + 1)
            attempt += 1
            with self._lock:
                self._reconnects += 1
            self._stop.wait(delay_s)
        self._set(connected=False, error=self._last_error)
        self._log.info("capture.stopped")

    def _read_until_failure(self, source: VideoSource) -> bool:
        """Read until the source fails, stalls or we are stopped; True if any frame came."""
        gate = RateGate(self.camera.detect_fps)
        period_s = 1.0 / source.nominal_fps
        next_s = self._monotonic()
        got_frames = False
        try:
            while not self._stop.is_set():
                started = self._monotonic()
                ok = source.grab()
                waited_s = self._monotonic() - started
                if self._stop.is_set():
                    break
                if waited_s >= _STALL_SHARE * self.camera.read_timeout_s:
                    self._failed("stream stalled", waited_s=round(waited_s, 2))
                    return got_frames
                if not ok or not self._frame(source, gate):
                    self._failed("read failed (stream ended or connection lost)")
                    return got_frames
                got_frames = True
                if self._pace:
                    next_s = max(next_s + period_s, self._monotonic() - period_s)
                    self._stop.wait(max(0.0, next_s - self._monotonic()))
        finally:
            source.release()
        return got_frames

    def _frame(self, source: VideoSource, gate: RateGate) -> bool:
        """Count a grabbed frame; convert and hand it over when analysis is due."""
        now_s = time.time()
        with self._lock:
            self._frames_read += 1
            self._fps_in.tick(now_s)
            self._last_frame_s = now_s
            index = self._frames_read
        if gate.due(self._monotonic()):
            image = source.retrieve()
            if image is None:
                return False
            self._frames.put(Frame(self.camera_id, index, now_s, image))
        return True

    def _failed(self, error: str, **context: float) -> None:
        level = "capture.stalled" if error == "stream stalled" else "capture.disconnected"
        self._log.warning(level, error=error, **context)
        self._set(connected=False, error=error)

    def _set(self, *, connected: bool, error: str) -> None:
        with self._lock:
            self._connected = connected
            self._last_error = error


def default_opener(base_dir: str) -> Opener:
    """The real opener for a config whose relative file paths start at ``base_dir``."""
    return lambda camera: open_source(camera, base_dir)
