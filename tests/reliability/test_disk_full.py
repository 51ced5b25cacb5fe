"""A full disk: every write answers 507 (never 500), camera events are kept (stored without
images, or held and retried), and everything works again once space returns."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from aiohttp import FormData
from fullfs import SmallFilesystem
from reliability_helpers import StubPipeline, jpeg

from alprd.config import Config, ServerConfig, StorageConfig
from alprd.domain.messages import Box, Detection, Frame, OcrResult, PlateEvent, PlateRead
from alprd.storage.files import ImageStore
from alprd.storage.repository import open_repository
from alprd.storage.writer import EventWriter
from alprd.web.app import create_app


@pytest.fixture
def disk(tmp_path: Path):
    fs = SmallFilesystem(tmp_path / "small", size_kib=2048).mount()
    yield fs
    fs.unmount()


def _config(tmp_path: Path, db_dir: Path, outputs_dir: Path) -> Config:
    return Config(
        server=ServerConfig(),
        storage=StorageConfig(database=db_dir / "alprd.db", outputs_dir=outputs_dir),
        base_dir=tmp_path,
    )


def _truncate_wal(repo) -> None:
    """Empty the WAL so that the next write needs new disk space."""
    repo.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _upload() -> FormData:
    form = FormData()
    form.add_field("file", jpeg(96, 64), filename="car.jpg", content_type="image/jpeg")
    return form


async def test_every_api_write_answers_507_on_a_full_database_disk_and_recovers(aiohttp_client, tmp_path, disk):
    cfg = _config(tmp_path, disk.path, tmp_path / "outputs")  # images fit, the database does not
    repo = open_repository(cfg)
    client = await aiohttp_client(create_app(cfg, repository=repo, pipeline=StubPipeline()))
    assert (await client.post("/detect/image", data=_upload())).status == 200
    _truncate_wal(repo)
    disk.fill()
    writes = [
        ("POST", "/api/plate-status", {"json": {"plate_text": "B1234CD", "status_type": "whitelist"}}),
        ("POST", "/api/locations/", {"json": {"name": "Gate 9"}}),
        ("PUT", "/api/sessions/1", {"json": {"notes": "checked"}}),
        ("POST", "/detect/image", {"data": _upload()}),
    ]
    for method, path, kwargs in writes:
        resp = await client.request(method, path, **kwargs)
        assert resp.status == 507, (method, path, resp.status, await resp.text())
        assert "full" in (await resp.json())["detail"]
    assert len(list((tmp_path / "outputs" / "uploaded").glob("*.jpg"))) == 1  # the refused upload left no file
    disk.free()
    for method, path, kwargs in writes[:3] + [("POST", "/detect/image", {"data": _upload()})]:
        resp = await client.request(method, path, **kwargs)
        assert resp.status == 200, (method, path, resp.status, await resp.text())
    assert repo.db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    repo.db.close()


async def test_upload_answers_507_when_the_images_do_not_fit(aiohttp_client, tmp_path, disk):
    cfg = _config(tmp_path, tmp_path / "data", disk.path / "outputs")
    repo = open_repository(cfg)
    client = await aiohttp_client(create_app(cfg, repository=repo, pipeline=StubPipeline()))
    disk.fill()
    resp = await client.post("/detect/image", data=_upload())
    assert resp.status == 507
    assert repo.db.execute_sql("SELECT COUNT(*) FROM detection_session").fetchone()[0] == 0
    repo.db.close()


def _event(text: str, seed: int) -> PlateEvent:
    image = np.random.default_rng(seed).integers(0, 255, (240, 320, 3), dtype=np.uint8)
    read = PlateRead(Detection(Box(100, 100, 200, 130), 0.9, "plate"), OcrResult(text, 0.95))
    t = datetime.now().timestamp()
    return PlateEvent("gate1", 1, "final", text, 0.95, read, Frame("gate1", 1, t, image), t - 2, t, 5)


def _plates(repo) -> list[tuple[str, str]]:
    return repo.db.execute_sql("SELECT plate_text, image_path FROM plate ORDER BY id").fetchall()


def test_camera_events_are_stored_without_images_when_the_outputs_disk_is_full(tmp_path, disk):
    cfg = _config(tmp_path, tmp_path / "data", disk.path / "outputs")
    repo = open_repository(cfg)
    writer = EventWriter(repo, ImageStore(disk.path / "outputs"), annotate=None).start()
    disk.fill()
    for i, text in enumerate(("B1AA", "B2BB", "B3CC")):
        assert writer.submit(_event(text, i))
    assert writer.flush(timeout_s=60)
    assert [p[0] for p in _plates(repo)] == ["B1AA", "B2BB", "B3CC"]
    assert all(p[1] == "" for p in _plates(repo))
    assert (writer.stored, writer.stored_without_images, writer.failed) == (3, 3, 0)
    disk.free()
    assert writer.submit(_event("B4DD", 4))
    writer.close()
    assert _plates(repo)[-1][0] == "B4DD" and _plates(repo)[-1][1].endswith(".jpg")
    repo.db.close()


def test_camera_events_wait_for_a_full_database_disk_and_are_stored_when_space_returns(tmp_path, disk):
    cfg = _config(tmp_path, disk.path, tmp_path / "outputs")
    repo = open_repository(cfg)
    writer = EventWriter(repo, ImageStore(tmp_path / "outputs"), annotate=None, retry_interval_s=3600).start()
    _truncate_wal(repo)
    disk.fill()
    for i, text in enumerate(("B1AA", "B2BB")):
        assert writer.submit(_event(text, i))
    assert writer.flush(timeout_s=60)
    assert (writer.stored, writer.deferred, writer.failed) == (0, 2, 0)
    assert list((tmp_path / "outputs").rglob("*.jpg")) == []  # no images without rows
    disk.free()
    assert writer.flush(timeout_s=60)  # a flush retries the held events
    assert [p[0] for p in _plates(repo)] == ["B1AA", "B2BB"]
    assert (writer.stored, writer.deferred, writer.failed) == (2, 0, 0)
    writer.close()
    assert repo.db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    repo.db.close()
