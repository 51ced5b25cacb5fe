"""Retention and the event writer over a real SQLite file and real image files."""

import time
from datetime import datetime, timedelta

import numpy as np
import pytest

from alprd.domain.messages import Box, Detection, Frame, OcrResult, PlateEvent, PlateRead
from alprd.domain.packs import load_pack
from alprd.storage.db import open_database
from alprd.storage.files import ImageStore
from alprd.storage.repository import Repository
from alprd.storage.retention import enforce_retention, folder_bytes, start_retention
from alprd.storage.writer import EventWriter


@pytest.fixture
def repo(database_target):
    db = open_database(database_target)
    yield Repository(db, load_pack("id"))
    db.close()


def event(text: str, when: datetime, seed: int = 0) -> PlateEvent:
    image = np.random.default_rng(seed).integers(0, 255, (240, 320, 3), dtype=np.uint8)
    read = PlateRead(Detection(Box(100, 100, 200, 130), 0.9, "plate"), OcrResult(text, 0.95))
    t = when.timestamp()
    return PlateEvent(
        "gate1", 1, "final", text, 0.95, read, Frame("gate1", 1, t, image), t - 2, t, 5, location="Gate A"
    )


def store_events(repo, store, events):
    writer = EventWriter(repo, store, annotate=lambda img, _r: img[::2, ::2].copy()).start()
    for e in events:
        assert writer.submit(e)
    writer.close()
    assert writer.stored == len(events) and writer.failed == 0


def count(repo) -> int:
    return repo.db.execute_sql("SELECT COUNT(*) FROM detection_session").fetchone()[0]


def test_writer_stores_rows_and_images(repo, tmp_path):
    store = ImageStore(tmp_path / "outputs")
    store_events(repo, store, [event("B1234XYZ", datetime.now(), 1), event("D77AB", datetime.now(), 2)])
    assert count(repo) == 2
    files = [p for p in (tmp_path / "outputs").rglob("*.jpg")]
    assert len(files) >= 6  # original, annotated, vehicle link, plate crop per event
    texts = {r[0] for r in repo.db.execute_sql("SELECT plate_text FROM plate")}
    assert texts == {"B1234XYZ", "D77AB"}


def test_expired_sessions_and_their_files_go(repo, tmp_path):
    store = ImageStore(tmp_path / "outputs")
    now = datetime.now()
    store_events(repo, store, [event("B1OLD", now - timedelta(days=40), 1), event("B2NEW", now - timedelta(days=1), 2)])
    before = len(list((tmp_path / "outputs").rglob("*.jpg")))
    report = enforce_retention(repo, store, retention_days=30, outputs_max_bytes=10**9, now=now)
    assert count(repo) == 1
    assert {r[0] for r in repo.db.execute_sql("SELECT plate_text FROM plate")} == {"B2NEW"}
    assert report.expired_sessions_files >= 3
    assert len(list((tmp_path / "outputs").rglob("*.jpg"))) == before - report.expired_sessions_files


def test_size_cap_deletes_oldest_first(repo, tmp_path):
    store = ImageStore(tmp_path / "outputs")
    now = datetime.now()
    store_events(repo, store, [event(f"B{i}XY", now - timedelta(hours=10 - i), i) for i in range(8)])
    total = folder_bytes(tmp_path / "outputs")
    cap = total // 2
    report = enforce_retention(repo, store, retention_days=30, outputs_max_bytes=cap, now=now)
    assert report.outputs_bytes <= cap and report.capped_sessions >= 3
    left = sorted(r[0] for r in repo.db.execute_sql("SELECT plate_text FROM plate"))
    assert left == [f"B{i}XY" for i in range(8 - len(left), 8)]  # the newest survive


def test_scheduler_runs_the_job_at_start(repo, tmp_path):
    store = ImageStore(tmp_path / "outputs")
    store_events(repo, store, [event("B1OLD", datetime.now() - timedelta(days=400), 1)])
    scheduler = start_retention(repo, store, retention_days=90, outputs_max_mb=100, interval_s=3600)
    try:
        deadline = time.monotonic() + 10
        while count(repo) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    assert count(repo) == 0
