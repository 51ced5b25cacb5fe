"""Open the database and migrate it: a SQLite file (WAL, foreign keys, NORMAL sync, busy
timeout), or a PostgreSQL server (``postgresql://user:pass@host:port/db``, fleet mode).

Peewee keeps one connection per thread, so executor threads each read through their
own connection while WAL (or PostgreSQL) lets them run beside the single writer.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from peewee import Database, SqliteDatabase

from alprd.errors import StorageFullError
from alprd.log import get_logger
from alprd.storage import migrations, migrations_pg
from alprd.storage.dialect import MIGRATION_LOCK_KEY, PostgresDatabase, is_postgres_url
from alprd.storage.models import database_proxy

log = get_logger(__name__)
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
SQLITE_FULL = 13  # sqlite3.SQLITE_FULL (Python 3.11+)


def is_disk_full(exc: BaseException) -> bool:
    """Does ``exc``, or any error it was raised from or while handling, say the disk is full?

    SQLite reports SQLITE_FULL ("database or disk is full") and rolls the transaction back
    itself; Peewee's own ROLLBACK then fails with "cannot rollback - no transaction is
    active", which is what surfaces. The cause is found by walking the chain.
    """
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if getattr(e, "sqlite_errorcode", None) == SQLITE_FULL:
            return True
        if isinstance(e, OSError) and e.errno in _FULL_ERRNOS:
            return True
        if "database or disk is full" in str(e) or "No space left on device" in str(e):  # SQLite, PostgreSQL
            return True
        stack += [e.__cause__, e.__context__]
    return False


def open_database(path: Path | str, *, busy_timeout_ms: int = 5000, migrate: bool = True) -> Database:
    """Open (creating if needed) the database at ``path``, bind the models, run migrations.

    ``path`` may be a PostgreSQL URL: the server's database must exist (the migrations
    create the tables and the ``pg_trgm`` extension, which needs the CREATE privilege).
    """
    if is_postgres_url(path):
        return open_postgres(str(path), connect_timeout_s=max(1, busy_timeout_ms // 1000), migrate=migrate)
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


def open_postgres(url: str, *, connect_timeout_s: int = 5, migrate: bool = True) -> PostgresDatabase:
    """A link that goes silent (a cable pulled, a VPN down: no reset ever arrives) fails a
    query within about 10 s instead of the kernel's ~15 min of retransmissions: unanswered
    data times out (libpq's ``tcp_user_timeout``) and an idle connection is probed
    (``keepalives``); the writer then holds its events, as when the server refuses."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    db = PostgresDatabase(
        url,
        connect_timeout=connect_timeout_s,
        tcp_user_timeout=10_000,  # ms
        keepalives=1,
        keepalives_idle=5,  # s
        keepalives_interval=2,
        keepalives_count=3,
    )
    database_proxy.initialize(db)
    if migrate:
        apply_migrations(db)
    return db


def migrations_of(db: Database) -> tuple[migrations.Migration, ...]:
    return migrations_pg.MIGRATIONS if isinstance(db, PostgresDatabase) else migrations.MIGRATIONS


@contextmanager
def _migrating(db: Database) -> Iterator[None]:
    """PostgreSQL: one gate migrates at a time (a session advisory lock), so gates that
    start together apply each migration once; SQLite's file lock already serialises."""
    if not isinstance(db, PostgresDatabase):
        yield
        return
    db.execute_sql("SELECT pg_advisory_lock(?)", (MIGRATION_LOCK_KEY,))
    try:
        yield
    finally:
        db.execute_sql("SELECT pg_advisory_unlock(?)", (MIGRATION_LOCK_KEY,))


def schema_version(db: Database) -> int:
    db.execute_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def apply_migrations(db: Database) -> int:
    """Apply every migration newer than the stored version; returns the new version."""
    with _migrating(db):
        return _apply(db)


def _apply(db: Database) -> int:
    current = schema_version(db)
    for number, statements in enumerate(migrations_of(db), start=1):
        if number <= current:
            continue
        try:
            with db.atomic():
                for sql in statements:
                    db.execute_sql(sql)
                db.execute_sql("INSERT INTO schema_version (version) VALUES (?)", (number,))
        except Exception as exc:  # sqlite3.OperationalError: disk full
            if is_disk_full(exc):
                raise StorageFullError("database disk is full while migrating: free disk space") from exc
            raise
        log.info("storage.migrated", version=number)
        current = number
    return current
