"""The held-events file (fleet mode): events a gate could not store while its PostgreSQL
server was down survive a restart of the gate, and are then stored in order, each once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from alprd.config import Config, StorageConfig
from alprd.daemon import refresh_lists, start_lists
from alprd.domain.messages import Box, Detection, OcrResult
from alprd.errors import StorageUnavailableError
from alprd.storage.files import StoredImages
from alprd.storage.held import Held, HeldFile, decode_event, encode_event
from alprd.storage.repository import Repository
from alprd.storage.startup import open_held_file, open_storage
from alprd.storage.writer import EventWriter, without_pixels
from tests.pg_server import wants_postgres
from tests.storage.test_retention import event


def test_an_event_reads_back_as_it_was_written_without_its_pixels(tmp_path):
    base = event("B1234XYZ", datetime(2026, 5, 1, 8, 0), seed=3)
    read = replace(
        base.read,
        ocr=OcrResult("B1234XYZ", 0.9, (0.9, 0.8), (("B1234XYZ", 0.9), ("B1284XYZ", 0.1)), "ppocr"),
        vehicle=Detection(Box(10, 20, 300, 230), 0.8, "car"),
        region_code="B",
        region_name="Jakarta",
        background_color="white",
    )
    original = without_pixels(replace(base, read=read, direction="entry", list_status="whitelist"))
    back = decode_event(encode_event(original))
    assert back == original  # every field but the pixels (Frame.image is compare=False)
    assert back.frame.image.shape == (240, 320, 3) and back.frame.image.dtype == np.uint8
    assert back.result() == original.result()  # what the writer stores

    held = HeldFile(tmp_path / "held.db")
    images = StoredImages(original="outputs/a.jpg", plate_crops=("outputs/b.jpg",), journal="x.paths")
    held.append(Held(original, images, "k1", "database unreachable"))
    held.append(Held(original, StoredImages(), "k2", "database unreachable"))
    held.append(Held(original, StoredImages(), "k1", "database unreachable"))  # a key is kept once
    held.close()
    again = HeldFile(tmp_path / "held.db")
    assert [(h.key, h.images.all_paths()) for h in again.load()] == [("k1", images.all_paths()), ("k2", [])]
    assert again.image_paths() == {"outputs/a.jpg", "outputs/b.jpg"}
    again.remove("k1")
    assert len(again) == 1
    again.close()


def test_a_sqlite_gate_has_no_held_file(tmp_path):
    config = Config(storage=StorageConfig(database=Path("data/alprd.db")), base_dir=tmp_path)
    assert open_held_file(config) is None and not (tmp_path / "data" / "held-events.db").exists()


@pytest.mark.skipif(not wants_postgres(), reason="needs the PostgreSQL pass (ALPRD_TEST_DATABASE)")
def test_held_events_survive_a_restart_and_are_stored_once_in_order(tmp_path):
    """The server stops, three events are held, the gate stops (its writer, database and
    file closed) and starts again over the same files once the server is back: the three
    are stored first, in order, with their images, each once; a replay of a stored key
    (a crash between the commit and the file's delete) stores nothing."""
    from tests.pg_server import running_server

    texts = ["B1AA", "B2BB", "B3CC", "B4DD", "B5EE"]
    at = [event(t, datetime(2026, 5, 1, 8, i), seed=i) for i, t in enumerate(texts)]
    with running_server() as server:  # its own: this test stops it
        storage = StorageConfig(database=server.new_database(), busy_timeout_ms=2000, gate="north")
        config = Config(storage=storage, base_dir=tmp_path)

        def start() -> tuple[HeldFile, Repository, EventWriter]:
            held = open_held_file(config)
            assert held is not None
            repo, store = open_storage(config, held)
            return held, repo, EventWriter(repo, store, annotate=None, retry_interval_s=3600, held_file=held)

        held, repo, writer = start()
        writer.start()
        assert writer.submit(at[0]) and writer.flush()
        server.stop()
        for e in at[1:4]:
            assert writer.submit(e)
        assert writer.flush() and (writer.stored, writer.deferred) == (1, 3)
        writer.close()
        held.close()
        repo.db.close()
        assert len(HeldFile(tmp_path / "data" / "held-events.db")) == 3

        server.start()
        held, repo, writer = start()  # open_storage kept the held events' images (an original and a crop each)
        waiting = held.image_paths()
        assert len(waiting) == 6 and all((tmp_path / p).is_file() for p in waiting)
        writer.start()
        assert writer.submit(at[4]) and writer.flush()
        assert (writer.stored, writer.deferred, writer.failed, len(held)) == (4, 0, 0, 0)
        writer.close()
        db = repo.db
        rows = db.execute_sql("SELECT plate_text, image_path, gate FROM plate ORDER BY id").fetchall()
        assert [r[0] for r in rows] == texts and {r[2] for r in rows} == {"north"}
        assert all(path and (tmp_path / path).is_file() for _, path, _ in rows)
        keys = [r[0] for r in db.execute_sql("SELECT event_key FROM detection_session ORDER BY id")]
        assert len(set(keys)) == 5

        held.append(Held(without_pixels(at[1]), StoredImages(), keys[1], "database unreachable"))
        held.close()
        db.close()
        held, repo, writer = start()
        writer.start()
        assert writer.flush() and (writer.stored, len(held)) == (1, 0)  # the key was found, nothing new
        writer.close()
        assert repo.db.execute_sql("SELECT COUNT(*) FROM detection_session").fetchone()[0] == 5
        held.close()
        repo.db.close()


def test_a_gate_without_its_server_starts_with_the_lists_it_last_read(tmp_path):
    class Down:
        def list_statuses(self):
            raise StorageUnavailableError("link down")

    held = HeldFile(tmp_path / "held.db")
    seen: list[dict] = []
    asyncio.run(start_lists(Down(), seen.append, held))  # type: ignore[arg-type]
    assert seen == [{}]  # never read: no lists
    held.save_lists({"B1AB": "blacklist", "D2CD": "whitelist"})
    asyncio.run(start_lists(Down(), seen.append, held))  # type: ignore[arg-type]
    assert seen[-1] == {"B1AB": "blacklist", "D2CD": "whitelist"}
    held.close()


@pytest.mark.skipif(not wants_postgres(), reason="needs the PostgreSQL pass (ALPRD_TEST_DATABASE)")
def test_a_gate_starts_while_the_server_is_down_and_migrates_when_it_answers(tmp_path):
    """A new, empty database on a stopped server: the gate opens, starts with the lists it
    last read, holds its events; the server starts: the first write migrates, the held
    events go in, in order, and the lists read from then on are saved for the next start."""
    from alprd.storage.db import schema_version
    from alprd.storage.migrations_pg import MIGRATIONS
    from tests.pg_server import running_server

    with running_server() as server:
        storage = StorageConfig(database=server.new_database(), busy_timeout_ms=2000, gate="north")
        config = Config(storage=storage, base_dir=tmp_path)
        held = open_held_file(config)
        assert held is not None
        held.save_lists({"B1AA": "whitelist"})  # read by an earlier run
        server.stop()
        repo, store = open_storage(config, held)
        assert repo.schema_pending
        seen: list[dict] = []
        asyncio.run(start_lists(repo, seen.append, held))
        assert seen == [{"B1AA": "whitelist"}]
        writer = EventWriter(repo, store, annotate=None, retry_interval_s=3600, held_file=held).start()
        at = [event(t, datetime(2026, 5, 1, 8, i), seed=i) for i, t in enumerate(["B1AA", "B2BB"])]
        for e in at:
            assert writer.submit(e)
        assert writer.flush() and (writer.stored, writer.deferred, len(held)) == (0, 2, 2)
        with pytest.raises(StorageUnavailableError):
            repo.list_detections(limit=10, offset=0)

        server.start()
        assert writer.flush() and (writer.stored, writer.deferred, writer.failed) == (2, 0, 0)
        assert not repo.schema_pending and schema_version(repo.db) == len(MIGRATIONS)
        rows = repo.db.execute_sql("SELECT plate_text, image_path FROM plate ORDER BY id").fetchall()
        assert [r[0] for r in rows] == ["B1AA", "B2BB"] and all((tmp_path / p).is_file() for _, p in rows)
        repo.set_status("D2CD", "blacklist")  # as the central API would
        assert asyncio.run(refresh_lists(repo, seen.append, held))
        assert seen[-1] == {"D2CD": "blacklist"} and held.last_lists() == {"D2CD": "blacklist"}
        writer.close()
        held.close()
        repo.db.close()
