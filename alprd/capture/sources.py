"""Camera sources: parse a camera's ``source`` string and open it with OpenCV.

Kinds: ``rtsp`` (``rtsp://`` / ``rtsps://``, TCP unless the camera says UDP), ``usb``
(``usb:0`` or ``/dev/video0``, with fourcc/resolution/fps), and ``file`` (a video
file, looped and paced at its own frame rate, for demos and tests).
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from typing import Literal, Protocol

import cv2
import numpy as np

from alprd.config import CameraConfig
from alprd.errors import AlprdError
from alprd.redact import mask_secrets

SourceKind = Literal["rtsp", "usb", "file"]
_USB = re.compile(r"^(?:usb:(\d+)|/dev/video(\d+))$")
# OpenCV reads FFmpeg options from this variable when a capture is opened; opening
# is serialised so that each camera's transport/timeouts apply to its own capture.
_FFMPEG_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
_OPEN_LOCK = threading.Lock()


def quiet_native_logs() -> None:
    """Keep FFmpeg's and OpenCV's own messages off stderr, where alprd writes JSON logs.

    Capture failures are reported by alprd's ``capture.*`` events instead. Called once
    by the composition root; an operator can still set ``OPENCV_FFMPEG_LOGLEVEL``.
    """
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


class CaptureError(AlprdError):
    """A camera could not be opened or stopped delivering frames."""


@dataclass(frozen=True, slots=True)
class SourceSpec:
    kind: SourceKind
    location: str  # URL, file path, or device path
    device_index: int | None = None


def parse_source(source: str) -> SourceSpec:
    """``rtsp://...`` -> rtsp, ``usb:N`` or ``/dev/videoN`` -> usb, anything else -> file."""
    text = source.strip()
    if text.lower().startswith(("rtsp://", "rtsps://")):
        return SourceSpec("rtsp", text)
    usb = _USB.match(text)
    if usb:
        index = int(usb.group(1) or usb.group(2))
        return SourceSpec("usb", f"/dev/video{index}", index)
    return SourceSpec("file", text)


def redact_url(source: str) -> str:
    """The source with ``user:password@`` and password-like parameters masked, safe for
    logs and the API."""
    return mask_secrets(source)


def ffmpeg_options(camera: CameraConfig) -> str:
    """FFmpeg demuxer options for an RTSP camera: transport and socket timeout (µs)."""
    timeout_us = int(camera.read_timeout_s * 1_000_000)
    return f"rtsp_transport;{camera.rtsp_transport}|timeout;{timeout_us}"


class VideoSource(Protocol):
    def grab(self) -> bool:
        """Read and decode the next frame without converting it (cheap)."""
        ...

    def retrieve(self) -> np.ndarray | None:
        """The grabbed frame as a BGR image (colour conversion: only for frames analysed)."""
        ...

    def release(self) -> None: ...
    @property
    def nominal_fps(self) -> float: ...


class OpenCvSource:
    """A ``cv2.VideoCapture`` with the FFmpeg open/read timeouts set; files loop."""

    def __init__(self, capture: cv2.VideoCapture, *, loop: bool) -> None:
        self._capture = capture
        self._loop = loop
        fps = capture.get(cv2.CAP_PROP_FPS)
        self._fps = float(fps) if fps and 1.0 <= fps <= 240.0 else 25.0

    @property
    def nominal_fps(self) -> float:
        return self._fps

    def grab(self) -> bool:
        ok = self._capture.grab()
        if not ok and self._loop:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok = self._capture.grab()
        return ok

    def retrieve(self) -> np.ndarray | None:
        ok, image = self._capture.retrieve()
        return image if ok else None

    def read(self) -> tuple[bool, np.ndarray | None]:
        if not self.grab():
            return False, None
        image = self.retrieve()
        return image is not None, image

    def release(self) -> None:
        self._capture.release()


def open_source(camera: CameraConfig, base_dir: str | os.PathLike[str] = ".") -> OpenCvSource:
    """Open a camera; raises :class:`CaptureError` (source redacted) when it fails."""
    spec = parse_source(camera.source)
    if spec.kind == "rtsp":
        capture = _open_rtsp(spec.location, camera)
    elif spec.kind == "usb":
        capture = _open_usb(spec, camera)
    else:
        path = spec.location if os.path.isabs(spec.location) else os.path.join(base_dir, spec.location)
        if not os.path.isfile(path):
            raise CaptureError(f"video file not found: {path}")
        capture = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        raise CaptureError(f"cannot open {redact_url(camera.source)}")
    return OpenCvSource(capture, loop=spec.kind == "file")


def _open_rtsp(url: str, camera: CameraConfig) -> cv2.VideoCapture:
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(camera.open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(camera.read_timeout_s * 1000),
    ]
    with _OPEN_LOCK:
        previous = os.environ.get(_FFMPEG_OPTIONS_ENV)
        os.environ[_FFMPEG_OPTIONS_ENV] = ffmpeg_options(camera)
        try:
            return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        finally:
            if previous is None:
                os.environ.pop(_FFMPEG_OPTIONS_ENV, None)
            else:
                os.environ[_FFMPEG_OPTIONS_ENV] = previous


def _open_usb(spec: SourceSpec, camera: CameraConfig) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(spec.device_index or 0, cv2.CAP_V4L2)
    for prop, value in usb_settings(camera):
        capture.set(prop, value)
    return capture


def usb_settings(camera: CameraConfig) -> list[tuple[int, float]]:
    """(property, value) pairs applied to a USB camera, fourcc first (V4L2 order)."""
    settings: list[tuple[int, float]] = []
    if camera.usb_fourcc:
        settings.append((cv2.CAP_PROP_FOURCC, float(cv2.VideoWriter.fourcc(*camera.usb_fourcc))))
    if camera.width:
        settings.append((cv2.CAP_PROP_FRAME_WIDTH, float(camera.width)))
    if camera.height:
        settings.append((cv2.CAP_PROP_FRAME_HEIGHT, float(camera.height)))
    if camera.fps:
        settings.append((cv2.CAP_PROP_FPS, float(camera.fps)))
    return settings
