"""One schema definition: migration 1 is generated from the Peewee models
(alprd.storage.schema), and the database it produces is the one the hand-written SQL
produced (tests/data/schema_v1_tables.sql): same columns, types, NOT NULL, defaults, keys,
AUTOINCREMENT, foreign keys and indexes, then the same later migrations on top."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from peewee import AutoField, CharField, IntegerField, Model, SqliteDatabase

from alprd.storage.db import open_database
from alprd.storage.migrations import MIGRATIONS
from alprd.storage.schema import add_columns, added_in, create_table_sql

OLD_V1 = Path(__file__).resolve().parents[1] / "data" / "schema_v1_tables.sql"


def schema_of(con: sqlite3.Connection) -> dict:
    """Everything SQLite knows of the schema, by name; SQL text only where it is the
    definition (triggers, virtual tables), with whitespace collapsed."""
    found: dict = {}
    for kind, name, table, sql in con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"):
        entry: dict = {"type": kind, "table": table}
        if kind == "table" and sql and not sql.upper().startswith("CREATE VIRTUAL"):
            entry["columns"] = con.execute(f"PRAGMA table_xinfo({name})").fetchall()
            entry["foreign_keys"] = con.execute(f"PRAGMA foreign_key_list({name})").fetchall()
            entry["autoincrement"] = "AUTOINCREMENT" in sql.upper()
            entry["without_rowid"] = "WITHOUT ROWID" in sql.upper()
        elif kind == "index":
            entry["columns"] = con.execute(f"PRAGMA index_xinfo({name})").fetchall()
            entry["unique"] = [r[2] for r in con.execute(f"PRAGMA index_list({table})") if r[1] == name]
        elif sql:
            entry["sql"] = re.sub(r"\s+", " ", sql).strip()
        found[name] = entry
    return found


def test_the_generated_schema_is_the_hand_written_one(tmp_path):
    old = sqlite3.connect(tmp_path / "old.db")
    old.executescript(OLD_V1.read_text(encoding="utf-8"))
    for statements in MIGRATIONS[1:]:
        for sql in statements:
            old.execute(sql)
    db = open_database(tmp_path / "new.db")
    db.close()
    new = sqlite3.connect(tmp_path / "new.db")
    expected, got = schema_of(old), schema_of(new)
    got.pop("schema_version")  # the migration runner's own table
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert got[name] == expected[name], name
    assert len(expected) > 30  # tables, indexes, triggers, the FTS index: a real comparison


def test_migration_1_is_the_models_at_version_1():
    from alprd.storage.models import ALL_MODELS

    assert MIGRATIONS[0] == tuple(sql for m in ALL_MODELS for sql in create_table_sql(m, version=1))


class _Gate(Model):
    id = AutoField()
    name = CharField(default="")
    lanes = added_in(2, IntegerField(default=1, index=True))

    class Meta:
        database = SqliteDatabase(None)
        table_name = "gate"


@pytest.mark.parametrize("columns", [["id", "name"]])
def test_a_field_added_later_is_created_at_its_version_and_added_by_its_migration(tmp_path, columns):
    assert [c.split()[0] for c in create_table_sql(_Gate, 1)[0].split("(", 1)[1].split(", ")] == columns
    upgraded = sqlite3.connect(tmp_path / "upgraded.db")
    for sql in create_table_sql(_Gate, 1) + add_columns([_Gate], 2):
        upgraded.execute(sql)
    fresh = sqlite3.connect(tmp_path / "fresh.db")
    for sql in create_table_sql(_Gate, 2):
        fresh.execute(sql)
    assert schema_of(upgraded)["gate"] == schema_of(fresh)["gate"]
    assert schema_of(upgraded)["gate_lanes"] == schema_of(fresh)["gate_lanes"]
    assert add_columns([_Gate], 3) == ()
