"""Statistics: small aggregate tables (stat_count, stat_hour) kept by triggers; see migrations.

With a ``gate`` (fleet mode) the same queries read that gate's plates instead: a subquery
named and shaped like the aggregate table (one row per plate, ``n = 1``), since the
aggregate tables count every gate together.
"""

from __future__ import annotations

from datetime import date

from peewee import Database

from alprd.errors import BadInputError
from alprd.storage.base import RepositoryBase
from alprd.storage.dialect import dialect_of
from alprd.storage.migrations import STAT_DIMENSIONS as _COLUMNS

STAT_DIMENSIONS = ("vehicle_class", "plate_type", "region", "status")
_COLUMN_OF = dict(_COLUMNS)
_GATE_HOURS = (
    "(SELECT substr(detected_at, 1, 10) AS day, CAST(substr(detected_at, 12, 2) AS INTEGER) AS hour, 1 AS n "
    "FROM plate WHERE gate = ?) stat_hour"
)


def _counts(dim: str, gate: str | None) -> tuple[str, tuple]:
    """FROM ``stat_count`` (or the gate's plates shaped like it) and its arguments."""
    if not gate:
        return "stat_count", ()
    return f"(SELECT ? AS dim, {_COLUMN_OF[dim]} AS key, 1 AS n FROM plate WHERE gate = ?) stat_count", (dim, gate)


def _hours(gate: str | None) -> tuple[str, tuple]:
    return (_GATE_HOURS, (gate,)) if gate else ("stat_hour", ())


def stat(db: Database, dim: str, key: str) -> int:
    row = db.execute_sql("SELECT n FROM stat_count WHERE dim = ? AND key = ?", (dim, key)).fetchone()
    return int(row[0]) if row else 0


def total_plates(db: Database, gate: str | None = None) -> int:
    source, args = _counts("status", gate)
    row = db.execute_sql(f"SELECT COALESCE(SUM(n), 0) FROM {source} WHERE dim = 'status'", args).fetchone()
    return int(row[0])


def counts_by(db: Database, dimension: str, gate: str | None = None) -> list[tuple[str, int]]:
    if dimension not in STAT_DIMENSIONS:
        raise BadInputError(f"unknown statistics dimension '{dimension}'")
    source, args = _counts(dimension, gate)
    rows = db.execute_sql(
        f"SELECT key, SUM(n) AS total FROM {source} WHERE dim = ? GROUP BY key HAVING SUM(n) > 0 "
        "ORDER BY total DESC, key",
        (*args, dimension),
    ).fetchall()
    return [(k, int(n)) for k, n in rows]


def daily_counts(db: Database, since: date, gate: str | None = None) -> list[tuple[str, int]]:
    source, args = _hours(gate)
    rows = db.execute_sql(
        f"SELECT day, SUM(n) AS total FROM {source} WHERE day >= ? GROUP BY day HAVING SUM(n) > 0 ORDER BY day",
        (*args, since.isoformat()),
    ).fetchall()
    return [(d, int(n)) for d, n in rows]


def hourly_counts(db: Database, since: date, gate: str | None = None) -> list[tuple[int, int]]:
    source, args = _hours(gate)
    rows = db.execute_sql(
        f"SELECT hour, SUM(n) AS total FROM {source} WHERE day >= ? GROUP BY hour HAVING SUM(n) > 0 ORDER BY hour",
        (*args, since.isoformat()),
    ).fetchall()
    return [(int(h), int(n)) for h, n in rows]


def weekday_counts(db: Database, since: date, gate: str | None = None) -> list[tuple[int, int]]:
    source, args = _hours(gate)
    rows = db.execute_sql(
        f"SELECT {dialect_of(db).weekday_of_day} AS wd, SUM(n) AS total FROM {source} "
        "WHERE day >= ? GROUP BY wd HAVING SUM(n) > 0 ORDER BY wd",
        (*args, since.isoformat()),
    ).fetchall()
    return [(int(w), int(n)) for w, n in rows]


class Statistics(RepositoryBase):
    """Each method runs the module function of the same name on the repository's database;
    ``gate`` (fleet mode) counts that gate's plates alone."""

    def total_detections(self, gate: str | None = None) -> int:
        return total_plates(self.db, gate)

    def counts_by(self, dimension: str, gate: str | None = None) -> list[tuple[str, int]]:
        """(key, plates) for 'vehicle_class' | 'plate_type' | 'region' | 'status', most first."""
        return counts_by(self.db, dimension, gate)

    def daily_counts(self, since: date, gate: str | None = None) -> list[tuple[str, int]]:
        return daily_counts(self.db, since, gate)

    def hourly_counts(self, since: date, gate: str | None = None) -> list[tuple[int, int]]:
        return hourly_counts(self.db, since, gate)

    def weekday_counts(self, since: date, gate: str | None = None) -> list[tuple[int, int]]:
        """(weekday 0=Monday .. 6=Sunday, plates)."""
        return weekday_counts(self.db, since, gate)

    def ping(self) -> bool:
        try:
            self.db.execute_sql("SELECT 1").fetchone()
            return True
        except Exception:  # health check: any failure means "not accessible"
            return False
