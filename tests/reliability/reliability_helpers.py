"""Helpers of the reliability suite (a module name no other test folder uses)."""

from __future__ import annotations

import http.client
import json
import uuid
from pathlib import Path

import cv2
import numpy as np

from alprd.config import Config, ServerConfig, StorageConfig
from alprd.domain.messages import Box, Detection, ImageResult, OcrResult, PlateRead

DASHBOARD = "http://dashboard.lan"
EVIL = "http://evil.example"


def make_config(tmp_path: Path, **server) -> Config:
    (tmp_path / "static").mkdir(exist_ok=True)
    return Config(
        server=ServerConfig(static_dir=Path("static"), **server),
        storage=StorageConfig(database=Path("data/alprd.db"), outputs_dir=Path("outputs")),
        base_dir=tmp_path,
    )


class StubPipeline:
    """A stand-in plate reader: one car with one plate, whatever the image."""

    algorithm = "stub"

    def read_image(self, image: np.ndarray) -> ImageResult:
        h, w = image.shape[:2]
        car = Detection(Box(4, 4, w - 4, h - 4), 0.9, "car")
        read = PlateRead(
            plate=Detection(Box(8, 8, 40, 20), 0.8, "plate"),
            ocr=OcrResult("B1234CD", 0.95),
            vehicle=car,
            text_color="White",
            background_color="Black",
        )
        return ImageResult(w, h, (car,), (read,))

    def annotate(self, image: np.ndarray, result: ImageResult) -> np.ndarray:
        return image.copy()


def jpeg(width: int = 64, height: int = 48) -> bytes:
    rng = np.random.default_rng(width * height)
    ok, buf = cv2.imencode(".jpg", rng.integers(0, 255, (height, width, 3), np.uint8))
    assert ok
    return buf.tobytes()


def upload(port: int, body: bytes) -> dict | None:
    """One multipart upload; the answer's JSON when acknowledged (200), else None."""
    status, payload = upload_status(port, body)
    return json.loads(payload) if status == 200 else None


def upload_status(port: int, body: bytes, timeout_s: float = 30) -> tuple[int | None, bytes]:
    """One multipart ``POST /detect/image`` of ``body``: (status, answer); (None, b"") when
    the connection failed."""
    boundary = uuid.uuid4().hex
    data = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="car.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request("POST", "/detect/image", data, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    except (OSError, http.client.HTTPException):
        return None, b""
    finally:
        conn.close()
