"""Numbered schema migrations, applied in order at start; ``schema_version`` records them.

A migration is a tuple of SQL statements. Never edit a released migration: append a
new one. Besides the tables of ``alprd.storage.models`` the schema holds
- ``plate_search``: an FTS5 trigram index of plate texts, so that a substring search
  (``search=B12``) does not scan every plate;
- ``plate_gram``: each plate's distinct 1- and 2-character substrings, for the searches
  too short for trigrams (``search=B1``), kept by triggers like ``plate_search``;
- ``stat_hour`` and ``stat_count``: small aggregate tables kept true by triggers on
  ``plate``, so that the dashboard statistics GROUP BY a few thousand rows instead of
  every plate ever stored.
"""

from __future__ import annotations

Migration = tuple[str, ...]

_TABLES: Migration = (
    """CREATE TABLE detection_session (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        detected_at DATETIME NOT NULL,
        location VARCHAR(255) NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        camera_id VARCHAR(255) NOT NULL DEFAULT '',
        source VARCHAR(255) NOT NULL DEFAULT 'upload',
        direction VARCHAR(255) NOT NULL DEFAULT 'unknown',
        original_path VARCHAR(255) NOT NULL DEFAULT '',
        annotated_path VARCHAR(255) NOT NULL DEFAULT '',
        vehicle_annotated_path VARCHAR(255) NOT NULL DEFAULT '',
        processing_time_s REAL NOT NULL DEFAULT 0,
        image_width_px INTEGER NOT NULL DEFAULT 0,
        image_height_px INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX detection_session_detected_at ON detection_session (detected_at)",
    """CREATE TABLE vehicle (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id INTEGER NOT NULL REFERENCES detection_session (id) ON DELETE CASCADE,
        vehicle_index INTEGER NOT NULL,
        vehicle_class VARCHAR(255) NOT NULL,
        confidence REAL NOT NULL,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
        image_path VARCHAR(255) NOT NULL DEFAULT '',
        detected_at DATETIME NOT NULL)""",
    "CREATE INDEX vehicle_session_id ON vehicle (session_id)",
    """CREATE TABLE plate (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id INTEGER NOT NULL REFERENCES detection_session (id) ON DELETE CASCADE,
        vehicle_id INTEGER REFERENCES vehicle (id) ON DELETE CASCADE,
        plate_index INTEGER NOT NULL,
        plate_text VARCHAR(255) NOT NULL,
        ocr_confidence REAL NOT NULL,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
        plate_type VARCHAR(255) NOT NULL DEFAULT 'Regular',
        plate_status VARCHAR(255) NOT NULL DEFAULT 'unknown',
        region_code VARCHAR(255) NOT NULL DEFAULT '',
        region_name VARCHAR(255) NOT NULL DEFAULT '',
        text_color VARCHAR(255) NOT NULL DEFAULT '',
        background_color VARCHAR(255) NOT NULL DEFAULT '',
        image_path VARCHAR(255) NOT NULL DEFAULT '',
        detected_at DATETIME NOT NULL,
        vehicle_class VARCHAR(255) NOT NULL DEFAULT 'unknown',
        vehicle_confidence REAL NOT NULL DEFAULT 0)""",
    "CREATE INDEX plate_session_id ON plate (session_id)",
    "CREATE INDEX plate_vehicle_id ON plate (vehicle_id)",
    "CREATE INDEX plate_plate_text ON plate (plate_text)",
    "CREATE INDEX plate_vehicle_class_id ON plate (vehicle_class, id)",
    "CREATE INDEX plate_plate_type_id ON plate (plate_type, id)",
    "CREATE INDEX plate_detected_at ON plate (detected_at)",
    """CREATE TABLE plate_status (
        plate_text VARCHAR(255) NOT NULL PRIMARY KEY,
        status VARCHAR(255) NOT NULL,
        created_at DATETIME NOT NULL)""",
    """CREATE TABLE location (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name VARCHAR(255) NOT NULL UNIQUE,
        type VARCHAR(255) NOT NULL DEFAULT '',
        created_at DATETIME NOT NULL)""",
)

_SEARCH: Migration = (
    "CREATE VIRTUAL TABLE plate_search USING fts5(plate_text, content='plate', content_rowid='id', tokenize='trigram')",
    """CREATE TRIGGER plate_search_ai AFTER INSERT ON plate BEGIN
        INSERT INTO plate_search (rowid, plate_text) VALUES (NEW.id, NEW.plate_text);
    END""",
    """CREATE TRIGGER plate_search_ad AFTER DELETE ON plate BEGIN
        INSERT INTO plate_search (plate_search, rowid, plate_text)
        VALUES ('delete', OLD.id, OLD.plate_text);
    END""",
    """CREATE TRIGGER plate_search_au AFTER UPDATE OF plate_text ON plate BEGIN
        INSERT INTO plate_search (plate_search, rowid, plate_text)
        VALUES ('delete', OLD.id, OLD.plate_text);
        INSERT INTO plate_search (rowid, plate_text) VALUES (NEW.id, NEW.plate_text);
    END""",
)

# (dimension, column of plate) counted in stat_count.
STAT_DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("vehicle_class", "vehicle_class"),
    ("plate_type", "plate_type"),
    ("region", "region_code"),
    ("status", "plate_status"),
)


def _count_sql(row: str, delta: str) -> str:
    day = f"substr({row}.detected_at, 1, 10)"
    hour = f"CAST(substr({row}.detected_at, 12, 2) AS INTEGER)"
    parts = [
        f"INSERT INTO stat_hour (day, hour, n) VALUES ({day}, {hour}, {delta}) "
        f"ON CONFLICT (day, hour) DO UPDATE SET n = n + ({delta});"
    ]
    for dim, column in STAT_DIMENSIONS:
        parts.append(
            f"INSERT INTO stat_count (dim, key, n) VALUES ('{dim}', {row}.{column}, {delta}) "
            f"ON CONFLICT (dim, key) DO UPDATE SET n = n + ({delta});"
        )
    return "\n".join(parts)


_STATS: Migration = (
    "CREATE TABLE stat_hour (day TEXT NOT NULL, hour INTEGER NOT NULL, n INTEGER NOT NULL, "
    "PRIMARY KEY (day, hour)) WITHOUT ROWID",
    "CREATE TABLE stat_count (dim TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, "
    "PRIMARY KEY (dim, key)) WITHOUT ROWID",
    f"CREATE TRIGGER plate_stat_ai AFTER INSERT ON plate BEGIN {_count_sql('NEW', '1')} END",
    f"CREATE TRIGGER plate_stat_ad AFTER DELETE ON plate BEGIN {_count_sql('OLD', '-1')} END",
    "CREATE TRIGGER plate_stat_au AFTER UPDATE OF detected_at, vehicle_class, plate_type, "
    f"region_code, plate_status ON plate BEGIN {_count_sql('OLD', '-1')} {_count_sql('NEW', '1')} END",
)

# Both list filters at once (vehicleType and plateType): the page and its count read
# one index range instead of checking every plate of the vehicle class.
_BOTH_FILTERS: Migration = ("CREATE INDEX plate_class_type_id ON plate (vehicle_class, plate_type, id)",)

# A narrow index on the id alone: a deep unfiltered page (OFFSET 500000) steps through
# this small b-tree instead of the wide table rows, about 5x faster at 1 M plates.
_DEEP_PAGES: Migration = ("CREATE INDEX plate_id ON plate (id)",)


def _grams(text: str) -> str:
    """A SELECT of the 1- and 2-character substrings (``gram``, repeats kept) of SQL ``text``.

    Upper-cased as ``LIKE`` compares (ASCII case-insensitive), so that ``gram = 'B1'``
    finds exactly the plates that ``plate_text LIKE '%B1%'`` finds.
    """
    return (
        f"SELECT upper(substr({text}, pos.n, k.k)) AS gram FROM "
        f"(WITH RECURSIVE pos(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM pos WHERE n < length({text})) "
        "SELECT n FROM pos) pos, (SELECT 1 AS k UNION ALL SELECT 2) k "
        f"WHERE pos.n + k.k - 1 <= length({text})"
    )


# Searches of 1 or 2 characters, too short for the trigram index, were a LIKE scan of
# every plate: 110-280 ms for a page and its count at 1 M plates. (gram, plate_id) is the
# primary key, so a page's ids come in id order from one key range and the count is an
# index-only count of that range. The backfill walks plate in id order without a sort
# (INSERT OR IGNORE drops a plate's repeated grams): each gram's rows are appended at the
# end of its key range, so few pages are hot and no temporary b-tree holds 12 M rows.
# At 1 M plates: 12.4 M rows, +146 MB (691 -> 838 MB), 19 s on the bench database; each
# stored plate costs ~40 us more (docs/journal/benchmarks-rest-api.md).
_SHORT_SEARCH: Migration = (
    "CREATE TABLE plate_gram (gram TEXT NOT NULL, plate_id INTEGER NOT NULL, "
    "PRIMARY KEY (gram, plate_id)) WITHOUT ROWID",
    "INSERT OR IGNORE INTO plate_gram (gram, plate_id) "
    "SELECT upper(substr(p.plate_text, pos.n, k.k)), p.id FROM plate p, "
    "(WITH RECURSIVE pos(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM pos "
    "WHERE n < (SELECT MAX(length(plate_text)) FROM plate)) SELECT n FROM pos) pos, "
    "(SELECT 1 AS k UNION ALL SELECT 2) k "
    "WHERE pos.n + k.k - 1 <= length(p.plate_text) ORDER BY p.id",
    f"""CREATE TRIGGER plate_gram_ai AFTER INSERT ON plate BEGIN
        INSERT OR IGNORE INTO plate_gram (gram, plate_id) SELECT gram, NEW.id FROM ({_grams("NEW.plate_text")});
    END""",
    f"""CREATE TRIGGER plate_gram_ad AFTER DELETE ON plate BEGIN
        DELETE FROM plate_gram WHERE plate_id = OLD.id AND gram IN ({_grams("OLD.plate_text")});
    END""",
    f"""CREATE TRIGGER plate_gram_au AFTER UPDATE OF plate_text ON plate BEGIN
        DELETE FROM plate_gram WHERE plate_id = OLD.id AND gram IN ({_grams("OLD.plate_text")});
        INSERT OR IGNORE INTO plate_gram (gram, plate_id) SELECT gram, NEW.id FROM ({_grams("NEW.plate_text")});
    END""",
)

# The webhook outbox: one row per (stored detection, webhook), written in the detection's
# own transaction and deleted when the receiver answers 2xx; ``webhook_stat`` keeps each
# webhook's delivered and failed counts and last error across restarts. No foreign key
# to the session: a row holds its payload, so it is delivered even after the session is deleted.
_WEBHOOKS: Migration = (
    """CREATE TABLE webhook_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        webhook TEXT NOT NULL,
        camera_id TEXT NOT NULL,
        session_id INTEGER,
        payload TEXT NOT NULL,
        created_at DATETIME NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX webhook_outbox_head ON webhook_outbox (webhook, camera_id, id)",
    """CREATE TABLE webhook_stat (
        webhook TEXT NOT NULL PRIMARY KEY,
        delivered INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        last_error_at DATETIME,
        last_delivered_at DATETIME) WITHOUT ROWID""",
)

MIGRATIONS: tuple[Migration, ...] = (
    _TABLES,
    _SEARCH,
    _STATS,
    _BOTH_FILTERS,
    _DEEP_PAGES,
    _SHORT_SEARCH,
    _WEBHOOKS,
)
