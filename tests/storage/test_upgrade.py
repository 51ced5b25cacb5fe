"""Upgrades keep data: a database written by an earlier release opens with this code's
migrations and keeps its rows (files made by tests/data/make_release_db.py)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from alprd.domain.packs import load_pack
from alprd.storage.db import open_database, schema_version
from alprd.storage.migrations import MIGRATIONS
from alprd.storage.repository import Repository

pytestmark = pytest.mark.sqlite_only  # SQLite files of earlier releases
RELEASE_DBS = sorted((Path(__file__).resolve().parents[1] / "data").glob("alprd-*.db"))


def test_a_release_database_is_committed() -> None:
    assert RELEASE_DBS, "tests/data/alprd-<version>.db missing (python tests/data/make_release_db.py)"


@pytest.mark.parametrize("release_db", RELEASE_DBS, ids=lambda p: p.stem)
def test_migrations_open_a_release_database_and_keep_its_rows(release_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "alprd.db"
    shutil.copyfile(release_db, path)
    with sqlite3.connect(path) as raw:
        before = raw.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        plates_before = raw.execute("SELECT plate_text, plate_status FROM plate ORDER BY id").fetchall()
    assert 1 <= before <= len(MIGRATIONS) and len(plates_before) == 3

    db = open_database(path)
    try:
        assert schema_version(db) == len(MIGRATIONS)
        repo = Repository(db, load_pack("id"))
        rows, total = repo.list_detections(limit=10, offset=0)
        assert total == 3
        assert sorted((r.plate_text, r.plate_status) for r in rows) == sorted(plates_before)
        assert [r.plate_text for r in repo.list_detections(limit=10, offset=0, search="1234")[0]] == ["B1234XYZ"]
        assert [r.plate_text for r in repo.list_detections(limit=10, offset=0, search="D5")[0]] == ["D5678AB"]
        assert repo.list_statuses() == {"B1234XYZ": "whitelist"}
        assert [loc.name for loc in repo.list_locations()] == ["Gate 1"]
        assert dict(repo.counts_by("vehicle_class")) == {"car": 1, "motorcycle": 1, "unknown": 1}
        # and it takes new rows after the upgrade
        repo.set_status("D5678AB", "blacklist")
        assert repo.list_statuses()["D5678AB"] == "blacklist"
    finally:
        db.close()
