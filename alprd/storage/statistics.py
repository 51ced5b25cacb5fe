"""Statistics: small aggregate tables (stat_count, stat_hour) kept by triggers; see migrations."""

from __future__ import annotations

from datetime import date

from peewee import Database

from alprd.errors import BadInputError
from alprd.storage.base import RepositoryBase
from alprd.storage.dialect import dialect_of

STAT_DIMENSIONS = ("vehicle_class", "plate_type", "region", "status")


def stat(db: Database, dim: str, key: str) -> int:
    row = db.execute_sql("SELECT n FROM stat_count WHERE dim = ? AND key = ?", (dim, key)).fetchone()
    return int(row[0]) if row else 0


def total_plates(db: Database) -> int:
    row = db.execute_sql("SELECT COALESCE(SUM(n), 0) FROM stat_count WHERE dim = 'status'").fetchone()
    return int(row[0])


def counts_by(db: Database, dimension: str) -> list[tuple[str, int]]:
    if dimension not in STAT_DIMENSIONS:
        raise BadInputError(f"unknown statistics dimension '{dimension}'")
    rows = db.execute_sql(
        "SELECT key, SUM(n) AS total FROM stat_count WHERE dim = ? GROUP BY key HAVING SUM(n) > 0 "
        "ORDER BY total DESC, key",
        (dimension,),
    ).fetchall()
    return [(k, int(n)) for k, n in rows]


def daily_counts(db: Database, since: date) -> list[tuple[str, int]]:
    rows = db.execute_sql(
        "SELECT day, SUM(n) AS total FROM stat_hour WHERE day >= ? GROUP BY day HAVING SUM(n) > 0 ORDER BY day",
        (since.isoformat(),),
    ).fetchall()
    return [(d, int(n)) for d, n in rows]


def hourly_counts(db: Database, since: date) -> list[tuple[int, int]]:
    rows = db.execute_sql(
        "SELECT hour, SUM(n) AS total FROM stat_hour WHERE day >= ? GROUP BY hour HAVING SUM(n) > 0 ORDER BY hour",
        (since.isoformat(),),
    ).fetchall()
    return [(int(h), int(n)) for h, n in rows]


def weekday_counts(db: Database, since: date) -> list[tuple[int, int]]:
    rows = db.execute_sql(
        f"SELECT {dialect_of(db).weekday_of_day} AS wd, SUM(n) AS total FROM stat_hour "
        "WHERE day >= ? GROUP BY wd HAVING SUM(n) > 0 ORDER BY wd",
        (since.isoformat(),),
    ).fetchall()
    return [(int(w), int(n)) for w, n in rows]


class Statistics(RepositoryBase):
    """Each method runs the module function of the same name on the repository's database."""

    def total_detections(self) -> int:
        return total_plates(self.db)

    def counts_by(self, dimension: str) -> list[tuple[str, int]]:
        """(key, plates) for 'vehicle_class' | 'plate_type' | 'region' | 'status', most first."""
        return counts_by(self.db, dimension)

    def daily_counts(self, since: date) -> list[tuple[str, int]]:
        return daily_counts(self.db, since)

    def hourly_counts(self, since: date) -> list[tuple[int, int]]:
        return hourly_counts(self.db, since)

    def weekday_counts(self, since: date) -> list[tuple[int, int]]:
        """(weekday 0=Monday .. 6=Sunday, plates)."""
        return weekday_counts(self.db, since)

    def ping(self) -> bool:
        try:
            self.db.execute_sql("SELECT 1").fetchone()
            return True
        except Exception:  # health check: any failure means "not accessible"
            return False
