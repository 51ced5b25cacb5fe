"""Fixtures of the reliability suite: the real app on a real SQLite file in tmp_path.

These tests attack the daemon the way a hostile LAN page, a broken client or a full
disk would; each one failed on main before its fix (issue 15).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from alprd.config import Config, ServerConfig, StorageConfig
from alprd.domain.messages import Box, Detection, ImageResult, OcrResult, PlateRead
from alprd.storage.repository import Repository, open_repository
from alprd.web.app import create_app

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


@pytest.fixture(autouse=True)
def _no_env_keys(monkeypatch):
    monkeypatch.delenv("ALPRD_API_KEY", raising=False)
    monkeypatch.delenv("ALPRD_READ_KEY", raising=False)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def repository(config: Config) -> Repository:
    repo = open_repository(config)
    yield repo
    repo.db.close()


@pytest.fixture
async def client(aiohttp_client, config, repository):
    return await aiohttp_client(create_app(config, repository=repository, pipeline=StubPipeline()))
