"""Database set-up, migrations, the repository's writes and its aggregate tables; image files."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from alprd.domain.messages import Box, Detection, Frame, ImageResult, OcrResult, PlateEvent, PlateRead
from alprd.domain.packs import load_pack
from alprd.errors import NotFoundError
from alprd.storage.db import apply_migrations, open_database, schema_version
from alprd.storage.dialect import dialect_of
from alprd.storage.files import ImageStore, StoredImages, crop
from alprd.storage.migrations import MIGRATIONS
from alprd.storage.repository import Repository


@pytest.fixture
def db(database_target):
    database = open_database(database_target, busy_timeout_ms=1234)
    yield database
    database.close()


@pytest.fixture
def repo(db):
    return Repository(db, load_pack("id"))


def result(*texts: str, cls: str = "car") -> ImageResult:
    vehicles, reads = [], []
    for i, t in enumerate(texts):
        v = Detection(Box(i * 10, 0, i * 10 + 9, 9), 0.9, cls)
        vehicles.append(v)
        reads.append(PlateRead(Detection(Box(i * 10, 5, i * 10 + 5, 8), 0.8, "plate"), OcrResult(t, 0.9), vehicle=v))
    return ImageResult(100, 50, tuple(vehicles), tuple(reads))


def save(repo: Repository, r: ImageResult, when: datetime, images: StoredImages | None = None) -> int:
    return repo.save_image_result(
        r, images or StoredImages(), location="Gate 1", detected_at=when, processing_time_s=0.1
    )


@pytest.mark.sqlite_only
def test_pragmas_and_schema_version(db):
    pragma = lambda name: db.execute_sql(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("synchronous") == 1
    assert pragma("busy_timeout") == 1234
    assert schema_version(db) == len(MIGRATIONS)
    assert apply_migrations(db) == len(MIGRATIONS)  # idempotent
    assert db.execute_sql("SELECT COUNT(*) FROM schema_version").fetchone()[0] == len(MIGRATIONS)


def test_reopening_keeps_data_and_skips_migrations(database_target):
    db = open_database(database_target)
    Repository(db, load_pack("id")).set_status("B1A", "whitelist")
    db.close()
    db = open_database(database_target)
    assert Repository(db, load_pack("id")).list_statuses() == {"B1A": "whitelist"}
    db.close()


@pytest.mark.sqlite_only
def test_indexes_used_by_list_queries(db):
    plan = " ".join(
        str(r)
        for r in db.execute_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM plate WHERE vehicle_class = 'car' ORDER BY id DESC LIMIT 10"
        )
    )
    assert "plate_vehicle_class_id" in plan
    plan = " ".join(
        str(r)
        for r in db.execute_sql("EXPLAIN QUERY PLAN SELECT id FROM detection_session WHERE detected_at < '2020-01-01'")
    )
    assert "detection_session_detected_at" in plan


def test_aware_times_are_stored_as_local_wall_clock(repo):
    aware = datetime(2025, 6, 7, 12, 34, 56, tzinfo=timezone.utc)
    sid = save(repo, result("B1A"), aware)
    assert repo.get_session(sid).detected_at == aware.astimezone().replace(tzinfo=None)


def test_aggregate_tables_match_group_by_after_random_writes(repo):
    rng = random.Random(7)
    start = datetime(2025, 1, 1)
    for _i in range(60):
        texts = [f"{rng.choice('BDF')}{rng.randint(1, 99)}X" for _ in range(rng.randint(1, 3))]
        save(
            repo, result(*texts, cls=rng.choice(["car", "bus", "truck"])), start + timedelta(hours=rng.randint(0, 400))
        )
    plates = [r[0] for r in repo.db.execute_sql("SELECT id FROM plate")]
    for pid in rng.sample(plates, 15):
        repo.delete_plate(pid)
    for pid in rng.sample([r[0] for r in repo.db.execute_sql("SELECT id FROM plate")], 10):
        repo.update_plate(pid, plate_text="D1Z", plate_status="blacklist")
    vids = [r[0] for r in repo.db.execute_sql("SELECT id FROM vehicle")]
    for vid in rng.sample(vids, 5):
        repo.update_vehicle(vid, vehicle_class="motorcycle", confidence=None)
    repo.delete_older_than(start + timedelta(hours=100))

    sql = repo.db.execute_sql
    for dim, column in (
        ("vehicle_class", "vehicle_class"),
        ("plate_type", "plate_type"),
        ("region", "region_code"),
        ("status", "plate_status"),
    ):
        truth = dict(sql(f"SELECT {column}, COUNT(*) FROM plate GROUP BY {column}").fetchall())
        assert dict(repo.counts_by(dim)) == truth, dim
    truth_days = sql("SELECT substr(detected_at, 1, 10) d, COUNT(*) FROM plate GROUP BY d ORDER BY d").fetchall()
    assert repo.daily_counts(start.date()) == truth_days
    assert repo.total_detections() == sql("SELECT COUNT(*) FROM plate").fetchone()[0]
    assert (
        repo.list_detections(limit=1, offset=0, search="D1Z")[1]
        == (sql("SELECT COUNT(*) FROM plate WHERE plate_text LIKE '%D1Z%'").fetchone()[0])
    )
    if repo.dialect.name == "sqlite":
        assert (
            sql("SELECT COUNT(*) FROM plate_search WHERE plate_search MATCH '\"D1Z\"'").fetchone()[0]
            == sql("SELECT COUNT(*) FROM plate WHERE plate_text = 'D1Z'").fetchone()[0]
        )


def test_save_event_uses_event_fields(repo):
    image = np.zeros((240, 320, 3), np.uint8)
    car = Detection(Box(0, 0, 100, 100), 0.9, "car")
    read = PlateRead(Detection(Box(10, 60, 50, 80), 0.8, "plate"), OcrResult("B1234AB", 0.7), vehicle=car)
    t = datetime(2025, 6, 7, 12, 0, 0).timestamp()
    event = PlateEvent(
        "gate1",
        3,
        "final",
        "B1234ABC",
        0.93,
        read,
        Frame("gate1", 9, t, image),
        t - 1.5,
        t,
        7,
        direction="entry",
        list_status="blacklist",
        location="Gate 2",
    )
    sid = repo.save_event(event, StoredImages(original="outputs/uploaded/e.jpg"))
    s = repo.get_session(sid)
    assert (s.location, s.camera_id, s.source, s.direction, s.resolution) == (
        "Gate 2",
        "gate1",
        "camera",
        "entry",
        "320x240",
    )
    assert s.detected_at == datetime(2025, 6, 7, 12, 0, 0)
    (plate,) = s.plates
    assert (plate.plate_text, plate.plate_status, plate.region_label) == ("B1234ABC", "blacklist", "B (Jakarta)")
    assert plate.ocr_confidence == 0.93 and plate.vehicle_class == "car"
    assert s.vehicles[0].plates[0].id == plate.id


def test_retention_helpers(repo):
    old = save(
        repo,
        result("B1A"),
        datetime(2025, 1, 1),
        StoredImages("outputs/uploaded/o.jpg", plate_crops=("outputs/plates/crops/o.jpg",)),
    )
    new = save(repo, result("B2B"), datetime(2025, 3, 1), StoredImages("outputs/uploaded/n.jpg"))
    assert repo.image_paths_oldest_first(1) == [(old, ["outputs/uploaded/o.jpg", "outputs/plates/crops/o.jpg"])]
    assert sorted(repo.delete_older_than(datetime(2025, 2, 1))) == [
        "outputs/plates/crops/o.jpg",
        "outputs/uploaded/o.jpg",
    ]
    with pytest.raises(NotFoundError):
        repo.get_session(old)
    assert repo.get_session(new).plate_count == 1
    assert repo.db.execute_sql("SELECT COUNT(*) FROM vehicle").fetchone()[0] == 1  # cascaded
    assert repo.total_detections() == 1


def test_image_store_layout_and_atomic_names(tmp_path):
    store = ImageStore(tmp_path / "outputs")
    image = np.full((100, 200, 3), 200, np.uint8)
    images = store.save_result(image, result("B1A", "D2B"), annotated=image, when=datetime(2025, 6, 7, 12, 34, 56))
    assert images.journal and (tmp_path / "outputs" / ".pending" / images.journal).is_file()
    store.settle(images)
    assert images.original.startswith("outputs/uploaded/2025-06-07_12-34-56_")
    assert images.annotated.startswith("outputs/plates/2025-06-07_12-34-56_")
    assert images.vehicle_annotated.startswith("outputs/vehicles/2025-06-07_12-34-56_")
    assert all(p.startswith("outputs/vehicles/crops/") for p in images.vehicle_crops)
    assert all(p.startswith("outputs/plates/crops/") for p in images.plate_crops)
    files = sorted(p.name for p in (tmp_path / "outputs").rglob("*") if p.is_file())
    assert len(files) == 7 and not any(".tmp" in f for f in files)
    assert store.delete(images.all_paths()) == 7
    assert crop(image, Box(-10, -10, 5, 5)).shape == (5, 5, 3)
    assert crop(image, Box(300, 300, 400, 400)) is None


@pytest.mark.sqlite_only
def test_full_disk_raises_storage_full_and_leaves_nothing(tmp_path):
    """A real write past a file-size limit (EFBIG) in a child process: clear error, no partial file."""
    script = textwrap.dedent(f"""
        import resource, signal, sys
        from datetime import datetime
        import numpy as np
        from alprd.errors import StorageFullError
        from alprd.storage.files import ImageStore
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        noise = np.random.default_rng(0).integers(0, 255, (400, 400, 3), dtype=np.uint8)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, resource.RLIM_INFINITY))
        try:
            ImageStore({str(tmp_path / "outputs")!r}).save(
                when=datetime.now(), original=noise[:50, :50], annotated=noise)
        except StorageFullError as exc:
            print("FULL:", exc)
            sys.exit(0)
        sys.exit(1)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "no space left" in proc.stdout
    assert [p for p in (tmp_path / "outputs").rglob("*") if p.is_file()] == []


def test_fleet_gates_name_their_files_apart_in_the_same_second(tmp_path):
    """Gates that share one database keep their images on their own disks: a name both
    took in the same second would send the central's clients to the wrong gate's file."""
    image = np.full((20, 30, 3), 90, np.uint8)
    when = datetime(2025, 6, 7, 12, 34, 56)
    north = ImageStore(tmp_path / "north", gate="north").save(when=when, original=image, annotated=image)
    south = ImageStore(tmp_path / "south", gate="South gate 2").save(when=when, original=image, annotated=image)
    assert north.original == "outputs/uploaded/2025-06-07_12-34-56_north_uploaded-image.jpg"
    assert north.annotated == "outputs/plates/2025-06-07_12-34-56_north_plate.jpg"
    assert south.original == "outputs/uploaded/2025-06-07_12-34-56_South-gate-2_uploaded-image.jpg"
    assert (tmp_path / "south" / "uploaded" / "2025-06-07_12-34-56_South-gate-2_uploaded-image.jpg").is_file()


def test_file_names_follow_the_spec_and_never_collide(tmp_path):
    store = ImageStore(tmp_path / "outputs")
    image = np.full((20, 30, 3), 90, np.uint8)
    when = datetime(2025, 6, 7, 12, 34, 56)
    first = store.save(when=when, original=image, annotated=image)
    second = store.save(when=when, original=image, annotated=image)
    assert first.original == "outputs/uploaded/2025-06-07_12-34-56_uploaded-image.jpg"
    assert first.annotated == "outputs/plates/2025-06-07_12-34-56_plate.jpg"
    assert first.vehicle_annotated == "outputs/vehicles/2025-06-07_12-34-56_vehicle.jpg"
    assert second.original == "outputs/uploaded/2025-06-07_12-34-56_2_uploaded-image.jpg"
    assert second.annotated == "outputs/plates/2025-06-07_12-34-56_2_plate.jpg"
    for images in (first, second):
        store.settle(images)  # their rows committed: no longer pending
    assert not [p for p in (tmp_path / "outputs").rglob("*") if p.is_file() and "/." in str(p)]  # no temporary file


def test_a_page_and_its_count_come_from_one_snapshot(repo):
    """While another thread writes (its own connection), each page's count matches its rows."""
    import threading

    stop = threading.Event()
    when = datetime(2026, 1, 1, 8, 0)

    def write() -> None:
        for i in range(400):
            if stop.is_set():
                return
            save(repo, result(f"B{i}A", f"D{i}B"), when + timedelta(seconds=i))

    thread = threading.Thread(target=write)
    thread.start()
    try:
        mismatches = []
        for _ in range(300):
            rows, count = repo.list_detections(limit=1000, offset=0)
            sessions, session_count = repo.list_sessions(limit=1000, offset=0)
            if count != len(rows) or session_count != len(sessions):
                mismatches.append((count, len(rows), session_count, len(sessions)))
    finally:
        stop.set()
        thread.join()
    assert mismatches == []


def _page_plan(db, sql: str) -> list[str]:
    """The query-plan steps that pick a list page's ids (the ``page`` subquery) of ``sql``."""
    plan = db.execute_sql(f"EXPLAIN QUERY PLAN {sql}").fetchall()
    top = next(node for node, _, _, detail in plan if detail.endswith(" page"))
    below, steps = {top}, []
    for node, parent, _, detail in plan:
        if parent in below:
            below.add(node)
            steps.append(detail)
    return steps


def test_a_search_page_reads_the_trigram_index_alone(repo):
    """A search (3+ characters, no filter) takes its page's ids from the index in id order.

    The old shape, ``p.id IN (SELECT rowid ... MATCH ?)``, looked up every match skipped by
    the offset in the plate table first: 100+ ms for a common 3-digit search at 1 M plates
    when those pages were not cached (docs/journal/benchmarks-rest-api.md).
    """
    rng = random.Random(3)
    when = datetime(2025, 3, 1)
    for i in range(150):
        texts = [f"B{rng.randint(1, 300)}{rng.choice('AXZ')}" for _ in range(rng.randint(1, 2))]
        save(repo, result(*texts), when + timedelta(minutes=i))
    ids = [r[0] for r in repo.db.execute_sql("SELECT id FROM plate")]
    for pid in rng.sample(ids, 30):
        repo.delete_plate(pid)
    for pid in rng.sample([r[0] for r in repo.db.execute_sql("SELECT id FROM plate")], 10):
        repo.update_plate(pid, plate_text="D120X", plate_status=None)

    statements: list[str] = []
    tracing = repo.dialect.name == "sqlite"  # the query plans below are SQLite's
    if tracing:
        repo.db.connection().set_trace_callback(statements.append)
    try:
        for term, offset in (("B12", 0), ("B12", 4), ("12", 2), ("120X", 1), ("ZZZ", 0)):
            rows, count = repo.list_detections(limit=5, offset=offset, search=term)
            truth = [
                r[0]
                for r in repo.db.execute_sql(
                    "SELECT id FROM plate WHERE plate_text LIKE ? ORDER BY id DESC", (f"%{term}%",)
                )
            ]
            assert [r.plate_id for r in rows] == truth[offset : offset + 5], term
            assert count == len(truth), term
    finally:
        if tracing:
            repo.db.connection().set_trace_callback(None)
    if not tracing:
        return
    searches = [s for s in statements if "MATCH '\"B12\"'" in s and " page " in s]
    assert searches
    for sql in searches:
        steps = _page_plan(repo.db, sql)
        assert len(steps) == 1 and steps[0].startswith("SCAN plate_search VIRTUAL TABLE"), steps


def _grams_by_plate(db) -> dict[int, set[str]]:
    """Each plate's distinct 1- and 2-character substrings (PostgreSQL: 3-character too),
    computed here from plate_text."""
    lengths = range(1, dialect_of(db).gram_max + 1)
    return {
        pid: {text[i : i + k].upper() for k in lengths for i in range(len(text) - k + 1)}
        for pid, text in db.execute_sql("SELECT id, plate_text FROM plate")
    }


def _gram_table(db) -> dict[int, set[str]]:
    table: dict[int, set[str]] = {}
    for gram, pid in db.execute_sql("SELECT gram, plate_id FROM plate_gram"):
        table.setdefault(pid, set()).add(gram)
    return table


def test_short_searches_match_a_like_scan_after_writes(repo):
    """1- and 2-character searches (too short for trigrams) read plate_gram, kept by triggers;
    so do 3-character ones on PostgreSQL (``Dialect.gram_max``), SQLite's FTS5 here.

    Rows, order and count equal a ``LIKE`` scan after inserts, deletes (also by cascade),
    text updates and other updates, alone and beside the list filters.
    """
    rng = random.Random(5)
    start = datetime(2025, 4, 1)
    for i in range(150):
        texts = [
            f"{rng.choice('BDF')}{rng.randint(1, 999)}{rng.choice(['', 'A', 'XZ', 'BB'])}"
            for _ in range(rng.randint(1, 2))
        ]
        save(repo, result(*texts, cls=rng.choice(["car", "truck"])), start + timedelta(hours=i))
    ids = [r[0] for r in repo.db.execute_sql("SELECT id FROM plate")]
    for pid in rng.sample(ids, 25):
        repo.delete_plate(pid)
    live = [r[0] for r in repo.db.execute_sql("SELECT id FROM plate")]
    new_texts = ["B11B", "7", "XZ", "D1", "F9F9", "BB", "1", "Q2", "B1", "ZZ", "9D", "A"]
    for pid, text in zip(rng.sample(live, len(new_texts)), new_texts):
        repo.update_plate(pid, plate_text=text, plate_status="blacklist")
    for pid in rng.sample(live, 5):
        repo.update_plate(pid, plate_status="whitelist", plate_type="Public")
    repo.delete_older_than(start + timedelta(hours=20))
    assert _gram_table(repo.db) == {pid: g for pid, g in _grams_by_plate(repo.db).items() if g}

    for term in ("B1", "1B", "11", "XZ", "ZZ", "Q2", "QQ", "B", "1", "Z", "Q", "0", "B11", "1XZ", "B1B", "9F9", "QQQ"):
        for vehicle_type, plate_type in ((None, None), ("car", None), (None, "Public"), ("truck", "Regular")):
            filters = "".join(
                f" AND {c} = '{v}'" for c, v in (("vehicle_class", vehicle_type), ("plate_type", plate_type)) if v
            )
            truth = [
                r[0]
                for r in repo.db.execute_sql(
                    f"SELECT id FROM plate WHERE plate_text LIKE ?{filters} ORDER BY id DESC", (f"%{term}%",)
                )
            ]
            for offset in (0, 3, max(0, len(truth) - 2)):
                rows, count = repo.list_detections(
                    limit=4, offset=offset, vehicle_type=vehicle_type, plate_type=plate_type, search=term.lower()
                )
                assert [r.plate_id for r in rows] == truth[offset : offset + 4], (
                    term,
                    vehicle_type,
                    plate_type,
                    offset,
                )
                assert count == len(truth), (term, vehicle_type, plate_type)


@pytest.mark.sqlite_only
def test_a_short_search_page_and_count_read_the_gram_key_alone(repo):
    """A 1-2 character search without filters: the page is one key range of plate_gram read
    in id order (no sort, no plate lookup), the count an index-only count of that range."""
    save(repo, result("B12X", "DB1"), datetime(2025, 3, 1))
    statements: list[str] = []
    repo.db.connection().set_trace_callback(statements.append)
    try:
        for term in ("B1", "B"):
            repo.list_detections(limit=5, offset=0, search=term)
    finally:
        repo.db.connection().set_trace_callback(None)
    for term in ("B1", "B"):
        pages = [s for s in statements if f"gram = '{term}'" in s and " page " in s]
        counts = [s for s in statements if f"gram = '{term}'" in s and s.startswith("SELECT COUNT(*)")]
        assert len(pages) == 1 and len(counts) == 1, statements
        assert _page_plan(repo.db, pages[0]) == ["SEARCH plate_gram USING PRIMARY KEY (gram=?)"]
        plan = [r[3] for r in repo.db.execute_sql(f"EXPLAIN QUERY PLAN {counts[0]}")]
        assert plan == ["SEARCH plate_gram USING PRIMARY KEY (gram=?)"]


@pytest.mark.parametrize("version", [5, 9])
def test_the_gram_migration_backfills_an_existing_database(database_target, monkeypatch, version):
    """An existing database (plates stored before plate_gram: migration 6, or before its
    3-character grams on PostgreSQL: migration 10) gets every plate's grams."""
    import alprd.storage.db as storage_db

    every = storage_db.migrations_of
    monkeypatch.setattr(storage_db, "migrations_of", lambda db: every(db)[:version])
    db = open_database(database_target)
    repo = Repository(db, load_pack("id"))
    # Rows as that schema's release wrote them (this code's models have later columns).
    for i, texts in enumerate((("B1234XZ", "AA"), ("D7",), ("F1F1F1", "Q"))):
        at = f"2025-05-01 08:0{i}:00"
        db.execute_sql("INSERT INTO detection_session (id, detected_at) VALUES (?, ?)", (i + 1, at))
        for text in texts:
            db.execute_sql(
                "INSERT INTO plate (session_id, plate_index, plate_text, ocr_confidence, x1, y1, x2, y2, detected_at) "
                "VALUES (?, 1, ?, 0.9, 0, 0, 1, 1, ?)",
                (i + 1, text, at),
            )
    db.execute_sql("DELETE FROM plate WHERE plate_text = 'AA'")
    assert schema_version(db) == version
    monkeypatch.setattr(storage_db, "migrations_of", every)
    assert apply_migrations(db) == len(MIGRATIONS)
    assert _gram_table(db) == _grams_by_plate(db)
    for term, found in (("F1", ["F1F1F1"]), ("1F1", ["F1F1F1"]), ("34X", ["B1234XZ"]), ("D7", ["D7"])):
        assert sorted(r.plate_text for r in repo.list_detections(limit=10, offset=0, search=term)[0]) == found
    db.close()


def _wait_until_another_waits(db, worker: threading.Thread) -> None:
    """PostgreSQL: until the worker's transaction waits for this one's row locks (SQLite's
    BEGIN IMMEDIATE queues it before it reads anything: nothing to wait for)."""
    if dialect_of(db).name != "postgresql":
        return
    for _ in range(3000):
        db.execute_sql("SELECT pg_stat_clear_snapshot()")  # the view is read once per transaction
        waiting = db.execute_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()[0]
        if waiting or not worker.is_alive():
            return
        time.sleep(0.01)
    raise AssertionError("the second delete never waited for the first")


@pytest.mark.parametrize(
    "first, second",
    [("delete_vehicle", "delete_plate"), ("delete_plate", "delete_vehicle"), ("delete_plate", "delete_plate")],
)
def test_two_deletes_of_the_same_rows_at_once_the_later_is_not_found(repo, db, first, second):
    """Two DELETE requests for one plate's rows at once (the fuzzer's two workers met this on
    PostgreSQL, whose second delete read the rows before the first committed): the later one
    is NotFoundError (404), never a server error; every row is gone."""
    save(repo, result("B1A"), datetime(2025, 5, 1))
    pid, vid = db.execute_sql("SELECT id, vehicle_id FROM plate").fetchone()
    target = {"delete_plate": pid, "delete_vehicle": vid}
    outcome: list[object] = []

    def later() -> None:
        try:
            outcome.append(getattr(repo, second)(target[second]))
        except Exception as exc:  # noqa: BLE001 - the test looks at what was raised
            outcome.append(exc)
        finally:
            db.close()

    worker = threading.Thread(target=later)
    with db.atomic():
        getattr(repo, first)(target[first])
        worker.start()
        _wait_until_another_waits(db, worker)
    worker.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], NotFoundError), outcome
    for table in ("plate", "vehicle", "detection_session"):
        assert db.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
