"""/api/detect/lines and /api/detect/line/{line_id}/test through a LinesProvider."""

from __future__ import annotations

import time

import cv2
import numpy as np
from web_factories import make_result

from alprd.domain.messages import Box, CameraState, Detection, Frame, ImageResult, OcrResult, PlateEvent, PlateRead
from alprd.errors import NotFoundError
from alprd.web.app import create_app
from alprd.web.ports import LinesProvider


class TwoLines:
    """Gate lines as the daemon's GateLines reports them (one connected with a last event)."""

    def __init__(self) -> None:
        now = time.time()
        read = PlateRead(Detection(Box(1, 1, 9, 5), 0.9, "plate"), OcrResult("B1234ABC", 0.95))
        event = PlateEvent(
            "gate1",
            1,
            "final",
            "B1234ABC",
            0.95,
            read,
            Frame("gate1", 5, now, np.zeros((4, 4, 3), np.uint8)),
            now - 2,
            now,
            4,
            list_status="whitelist",
            location="Gate 1",
        )
        self._states = [
            CameraState(
                "gate1",
                "Entry cam",
                "Gate 1",
                "rtsp://cam1/stream",
                True,
                25.0,
                5.0,
                3,
                last_frame_s=now,
                last_event=event,
                frames_detected=40,
                frames_skipped_no_motion=60,
                events_unsure_dropped=2,
                events_duplicates_merged=1,
            ),
            CameraState("gate2", "Exit cam", "Gate 2", "usb:0", False, 0.0, 0.0, 0, last_error="no frames"),
        ]

    def states(self) -> list[CameraState]:
        return list(self._states)

    async def test_line(self, line_id: str) -> tuple[CameraState, ImageResult]:
        for state in self._states:
            if state.camera_id == line_id:
                return state, make_result(("D55XY", "car"), plateless=1)
        raise NotFoundError(f"Line {line_id} not found")

    def latest_frame(self, line_id: str) -> Frame | None:
        if line_id == "gate1":  # a gradient, so a decoded frame can be compared with it
            image = np.tile(np.arange(0, 240, 2, dtype=np.uint8)[None, :, None], (90, 1, 3))
            return Frame("gate1", 7, time.time(), image)
        if line_id == "gate2":
            return None  # not connected: no frame yet
        raise NotFoundError(f"Line {line_id} not found")


def test_fake_is_a_lines_provider():
    assert isinstance(TwoLines(), LinesProvider)


async def test_lines_list_states_and_latest_plate(aiohttp_client, config, repository):
    client = await aiohttp_client(create_app(config, repository=repository, lines=TwoLines()))
    lines = await (await client.get("/api/detect/lines")).json()
    assert [x["line_id"] for x in lines] == ["gate1", "gate2"]
    first, second = lines
    assert first["connected"] is True and first["fps_analysed"] == 5.0 and first["frames_dropped"] == 3
    assert first["latest_plate"] == "B1234ABC" and first["latest_plate_status"] == "whitelist"
    assert len(first["last_frame_at"]) == 19
    assert (first["frames_detected"], first["frames_skipped_no_motion"]) == (40, 60)
    assert (first["events_unsure_dropped"], first["events_duplicates_merged"]) == (2, 1)
    assert second["connected"] is False and second["last_error"] == "no frames"
    assert second["events_unsure_dropped"] == 0
    assert second["latest_plate"] is None and second["last_frame_at"] is None


async def test_line_test_returns_result_without_storing(aiohttp_client, config, repository):
    client = await aiohttp_client(create_app(config, repository=repository, lines=TwoLines()))
    resp = await client.get("/api/detect/line/gate1/test")
    assert resp.status == 200
    body = await resp.json()
    assert body["line"]["line_id"] == "gate1" and body["image_resolution"] == "400x200"
    pairs = body["list_vehicle_and_plate_information"]
    assert pairs[0]["plate"]["plate_text"] == "D55XY" and pairs[0]["vehicle"]["vehicle_class"] == "car"
    assert pairs[1]["plate"] is None and pairs[1]["vehicle"]["vehicle_class"] == "truck"
    assert repository.latest_session() is None  # nothing stored
    missing = await client.get("/api/detect/line/gate9/test")
    assert missing.status == 404 and await missing.json() == {"detail": "Line gate9 not found"}


async def test_line_frame_is_the_latest_frame_as_jpeg(aiohttp_client, config, repository):
    lines = TwoLines()
    client = await aiohttp_client(create_app(config, repository=repository, lines=lines))
    resp = await client.get("/api/detect/line/gate1/frame")
    assert resp.status == 200 and resp.content_type == "image/jpeg"
    decoded = cv2.imdecode(np.frombuffer(await resp.read(), np.uint8), cv2.IMREAD_COLOR)
    expected = lines.latest_frame("gate1").image
    assert decoded.shape == expected.shape
    assert np.abs(decoded.astype(int) - expected.astype(int)).mean() < 3  # JPEG, lossy but the same picture
    none_yet = await client.get("/api/detect/line/gate2/frame")
    assert none_yet.status == 503 and "no frame yet" in (await none_yet.json())["detail"]
    missing = await client.get("/api/detect/line/gate9/frame")
    assert missing.status == 404 and await missing.json() == {"detail": "Line gate9 not found"}
    documented = (await (await client.get("/openapi.json")).json())["paths"]["/api/detect/line/{line_id}/frame"]
    assert documented["get"]["responses"]["200"]["content"] == {
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}}
    }
    assert {"404", "503"} <= set(documented["get"]["responses"])


async def test_without_lines_provider(client):
    assert await (await client.get("/api/detect/lines")).json() == []
    resp = await client.get("/api/detect/line/gate1/test")
    assert resp.status == 404 and "gate1" in (await resp.json())["detail"]
    frame = await client.get("/api/detect/line/gate1/frame")
    assert frame.status == 404 and "gate1" in (await frame.json())["detail"]
