"""Source parsing, URL redaction, FFmpeg options, USB settings; a real looped file."""

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


def test_a_silent_rtsp_server_fails_within_open_timeout():
    """A server that accepts TCP but never answers RTSP: open gives up after open_timeout_s."""
    import socket
    import time

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        cam = CameraConfig(source=f"rtsp://127.0.0.1:{port}/x", open_timeout_s=2, read_timeout_s=2)
        started = time.monotonic()
        with pytest.raises(CaptureError):
            open_source(cam)
        elapsed = time.monotonic() - started
    assert 1.0 <= elapsed <= 6.0
