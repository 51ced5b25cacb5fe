"""POST /detect/image (and /detect_image): upload validation, 503 without a pipeline, the full flow."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest
from aiohttp import FormData
from web_factories import FixedPipeline

from alprd.config import ServerConfig
from alprd.web.app import create_app
from alprd.web.upload import MAX_IMAGE_PIXELS, image_dimensions


def jpeg(width: int = 320, height: int = 240) -> bytes:
    image = np.zeros((height, width, 3), np.uint8)
    cv2.rectangle(image, (40, 40), (200, 200), (0, 200, 0), -1)
    return cv2.imencode(".jpg", image)[1].tobytes()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height: a decompression bomb in a few bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + b"\x00" * 64


def form(data: bytes, location: str | None = "Gate 1", filename: str = "car.jpg") -> FormData:
    f = FormData()
    f.add_field("file", data, filename=filename, content_type="image/jpeg")
    if location is not None:
        f.add_field("location", location)
    return f


@pytest.fixture
async def piped(aiohttp_client, config, repository):
    pipeline = FixedPipeline()
    client = await aiohttp_client(create_app(config, repository=repository, pipeline=pipeline))
    client.pipeline = pipeline
    return client


@pytest.mark.parametrize("path", ["/detect/image", "/detect_image"])
async def test_detect_image_stores_and_answers_the_example_shape(piped, config, path):
    resp = await piped.post(path, data=form(jpeg()))
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert set(body) >= {
        "timestamp",
        "processing_time",
        "stored_original_path",
        "detected_vehicle_image_path",
        "detected_plate_image_path",
        "image_resolution",
        "session_id",
        "location",
        "list_vehicle_and_plate_information",
    }
    assert len(body["timestamp"]) == len("2025-06-07_12-34-56")
    assert isinstance(body["processing_time"], float) and body["processing_time"] >= 0
    assert body["stored_original_path"].startswith("outputs/uploaded/" + body["timestamp"])
    assert body["stored_original_path"].endswith("_uploaded-image.jpg")
    assert body["detected_vehicle_image_path"].startswith("outputs/vehicles/")
    assert body["detected_vehicle_image_path"].endswith("_vehicle.jpg")
    assert body["detected_plate_image_path"].startswith("outputs/plates/")
    assert body["detected_plate_image_path"].endswith("_plate.jpg")
    assert body["image_resolution"] == "320x240" and body["location"] == "Gate 1"
    first, second = body["list_vehicle_and_plate_information"]
    assert first["vehicle"]["vehicle_class"] == "car" and first["vehicle"]["vehicle_confidence_score"] == 0.98
    assert first["vehicle"]["vehicle_image_path"].startswith("outputs/vehicles/crops/")
    assert first["plate"]["plate_text"] == "B123ABC" and first["plate"]["ocr_confidence"] == 0.97
    assert first["plate"]["plate_image_path"].startswith("outputs/plates/crops/")
    assert second["vehicle"]["vehicle_class"] == "truck" and second["plate"] is None
    outputs_parent = config.resolve(config.storage.outputs_dir).parent
    for rel in (
        body["stored_original_path"],
        body["detected_plate_image_path"],
        body["detected_vehicle_image_path"],
        first["plate"]["plate_image_path"],
    ):
        assert cv2.imread(str(outputs_parent / rel)) is not None, rel
        assert (await piped.get(f"/{rel}")).status == 200
    crop = cv2.imread(str(outputs_parent / first["plate"]["plate_image_path"]))
    assert crop.shape[:2] == (30, 80)
    latest = await (await piped.get("/api/detection/latest")).json()
    assert latest[0]["sessionId"] == body["session_id"] and latest[0]["plateNumber"] == "B123ABC"
    assert latest[0]["algorithm"] == "FixedDetector (test)"  # the pipeline's detector, not a constant


async def test_detect_image_without_location(piped):
    body = await (await piped.post("/detect/image", data=form(jpeg(), location=None))).json()
    assert body["location"] == ""


async def test_no_pipeline_is_503_with_clear_detail(client):
    resp = await client.post("/detect/image", data=form(jpeg()))
    assert resp.status == 503
    assert "pipeline" in (await resp.json())["detail"]


@pytest.mark.parametrize(
    "data, status, needle",
    [
        (b"", 400, "empty"),
        (b"hello, this is not an image at all", 415, "not a supported image"),
        (jpeg()[:300], 400, "decoded"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40, 400, "malformed"),
        (png_header_only(50_000, 50_000), 413, "MP"),
        (png_header_only(0, 10), 400, "impossible"),
    ],
)
async def test_bad_uploads_are_4xx_and_store_nothing(piped, repository, config, data, status, needle):
    resp = await piped.post("/detect/image", data=form(data))
    assert resp.status == status, await resp.text()
    assert needle in (await resp.json())["detail"]
    assert piped.pipeline.calls == 0
    assert repository.latest_session() is None
    assert not config.resolve(config.storage.outputs_dir).exists()


async def test_missing_file_field_is_422(piped):
    resp = await piped.post("/detect/image", data={"location": "Gate 1"})
    assert resp.status == 422
    assert await resp.json() == {"detail": [{"loc": ["body", "file"], "msg": "Field required", "type": "missing"}]}
    resp = await piped.post("/detect/image", json={"file": "x"})
    assert resp.status == 422


async def test_upload_over_limit_is_413(aiohttp_client, config, repository):
    small = config.model_copy(update={"server": ServerConfig(max_upload_mb=0.01)})
    client = await aiohttp_client(create_app(small, repository=repository, pipeline=FixedPipeline()))
    resp = await client.post("/detect/image", data=form(b"\xff\xd8" + b"\x00" * 20_000))
    assert resp.status == 413
    assert "limit" in (await resp.json())["detail"]


def test_header_dimensions_of_every_format():
    image = np.zeros((37, 53, 3), np.uint8)
    for ext in (".jpg", ".png", ".bmp", ".webp"):
        data = cv2.imencode(ext, image)[1].tobytes()
        assert image_dimensions(data) == (53, 37), ext
    assert MAX_IMAGE_PIXELS >= 3840 * 2160
