"""Source parsing, URL redaction, FFmpeg options, USB settings; a real looped file."""

import os

import cv2
import numpy as np
import pytest

from alprd.capture.sources import (
    CaptureError,
    SourceSpec,
    ffmpeg_options,
    open_source,
    parse_source,
    redact_url,
    usb_settings,
)
from alprd.config import CameraConfig


@pytest.mark.parametrize(
    "source,expected",
    [
        ("rtsp://cam.local:554/stream1", SourceSpec("rtsp", "rtsp://cam.local:554/stream1")),
        ("RTSP://u:p@10.0.0.2/h264", SourceSpec("rtsp", "RTSP://u:p@10.0.0.2/h264")),
        ("usb:0", SourceSpec("usb", "/dev/video0", 0)),
        ("usb:3", SourceSpec("usb", "/dev/video3", 3)),
        ("/dev/video2", SourceSpec("usb", "/dev/video2", 2)),
        ("clips/sample.mkv", SourceSpec("file", "clips/sample.mkv")),
        ("/dev/videox", SourceSpec("file", "/dev/videox")),
    ],
)
def test_parse_source(source, expected):
    assert parse_source(source) == expected


@pytest.mark.parametrize(
    "url,expected",
    [
        ("rtsp://admin:s3cret@10.0.0.2:554/h264", "rtsp://***@10.0.0.2:554/h264"),
        ("rtsp://admin@10.0.0.2/x", "rtsp://***@10.0.0.2/x"),
        ("rtsp://a:b:c@d@host/x?y=1", "rtsp://***@host/x?y=1"),
        ("rtsp://10.0.0.2/h264", "rtsp://10.0.0.2/h264"),
        ("usb:0", "usb:0"),
        ("clips/a.mkv", "clips/a.mkv"),
    ],
)
def test_redact_url(url, expected):
    assert redact_url(url) == expected
    assert "s3cret" not in redact_url(url)


def test_ffmpeg_options_tcp_default_and_timeout_in_microseconds():
    cam = CameraConfig(source="rtsp://h/x", read_timeout_s=2.5)
    assert ffmpeg_options(cam) == "rtsp_transport;tcp|timeout;2500000"
    assert ffmpeg_options(cam.model_copy(update={"rtsp_transport": "udp"})).startswith("rtsp_transport;udp|")


def test_usb_settings_fourcc_first():
    cam = CameraConfig(source="usb:0", usb_fourcc="MJPG", width=1280, height=720, fps=30)
    props = [p for p, _ in usb_settings(cam)]
    assert props == [cv2.CAP_PROP_FOURCC, cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT, cv2.CAP_PROP_FPS]
    assert usb_settings(CameraConfig(source="usb:0")) == []


def test_missing_file_is_a_capture_error(tmp_path):
    with pytest.raises(CaptureError, match="not found"):
        open_source(CameraConfig(source="nope.mkv"), tmp_path)


def test_unreachable_rtsp_fails_within_open_timeout():
    cam = CameraConfig(source="rtsp://user:pw@127.0.0.1:9/none", open_timeout_s=2, read_timeout_s=2)
    with pytest.raises(CaptureError) as err:
        open_source(cam)
    assert "pw" not in str(err.value)


def test_file_source_loops(tmp_path):
    path = tmp_path / "five.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for i in range(5):
        writer.write(np.full((48, 64, 3), i * 50, np.uint8))
    writer.release()
    source = open_source(CameraConfig(source="five.avi"), tmp_path)
    try:
        assert source.nominal_fps == pytest.approx(10)
        levels = [int(source.read()[1].mean()) for _ in range(12)]
    finally:
        source.release()
    assert len(levels) == 12  # read past the end: it looped
    assert levels[5] == levels[0] and levels[10] == levels[0]


def test_an_rtsp_open_hands_its_timeouts_to_ffmpeg(monkeypatch):
    """FFmpeg enforces open_timeout_s and read_timeout_s itself (its own clock): what alprd
    controls, and this checks, is that both reach it, as OpenCV's open parameters and as the
    demuxer's socket timeout, and that a failed open is a CaptureError."""
    opened = []

    class FakeCapture:
        def __init__(self, url, api, params):
            opened.append((url, api, list(params), os.environ.get("OPENCV_FFMPEG_CAPTURE_OPTIONS")))

        def isOpened(self):  # noqa: N802 (OpenCV's name)
            return False

        def release(self):
            pass

    monkeypatch.setattr(cv2, "VideoCapture", FakeCapture)
    cam = CameraConfig(source="rtsp://127.0.0.1:1/x", open_timeout_s=2, read_timeout_s=3, rtsp_transport="tcp")
    with pytest.raises(CaptureError):
        open_source(cam)
    assert opened == [
        (
            "rtsp://127.0.0.1:1/x",
            cv2.CAP_FFMPEG,
            [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 2000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 3000],
            "rtsp_transport;tcp|timeout;3000000",
        )
    ]


def test_a_silent_rtsp_server_makes_open_fail():
    """A server that accepts TCP but never answers RTSP: open gives up (FFmpeg's timeout)
    with a CaptureError. The join bound only catches a hang; nothing is timed."""
    import socket
    import threading

    outcome: list[BaseException | None] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        cam = CameraConfig(source=f"rtsp://127.0.0.1:{port}/x", open_timeout_s=2, read_timeout_s=2)

        def attempt() -> None:
            try:
                open_source(cam).release()
                outcome.append(None)
            except CaptureError as exc:
                outcome.append(exc)

        opener = threading.Thread(target=attempt, daemon=True)
        opener.start()
        opener.join(120)
    assert not opener.is_alive(), "open_source hung on a silent server"
    assert len(outcome) == 1 and isinstance(outcome[0], CaptureError)
