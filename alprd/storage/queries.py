"""The read queries behind ``Repository`` (raw SQL on the hot paths); only it imports this.

Each function takes the database and returns records; none writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from peewee import Database

from alprd.errors import NotFoundError
from alprd.storage.dialect import Dialect, dialect_of
from alprd.storage.records import (
    DETECTION_ROW_COLUMNS,
    PLATE_COLUMNS,
    SESSION_COLUMNS,
    VEHICLE_COLUMNS,
    VEHICLE_FIELDS,
    DetectionRow,
    PlateRecord,
    SessionRecord,
    VehicleRecord,
    named,
    plate_from_row,
    session_from_row,
    vehicle_from_row,
)
from alprd.storage.statistics import stat, total_plates

_SESSION_FROM = "detection_session s LEFT JOIN location l ON l.name = s.location"


# A search alone pages through the trigram index in rowid order (``Dialect.search_page_ids``).
# Written as ``p.id IN (SELECT rowid ... MATCH ?)`` SQLite looks up every match skipped by the
# offset in the wide plate table first: ~2,000 random page reads for a 3-digit search at 1 M
# plates, 100+ ms when those pages are not in the OS cache (docs/journal/benchmarks-rest-api.md).
# 1-2 characters are too short for trigrams: plate_gram holds each plate's 1- and
# 2-character substrings (on PostgreSQL 3-character ones too: ``Dialect.gram_max``), keyed
# (gram, plate_id), so the page is one key range read backwards and the count an
# index-only count of that range.
_GRAM_PAGE_IDS = "SELECT plate_id AS id FROM plate_gram WHERE gram = ? ORDER BY plate_id DESC LIMIT ? OFFSET ?"


def _search_where(dialect: Dialect, search: str, filtered: bool) -> tuple[str, str]:
    """The WHERE term and its argument for a substring search of a normalised text."""
    if len(search) > dialect.gram_max:  # trigram index
        return dialect.search_where, dialect.search_term(search)
    if len(search) > 1 or not filtered:
        return "p.id IN (SELECT plate_id FROM plate_gram WHERE gram = ?)", search
    # One character beside a filter: a third of all plates hold any given digit, so
    # listing them first is no faster than checking the filter's rows (docs/journal/benchmarks-rest-api.md).
    return f"p.plate_text {dialect.like} ?", f"%{search}%"


def list_detections(
    db: Database,
    *,
    limit: int,
    offset: int,
    vehicle_type: str | None,
    plate_type: str | None,
    search: str | None,
    gate: str | None = None,
) -> tuple[list[DetectionRow], int]:
    dialect = dialect_of(db)
    where: list[str] = []
    args: list = []
    if gate:
        where.append("p.gate = ?")
        args.append(gate)
    if vehicle_type:
        where.append("p.vehicle_class = ?")
        args.append(vehicle_type)
    if plate_type:
        where.append("p.plate_type = ?")
        args.append(plate_type)
    if search:
        term, arg = _search_where(dialect, search, filtered=bool(where))
        where.append(term)
        args.append(arg)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    page_ids = f"SELECT p.id FROM plate p {clause} ORDER BY p.id DESC LIMIT ? OFFSET ?"
    if search and len(where) == 1:
        page_ids = dialect.search_page_ids if len(search) > dialect.gram_max else _GRAM_PAGE_IDS
    # The page's ids first (index only), then the joins for those 100 rows alone: skipped
    # rows of a deep offset never pay for the joins.
    rows = db.execute_sql(
        f"SELECT {DETECTION_ROW_COLUMNS} "
        f"FROM ({page_ids}) page "
        "JOIN plate p ON p.id = page.id LEFT JOIN vehicle v ON v.id = p.vehicle_id "
        "JOIN detection_session s ON s.id = p.session_id LEFT JOIN location l ON l.name = s.location "
        "ORDER BY p.id DESC",
        (*args, limit, offset),
    ).fetchall()
    return list(map(DetectionRow._make, rows)), _count(db, where, args, vehicle_type, plate_type, search, gate)


def _count(
    db: Database,
    where: list[str],
    args: list,
    vehicle_type: str | None,
    plate_type: str | None,
    search: str | None,
    gate: str | None,
) -> int:
    """How many plates match; an aggregate table or a search index answers single-term cases."""
    if gate:  # the aggregate tables count every gate's plates together
        return int(db.execute_sql(f"SELECT COUNT(*) FROM plate p WHERE {' AND '.join(where)}", args).fetchone()[0])
    if not where:
        return total_plates(db)
    if vehicle_type and not plate_type and not search:
        return stat(db, "vehicle_class", vehicle_type)
    if plate_type and not vehicle_type and not search:
        return stat(db, "plate_type", plate_type)
    if search and len(where) == 1:
        dialect = dialect_of(db)
        by_gram = len(search) <= dialect.gram_max
        sql = "SELECT COUNT(*) FROM plate_gram WHERE gram = ?" if by_gram else dialect.search_count
        return int(db.execute_sql(sql, args).fetchone()[0])
    return int(db.execute_sql(f"SELECT COUNT(*) FROM plate p WHERE {' AND '.join(where)}", args).fetchone()[0])


def vehicle_id(row: Sequence[Any]) -> int:
    return int(named(VEHICLE_FIELDS, row)["id"])


def plate_by_id(db: Database, plate_id: int) -> PlateRecord:
    row = db.execute_sql(f"SELECT {PLATE_COLUMNS} FROM plate p WHERE p.id = ?", (plate_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"Plate with ID {plate_id} not found")
    return plate_from_row(row)


def _plates_where(db: Database, column: str, value: int) -> list[PlateRecord]:
    rows = db.execute_sql(
        f"SELECT {PLATE_COLUMNS} FROM plate p WHERE p.{column} = ? ORDER BY p.plate_index, p.id", (value,)
    ).fetchall()
    return [plate_from_row(r) for r in rows]


def vehicle_with_plates(db: Database, vehicle_id: int) -> VehicleRecord:
    row = db.execute_sql(f"SELECT {VEHICLE_COLUMNS} FROM vehicle v WHERE v.id = ?", (vehicle_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"Vehicle with ID {vehicle_id} not found")
    return vehicle_from_row(row, tuple(_plates_where(db, "vehicle_id", vehicle_id)))


def session_with_children(db: Database, session_id: int) -> SessionRecord:
    row = db.execute_sql(f"SELECT {SESSION_COLUMNS} FROM {_SESSION_FROM} WHERE s.id = ?", (session_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"Session with ID {session_id} not found")
    plates = _plates_where(db, "session_id", session_id)
    vrows = db.execute_sql(
        f"SELECT {VEHICLE_COLUMNS} FROM vehicle v WHERE v.session_id = ? ORDER BY v.vehicle_index, v.id",
        (session_id,),
    ).fetchall()
    vehicles = tuple(vehicle_from_row(v, tuple(p for p in plates if p.vehicle_id == vehicle_id(v))) for v in vrows)
    return session_from_row(
        row, vehicle_count=len(vehicles), plate_count=len(plates), vehicles=vehicles, plates=tuple(plates)
    )


def list_sessions(db: Database, *, limit: int, offset: int) -> tuple[list[SessionRecord], int]:
    rows = db.execute_sql(
        f"SELECT {SESSION_COLUMNS}, "
        "(SELECT COUNT(*) FROM vehicle v WHERE v.session_id = s.id), "
        "(SELECT COUNT(*) FROM plate p WHERE p.session_id = s.id) "
        f"FROM {_SESSION_FROM} ORDER BY s.id DESC LIMIT ? OFFSET ?",
        (limit, offset),
    ).fetchall()
    total = db.execute_sql("SELECT COUNT(*) FROM detection_session").fetchone()[0]
    sessions = []
    for row in rows:
        *columns, vehicle_count, plate_count = row  # the two COUNT(*) columns after the session's
        sessions.append(session_from_row(columns, vehicle_count=vehicle_count, plate_count=plate_count))
    return sessions, int(total)


def image_paths_of(db: Database, session_ids: list[int]) -> list[tuple[int, list[str]]]:
    if not session_ids:
        return []
    marks = ",".join("?" * len(session_ids))
    found: dict[int, list[str]] = {i: [] for i in session_ids}
    for sql in (
        "SELECT id, original_path, annotated_path, vehicle_annotated_path FROM detection_session "
        f"WHERE id IN ({marks})",
        f"SELECT session_id, image_path FROM vehicle WHERE session_id IN ({marks})",
        f"SELECT session_id, image_path FROM plate WHERE session_id IN ({marks})",
    ):
        for sid, *paths in db.execute_sql(sql, session_ids):
            found[sid].extend(p for p in paths if p)
    return list(found.items())


def image_paths_oldest_first(db: Database, limit: int, gate: str = "") -> list[tuple[int, list[str]]]:
    ids = [
        r[0]
        for r in db.execute_sql(
            "SELECT id FROM detection_session WHERE gate IN (?, '') ORDER BY detected_at, id LIMIT ?", (gate, limit)
        )
    ]
    return image_paths_of(db, ids)
