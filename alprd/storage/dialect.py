"""SQLite or PostgreSQL: the database classes and the few SQL fragments that differ.

alprd's SQL is written once, in the subset both speak, with SQLite's ``?`` placeholders;
:class:`PostgresDatabase` turns them into psycopg2's ``%s`` (and a literal ``%`` into
``%%``). What cannot be shared is here, one :class:`Dialect` per server, picked by
:func:`dialect_of`:
- substring search: SQLite's FTS5 trigram table ``plate_search``; PostgreSQL's
  ``pg_trgm`` GIN index on ``plate.plate_text`` (``ILIKE``, case-insensitive like FTS5)
  for 4+ characters, ``plate_gram``'s 3-character rows for 3 (``gram_max``);
- a read snapshot: SQLite's deferred transaction under WAL; PostgreSQL's REPEATABLE READ;
- the weekday of an ISO date.
Times are the same ``'YYYY-MM-DD HH:MM:SS'`` text on both (see ``storage/base.py``), so
comparisons, ``substr`` and the API's answers are the same too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import Database, InterfaceError, OperationalError, PostgresqlDatabase

# Several gates starting at once migrate one after the other (pg_advisory_lock's key).
MIGRATION_LOCK_KEY = 0x616C_7072  # 'alpr'


def qmark_to_pyformat(sql: str) -> str:
    """``?`` placeholders to psycopg2's ``%s``; a literal ``%`` (``LIKE '%'``) escaped."""
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresDatabase(PostgresqlDatabase):
    """Peewee's PostgreSQL database taking alprd's qmark-style raw SQL.

    Peewee's own queries arrive with ``%s`` already (its ``param``) and pass unchanged;
    alprd's raw SQL never contains ``%s``.
    """

    def cursor(self, named_cursor: Any = None) -> Any:
        """A cursor; a connection the server dropped (restart, link down) is replaced first."""
        conn = self._state.conn  # type: ignore[attr-defined]  # peewee: per-thread state
        if conn is not None and conn.closed and not self.in_transaction():
            self.close()
        return super().cursor(named_cursor)

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        if "%s" not in sql:
            sql = qmark_to_pyformat(sql)
        try:
            return super().execute_sql(sql, params)
        except (OperationalError, InterfaceError):
            if self.in_transaction() or not self._dropped() or sql.lstrip()[:6].upper() != "SELECT":
                raise
            self.close()  # a read on its own: once more on a new connection
            return super().execute_sql(sql, params)

    def begin(self, *args: Any, **kwargs: Any) -> Any:
        """BEGIN. A connection the server dropped while it lay idle in this thread's slot (the
        server restarted, the link came back) shows itself only at its next use: then once
        more on a new connection (only BEGIN was sent, so nothing is done twice)."""
        try:
            return super().begin(*args, **kwargs)
        except (OperationalError, InterfaceError):
            if not self._dropped():
                raise
            self.close()
            return super().begin(*args, **kwargs)

    def _dropped(self) -> bool:
        conn = self._state.conn  # type: ignore[attr-defined]  # peewee: per-thread state
        return conn is not None and bool(conn.closed)

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        cursor = self.cursor()
        cursor.executemany(qmark_to_pyformat(sql), rows)


def executemany(db: Database, sql: str, rows: list[tuple]) -> None:
    """``cursor.executemany`` of qmark-style ``sql`` on either database."""
    if isinstance(db, PostgresDatabase):
        db.executemany(sql, rows)
    else:
        db.cursor().executemany(sql, rows)


@dataclass(frozen=True)
class Dialect:
    name: str
    # The longest search answered from plate_gram (a key range per gram); longer ones use
    # the trigram index below.
    gram_max: int
    # A page of plate ids (newest first) matching a search longer than gram_max: (term, limit, offset).
    search_page_ids: str
    # How many plates match that search: (term,).
    search_count: str
    # A WHERE term on ``plate p`` for that search: (term,).
    search_where: str
    # ``LIKE`` as SQLite compares (ASCII case-insensitive): for 1-character searches beside a filter.
    like: str
    # Weekday (0 = Monday) of the ISO date in column ``day``.
    weekday_of_day: str
    # atomic() arguments of a read snapshot (a page and its count agree while writers go on).
    snapshot: dict[str, str]

    def search_term(self, search: str) -> str:
        """The argument of the search SQL above for a normalised search text."""
        return f'"{search}"' if self.name == "sqlite" else f"%{search}%"


SQLITE = Dialect(
    name="sqlite",
    gram_max=2,
    search_page_ids=(
        "SELECT rowid AS id FROM plate_search WHERE plate_search MATCH ? ORDER BY rowid DESC LIMIT ? OFFSET ?"
    ),
    search_count="SELECT COUNT(*) FROM plate_search WHERE plate_search MATCH ?",
    search_where="p.id IN (SELECT rowid FROM plate_search WHERE plate_search MATCH ?)",
    like="LIKE",
    # strftime('%w'): 0 = Sunday; shifted so that 0 = Monday.
    weekday_of_day="(CAST(strftime('%w', day) AS INTEGER) + 6) % 7",
    snapshot={"lock_type": "DEFERRED"},
)

# pg_trgm's GIN index gives a bitmap of the matches in no order: a page and its count read
# every match's heap row (316 ms p99 for a 3-character search with thousands of matches
# at 1 M plates). 3 characters are one gram of plate_gram (migration 10): an index range.
POSTGRES = Dialect(
    name="postgresql",
    gram_max=3,
    search_page_ids="SELECT id FROM plate WHERE plate_text ILIKE ? ORDER BY id DESC LIMIT ? OFFSET ?",
    search_count="SELECT COUNT(*) FROM plate WHERE plate_text ILIKE ?",
    search_where="p.plate_text ILIKE ?",
    like="ILIKE",
    weekday_of_day="(EXTRACT(ISODOW FROM CAST(day AS DATE))::integer - 1)",
    snapshot={"isolation_level": "REPEATABLE READ"},
)


def dialect_of(db: Database) -> Dialect:
    return POSTGRES if isinstance(db, PostgresqlDatabase) else SQLITE


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))
