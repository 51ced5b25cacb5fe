"""Open the SQLite database (WAL, foreign keys, NORMAL sync, busy timeout) and migrate it.

Peewee keeps one connection per thread, so executor threads each read through their
own connection while WAL lets them run beside the single writer.
"""

from __future__ import annotations

from pathlib import Path

from peewee import SqliteDatabase

from alprd.errors import StorageFullError
from alprd.log import get_logger
from alprd.storage.migrations import MIGRATIONS
from alprd.storage.models import database_proxy

log = get_logger(__name__)


def open_database(path: Path | str, *, busy_timeout_ms: int = 5000, migrate: bool = True) -> SqliteDatabase:
    """Open (creating if needed) the database at ``path``, bind the models, run migrations."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    db = SqliteDatabase(
        str(path),
        pragmas={
            "journal_mode": "wal",
            "foreign_keys": 1,
            "synchronous": 1,  # NORMAL: durable at checkpoints, safe with WAL
            "busy_timeout": busy_timeout_ms,
            "cache_size": -16_000,  # KiB
            "temp_store": 2,  # memory
        },
        timeout=busy_timeout_ms / 1000.0,
        # Write transactions take the write lock at BEGIN, so two writers queue on the
        # busy timeout instead of failing when a read lock cannot be upgraded.
        lock_type="IMMEDIATE",
    )
    database_proxy.initialize(db)
    if migrate:
        apply_migrations(db)
    return db


def schema_version(db: SqliteDatabase) -> int:
    db.execute_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def apply_migrations(db: SqliteDatabase) -> int:
    """Apply every migration newer than the stored version; returns the new version."""
    current = schema_version(db)
    for number, statements in enumerate(MIGRATIONS, start=1):
        if number <= current:
            continue
        try:
            with db.atomic():
                for sql in statements:
                    db.execute_sql(sql)
                db.execute_sql("INSERT INTO schema_version (version) VALUES (?)", (number,))
        except Exception as exc:  # sqlite3.OperationalError: disk full
            if "full" in str(exc).lower():
                raise StorageFullError(f"database disk is full while migrating: {exc}") from exc
            raise
        log.info("storage.migrated", version=number)
        current = number
    return current
