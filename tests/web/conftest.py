"""Fixtures of the REST tests: a real SQLite file (or PostgreSQL database: ``pg_url``) and image
folder in tmp_path, the real app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from alprd.config import Config, ServerConfig, StorageConfig
from alprd.domain.messages import ImageResult
from alprd.storage.files import ImageStore
from alprd.storage.repository import Repository, open_repository
from alprd.web.app import create_app


@pytest.fixture
def config(tmp_path: Path, pg_url: str | None) -> Config:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "hello.txt").write_text("hello")
    return Config(
        server=ServerConfig(static_dir=Path("static"), cors_origins=("http://dashboard.lan",)),
        storage=StorageConfig(database=pg_url or Path("data/alprd.db"), outputs_dir=Path("outputs")),
        base_dir=tmp_path,
    )


@pytest.fixture
def repository(config: Config) -> Repository:
    repo = open_repository(config)
    yield repo
    repo.db.close()


@pytest.fixture
def image_store(config: Config) -> ImageStore:
    return ImageStore(config.resolve(config.storage.outputs_dir))


@pytest.fixture
def seed(repository: Repository, image_store: ImageStore) -> Callable[..., int]:
    """Store an ImageResult with real image files, as POST /detect/image does; returns the session id."""

    def _seed(
        result: ImageResult, *, location: str = "Gate 1", when: datetime | None = None, processing_time_s: float = 0.25
    ) -> int:
        image = np.full((result.height, result.width, 3), 127, np.uint8)
        when = when or datetime.now()
        images = image_store.save_result(image, result, annotated=image, when=when)
        session_id = repository.save_image_result(
            result, images, location=location, detected_at=when, processing_time_s=processing_time_s
        )
        image_store.settle(images)
        return session_id

    return _seed


@pytest.fixture
async def client(aiohttp_client, config, repository):
    return await aiohttp_client(create_app(config, repository=repository))
