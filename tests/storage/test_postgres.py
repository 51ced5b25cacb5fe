"""PostgreSQL's own machinery (fleet mode): migrations of gates starting together, the
pg_trgm search index, the connection URL kept out of errors. The PostgreSQL pass only."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from alprd.domain.messages import Box, Detection, ImageResult, OcrResult, PlateRead
from alprd.domain.packs import load_pack
from alprd.storage.db import open_database, schema_version
from alprd.storage.detections import IMAGE_GATE_SQL
from alprd.storage.files import StoredImages
from alprd.storage.migrations import MIGRATIONS
from alprd.storage.migrations_pg import IMAGE_PATH_COLUMNS
from alprd.storage.migrations_pg import MIGRATIONS as PG_MIGRATIONS
from alprd.storage.repository import Repository
from tests.pg_server import PASSWORD, wants_postgres

pytestmark = pytest.mark.skipif(not wants_postgres(), reason="needs the PostgreSQL pass (ALPRD_TEST_DATABASE)")


def test_the_same_numbered_migrations():
    assert len(PG_MIGRATIONS) == len(MIGRATIONS)


def test_gates_starting_together_migrate_once(pg_url):
    """Six gates open one new database at the same moment: the advisory lock lets one
    migrate, the others find the schema current; every migration is recorded once."""
    barrier = threading.Barrier(6)
    versions: list[int] = []
    errors: list[BaseException] = []

    def gate() -> None:
        try:
            barrier.wait()
            db = open_database(pg_url)
            versions.append(schema_version(db))
            db.close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=gate) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and versions == [len(MIGRATIONS)] * 6
    db = open_database(pg_url)
    rows = [r[0] for r in db.execute_sql("SELECT version FROM schema_version ORDER BY version")]
    db.close()
    assert rows == list(range(1, len(MIGRATIONS) + 1))


def test_a_long_search_can_use_the_trigram_index_and_3_characters_read_plate_gram(database_target):
    db = open_database(database_target)
    repo = Repository(db, load_pack("id"))
    v = Detection(Box(0, 0, 9, 9), 0.9, "car")
    for i in range(50):
        read = PlateRead(Detection(Box(1, 5, 5, 8), 0.8, "plate"), OcrResult(f"B{i}XZ", 0.9), vehicle=v)
        repo.save_image_result(
            ImageResult(100, 50, (v,), (read,)),
            StoredImages(),
            location="",
            detected_at=datetime(2026, 1, 1),
            processing_time_s=0,
        )
    with db.atomic():
        db.execute_sql("SET LOCAL enable_seqscan = off")  # 50 rows: the planner would scan them
        plan = " ".join(r[0] for r in db.execute_sql(f"EXPLAIN {repo.dialect.search_page_ids}", ("%12XZ%", 10, 0)))
    assert "plate_text_trgm" in plan
    rows, count = repo.list_detections(limit=10, offset=0, search="12xz")
    assert [r.plate_text for r in rows] == ["B12XZ"] and count == 1
    # 3 characters: plate_gram holds them (its key range is the page), the answer a LIKE scan's
    truth = [r[0] for r in db.execute_sql("SELECT id FROM plate WHERE plate_text LIKE '%2XZ%' ORDER BY id DESC")]
    assert db.execute_sql("SELECT COUNT(*) FROM plate_gram WHERE gram = '2XZ'").fetchone()[0] == len(truth) == 5
    rows, count = repo.list_detections(limit=3, offset=1, search="2xz")
    assert [r.plate_id for r in rows] == truth[1:4] and count == 5
    db.close()


def test_an_images_gate_is_found_through_indexes(pg_url):
    """A central daemon asks which gate stored each image of another gate it serves: the
    query reads the five image-path indexes (migration 11), never a whole table."""
    db = open_database(pg_url)
    repo = Repository(db, load_pack("id"))
    repo.gate = "north"
    v = Detection(Box(0, 0, 9, 9), 0.9, "car")
    read = PlateRead(Detection(Box(1, 5, 5, 8), 0.8, "plate"), OcrResult("B1XZ", 0.9), vehicle=v)
    images = StoredImages("outputs/a.jpg", "outputs/b.jpg", "outputs/c.jpg", ("outputs/v.jpg",), ("outputs/p.jpg",))
    repo.save_image_result(
        ImageResult(100, 50, (v,), (read,)), images, location="", detected_at=datetime(2026, 1, 1), processing_time_s=0
    )
    for path in ("outputs/a.jpg", "outputs/b.jpg", "outputs/c.jpg", "outputs/v.jpg", "outputs/p.jpg"):
        assert repo.gate_of_image(path) == "north" and repo.is_image_referenced(path), path
    assert repo.gate_of_image("outputs/other.jpg") is None
    with db.atomic():
        db.execute_sql("SET LOCAL enable_seqscan = off")  # one row: the planner would scan it
        plan = " ".join(r[0] for r in db.execute_sql(f"EXPLAIN {IMAGE_GATE_SQL}", ("outputs/x.jpg",) * 3))
    assert "Seq Scan" not in plan, plan
    for table, column in IMAGE_PATH_COLUMNS:
        assert f"idx_{table}_{column}" in plan, (table, column, plan)
    db.close()


def test_a_refused_login_does_not_show_the_password(pg_url):
    from peewee import OperationalError

    wrong = pg_url.replace(PASSWORD, "not-the-" + PASSWORD)
    with pytest.raises(OperationalError) as info:
        open_database(wrong)
    assert PASSWORD not in str(info.value) and "password authentication failed" in str(info.value)


def test_a_gate_holds_its_events_while_the_server_is_down_and_stores_each_once_in_order(tmp_path):
    """The link to PostgreSQL goes down (the server stops: every connection is cut) and comes
    back: events of the outage wait with their images, then go in, in order, each once."""
    from alprd.errors import StorageUnavailableError
    from alprd.storage.files import ImageStore
    from alprd.storage.writer import EventWriter
    from tests.pg_server import running_server
    from tests.storage.test_retention import event

    with running_server() as server:  # its own: this test stops it
        db = open_database(server.new_database(), busy_timeout_ms=2000)
        repo = Repository(db, load_pack("id"))
        writer = EventWriter(repo, ImageStore(tmp_path / "outputs"), annotate=None, retry_interval_s=3600).start()
        texts = ["B1AA", "B2BB", "B3CC", "B4DD", "B5EE"]
        at = [event(t, datetime(2026, 5, 1, 8, i), seed=i) for i, t in enumerate(texts)]
        assert writer.submit(at[0]) and writer.flush()
        server.stop()
        for e in at[1:4]:
            assert writer.submit(e)
        assert writer.flush()
        assert (writer.stored, writer.deferred, writer.failed) == (1, 3, 0)
        with pytest.raises(StorageUnavailableError):
            repo.list_detections(limit=10, offset=0)
        server.start()
        assert writer.submit(at[4]) and writer.flush()  # the held three go first
        assert (writer.stored, writer.deferred, writer.failed) == (5, 0, 0)
        writer.close()
        rows = db.execute_sql("SELECT plate_text, image_path FROM plate ORDER BY id").fetchall()
        assert [r[0] for r in rows] == texts
        assert all(path and (tmp_path / path).is_file() for _, path in rows)  # images kept on the gate
        keys = [r[0] for r in db.execute_sql("SELECT event_key FROM detection_session")]
        assert len(set(keys)) == 5 and "" not in keys
        db.close()
