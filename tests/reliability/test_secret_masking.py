"""Camera passwords never leave the box: not in the API, not in logs, not in errors,
whether they sit in ``user:pass@`` or in the RTSP query string."""

from __future__ import annotations

import io
import json
import sys
import time
from functools import partial

import pytest
import structlog

from alprd.capture.reader import CameraReader, default_opener
from alprd.capture.sources import redact_url
from alprd.config import CameraConfig
from alprd.gate.lines import GateLines
from alprd.log import configure_logging, get_logger
from alprd.redact import mask_secrets
from alprd.web.app import create_app

SECRET = "hunter2-Sx9"


@pytest.mark.parametrize(
    "source",
    [
        f"rtsp://admin:{SECRET}@10.0.0.9:554/stream1",
        f"rtsp://10.0.0.9:554/cam/realmonitor?channel=1&user=admin&password={SECRET}",
        f"rtsp://10.0.0.9/live?pwd={SECRET}&subtype=0",
        f"rtsp://10.0.0.9/live;user=admin;pass={SECRET}",
        f"rtsps://10.0.0.9/x?token={SECRET}",
        f"http://10.0.0.9/video.mjpg?PassWord={SECRET}#frag",
        f"rtsp://u:{SECRET}@10.0.0.9/a?passwd={SECRET}",
    ],
)
def test_redact_url_masks_userinfo_and_query_secrets(source):
    masked = redact_url(source)
    assert SECRET not in masked
    assert "10.0.0.9" in masked  # still says which camera it is
    assert SECRET not in mask_secrets(f"cannot open {source}: Connection refused")


def test_text_without_secrets_is_unchanged():
    for text in ("rtsp://10.0.0.9/stream?channel=1", "usb:0", "/dev/video0", "videos/gate.mp4", "no frames"):
        assert redact_url(text) == text and mask_secrets(text) == text


def test_log_lines_are_masked_whatever_the_key(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    configure_logging("json")
    try:
        log = get_logger("alprd.test")
        log.info("capture.opening", source=f"rtsp://cam/x?user=admin&password={SECRET}")
        log.warning("capture.disconnected", error=f"cannot open rtsp://admin:{SECRET}@cam/x", extra=[f"?pwd={SECRET}"])
        try:
            raise RuntimeError(f"ffmpeg: rtsp://cam/x?password={SECRET} failed")
        except RuntimeError:
            log.exception("camera.crashed")
    finally:
        structlog.reset_defaults()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and all(json.loads(line) for line in lines)
    assert SECRET not in out.getvalue()


async def test_detect_lines_and_logs_never_show_a_query_string_password(
    aiohttp_client, config, repository, tmp_path, monkeypatch
):
    """A real camera line that cannot connect: its state, errors and logs stay clean."""
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    configure_logging("json")
    source = f"rtsp://127.0.0.1:9/cam?user=admin&password={SECRET}"
    camera = CameraConfig(source=source, open_timeout_s=1, read_timeout_s=1, reconnect_min_s=0.1, reconnect_max_s=0.2)
    capture = partial(CameraReader, opener=default_opener(str(tmp_path)))
    lines = GateLines(reader=None, sink=lambda e: e, capture=capture)  # type: ignore[arg-type]
    lines.start({"gate1": camera})
    try:
        client = await aiohttp_client(create_app(config, repository=repository, lines=lines))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not lines.states()[0].last_error:
            time.sleep(0.1)
        body = await (await client.get("/api/detect/lines")).text()
    finally:
        lines.stop()
        structlog.reset_defaults()
    assert "127.0.0.1:9/cam" in body and "last_error" in body
    assert json.loads(body)[0]["last_error"], "the camera never failed: the test proves nothing"
    assert SECRET not in body
    assert "capture." in out.getvalue() and SECRET not in out.getvalue()
