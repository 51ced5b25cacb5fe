"""The numbered migrations of ``alprd.storage.migrations``, as PostgreSQL runs them.

Same numbers, same tables, columns, indexes and aggregate tables; what SQLite does with
its own features is done here with PostgreSQL's:
- the tables and indexes are SQLite's DDL with the types mapped (:func:`pg_ddl`): an
  id ``SERIAL``, a ``REAL`` ``DOUBLE PRECISION`` (SQLite's REAL is 8 bytes), every text
  ``TEXT COLLATE "C"`` (byte order, as SQLite sorts, whatever the server's locale; no
  255-character limit, which SQLite never enforced);
- ``plate_search`` (FTS5 trigrams) is a ``pg_trgm`` GIN index on ``plate.plate_text``;
- the triggers keeping ``stat_hour``, ``stat_count`` and ``plate_gram`` are PL/pgSQL
  (the statistics' per statement, see ``_STATS``);
- ``plate_gram`` also holds 3-character substrings (migration 10), which pg_trgm's
  bitmap answers slowly when thousands of plates match.
"""

from __future__ import annotations

import re

from alprd.storage.migrations import (
    _BOTH_FILTERS,
    _DEEP_PAGES,
    _GATES,
    _TABLES,
    _WEBHOOK_STAT_BY_GATE,
    _WEBHOOKS,
    STAT_DIMENSIONS,
    Migration,
)

TEXT = 'TEXT COLLATE "C"'
_TYPES = (
    (r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b", "SERIAL PRIMARY KEY"),
    (r"\bVARCHAR\(255\)|\bDATETIME\b|\bTEXT\b", TEXT),
    (r"\bREAL\b", "DOUBLE PRECISION"),
    (r"\s*WITHOUT ROWID", ""),
)


def pg_ddl(migration: Migration) -> Migration:
    """SQLite's CREATE TABLE / CREATE INDEX statements with PostgreSQL's types."""
    out = []
    for sql in migration:
        for pattern, replacement in _TYPES:
            sql = re.sub(pattern, replacement, sql)
        out.append(sql)
    return tuple(out)


_SEARCH: Migration = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX plate_text_trgm ON plate USING gin (plate_text gin_trgm_ops)",
)


def _deltas(op: str) -> str:
    """The changed plates of one statement as (row, d): +1 per new row, -1 per old row."""
    parts = []
    if op in ("INSERT", "UPDATE"):
        parts.append("SELECT *, 1 AS d FROM new_rows")
    if op in ("DELETE", "UPDATE"):
        parts.append("SELECT *, -1 AS d FROM old_rows")
    return " UNION ALL ".join(parts)


def _stat_function(op: str) -> str:
    """One statement's changes added to the aggregate rows, one upsert per key."""
    counts = " UNION ALL ".join(
        f"SELECT '{dim}' AS dim, {column} AS key, d FROM changed" for dim, column in STAT_DIMENSIONS
    )
    return (
        f"CREATE FUNCTION plate_stat_{op.lower()}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"WITH changed AS ({_deltas(op)}) INSERT INTO stat_hour (day, hour, n) "
        "SELECT substr(detected_at, 1, 10), CAST(substr(detected_at, 12, 2) AS INTEGER), SUM(d) FROM changed "
        "GROUP BY 1, 2 HAVING SUM(d) != 0 ON CONFLICT (day, hour) DO UPDATE SET n = stat_hour.n + excluded.n; "
        f"WITH changed AS ({_deltas(op)}) INSERT INTO stat_count (dim, key, n) "
        f"SELECT dim, key, SUM(d) FROM ({counts}) c GROUP BY dim, key HAVING SUM(d) != 0 "
        "ON CONFLICT (dim, key) DO UPDATE SET n = stat_count.n + excluded.n; "
        "RETURN NULL; END $$"
    )


_TRANSITION = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
               "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}  # fmt: skip

# Statement-level triggers over transition tables: a statement touching many plates (a
# bulk insert, retention's delete, a list sync) updates each aggregate row once. Row-level
# upserts of the same few rows in one transaction leave a dead version per update that
# each next lookup walks: quadratic (a 50,000-plate transaction did not finish in 6 min).
_STATS: Migration = (
    f"CREATE TABLE stat_hour (day {TEXT} NOT NULL, hour INTEGER NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (day, hour))",
    f"CREATE TABLE stat_count (dim {TEXT} NOT NULL, key {TEXT} NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (dim, key))",
    *(_stat_function(op) for op in _TRANSITION),
    *(
        f"CREATE TRIGGER plate_stat_{op.lower()} AFTER {op} ON plate REFERENCING {tables} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION plate_stat_{op.lower()}()"
        for op, tables in _TRANSITION.items()
    ),
)

# Each plate's distinct substrings of the lengths {k}, upper-cased (as SQLite's _grams).
_GRAMS_OF = (
    "SELECT DISTINCT upper(substr({t}, n, k)) FROM generate_series(1, length({t})) AS n, "
    "(VALUES {k}) AS kk(k) WHERE n + k - 1 <= length({t})"
)

_SHORT_SEARCH: Migration = (
    f"CREATE TABLE plate_gram (gram {TEXT} NOT NULL, plate_id INTEGER NOT NULL, PRIMARY KEY (gram, plate_id))",
    "CREATE FUNCTION plate_grams(t text) RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$ "
    f"{_GRAMS_OF.format(t='t', k='(1), (2)')} $$",
    "INSERT INTO plate_gram (gram, plate_id) SELECT g, p.id FROM plate p, plate_grams(p.plate_text) AS g "
    "ORDER BY p.id ON CONFLICT DO NOTHING",
    """CREATE FUNCTION plate_gram_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            DELETE FROM plate_gram WHERE plate_id = OLD.id AND gram IN (SELECT plate_grams(OLD.plate_text));
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO plate_gram (gram, plate_id) SELECT g, NEW.id FROM plate_grams(NEW.plate_text) AS g
            ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER plate_gram_aid AFTER INSERT OR DELETE ON plate FOR EACH ROW EXECUTE FUNCTION plate_gram_sync()",
    "CREATE TRIGGER plate_gram_au AFTER UPDATE OF plate_text ON plate FOR EACH ROW EXECUTE FUNCTION plate_gram_sync()",
)

# A 3-character search with thousands of matches read every match's heap row through the
# pg_trgm bitmap, for its page and again for its count: 316 ms at 1 M plates. plate_gram
# takes each plate's 3-character substrings too (plate_grams is replaced; the triggers call
# it), so such a search is one key range like a 1-2 character one (Dialect.gram_max).
_THREE_CHARACTER_SEARCH: Migration = (
    f"CREATE OR REPLACE FUNCTION plate_grams(t text) RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$ "
    f"{_GRAMS_OF.format(t='t', k='(1), (2), (3)')} $$",
    "INSERT INTO plate_gram (gram, plate_id) SELECT upper(substr(p.plate_text, n, 3)), p.id FROM plate p, "
    "generate_series(1, length(p.plate_text) - 2) AS n ORDER BY p.id ON CONFLICT DO NOTHING",
    "ANALYZE plate_gram",
)

# A central daemon asks which gate stored an image (``gate_of_image``) for every image of
# another gate the dashboard shows: without these each ask read the three tables whole.
IMAGE_PATH_COLUMNS = (
    ("detection_session", "original_path"),
    ("detection_session", "annotated_path"),
    ("detection_session", "vehicle_annotated_path"),
    ("vehicle", "image_path"),
    ("plate", "image_path"),
)
_IMAGE_PATHS: Migration = tuple(
    f"CREATE INDEX IF NOT EXISTS idx_{table}_{column} ON {table} ({column})" for table, column in IMAGE_PATH_COLUMNS
)

MIGRATIONS: tuple[Migration, ...] = (
    pg_ddl(_TABLES),
    _SEARCH,
    _STATS,
    pg_ddl(_BOTH_FILTERS),
    pg_ddl(_DEEP_PAGES),
    _SHORT_SEARCH,
    pg_ddl(_WEBHOOKS),
    pg_ddl(_GATES),
    pg_ddl(_WEBHOOK_STAT_BY_GATE),
    _THREE_CHARACTER_SEARCH,
    _IMAGE_PATHS,
)
