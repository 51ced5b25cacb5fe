"""SQLite and PostgreSQL answer the API byte for byte alike (fleet mode, README).

The same detections, lists, locations and edits go to two daemons' apps, one on a SQLite
file and one on a PostgreSQL database; every read and write answer is compared as bytes.
Runs in the PostgreSQL pass (``ALPRD_TEST_DATABASE=postgresql``, tools/test.sh).
"""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from web_factories import make_result

from alprd.config import Config, ServerConfig, StorageConfig
from alprd.storage import access_lists, files, locations
from alprd.storage.files import ImageStore
from alprd.storage.repository import open_repository
from alprd.web.app import create_app
from tests.pg_server import PASSWORD, wants_postgres

pytestmark = pytest.mark.skipif(not wants_postgres(), reason="needs the PostgreSQL pass (ALPRD_TEST_DATABASE)")
NOW = datetime(2026, 3, 14, 15, 9, 26)


class _FixedNow(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return NOW


def _config(base: Path, database: Path | str) -> Config:
    base.mkdir()
    return Config(
        server=ServerConfig(static_dir=Path("static")),
        storage=StorageConfig(database=database, outputs_dir=Path("outputs")),
        base_dir=base,
    )


def _seed(config: Config, repo) -> None:
    """The same 60 sessions (random texts, classes, times and lists from one seed; the
    crops' random file names from one counter)."""
    rng = random.Random(11)
    numbers = itertools.count(1)
    files.uuid = SimpleNamespace(uuid4=lambda: uuid.UUID(int=next(numbers)))  # type: ignore[attr-defined]
    store = ImageStore(config.resolve(config.storage.outputs_dir))
    repo.set_status("B12XZ", "whitelist")
    repo.set_status("D77", "blacklist")
    for i in range(60):
        plates = [
            (f"{rng.choice('BDF')}{rng.randint(1, 99)}{rng.choice(['', 'XZ', 'A'])}", rng.choice(["car", "truck"]))
            for _ in range(rng.randint(1, 2))
        ]
        result = make_result(*plates, loose_plate=rng.choice([None, "Q7Q"]), plateless=rng.randint(0, 1))
        when = NOW - timedelta(hours=rng.randint(0, 24 * 20), minutes=rng.randint(0, 59))
        image = np.full((result.height, result.width, 3), 90 + i, np.uint8)
        images = store.save_result(image, result, annotated=image, when=when)
        repo.save_image_result(
            result, images, location=rng.choice(["Gate 1", "Gate 2"]), detected_at=when, processing_time_s=0.1 * i
        )
        store.settle(images)


READS = [
    "/api/detections?limit=1000",
    "/api/detections?limit=7&offset=5",
    "/api/detections?limit=50&vehicleType=car",
    "/api/detections?limit=50&plateType=Regular&vehicleType=truck",
    "/api/detections?limit=50&search=b12",
    "/api/detections?limit=50&search=XZ",
    "/api/detections?limit=50&search=7&vehicleType=car",
    "/api/detections?limit=50&search=Q7Q",
    "/api/detection/latest",
    "/api/sessions?limit=100",
    "/api/sessions/3",
    "/api/plates/4",
    "/api/vehicles/2",
    "/api/plate-status",
    "/api/plates/regions/summary",
    "/api/locations/",
    "/api/locations/types",
    "/api/locations/count",
    "/api/statistics/dashboard?days=30",
    "/api/statistics/vehicle-distribution",
    "/api/statistics/detection-trend?days=30",
    "/api/statistics/hourly-activity?days=30",
    "/api/statistics/weekly-activity?days=30",
    "/api/statistics/plate-types",
    "/api/statistics/regions",
]
WRITES = [
    ("post", "/api/locations/", {"name": "Gate 1", "type": "Entry"}),
    ("post", "/api/locations/", {"name": "Gate 2", "type": "Exit"}),
    ("post", "/api/locations/", {"name": "Gate 1", "type": "Again"}),  # 409: the name is taken
    ("patch", "/api/plates/5", {"plate_text": "b12 xz"}),
    ("put", "/api/vehicles/3", {"vehicle_class": "bus"}),
    ("put", "/api/sessions/4", {"location": "Gate 2", "notes": "checked"}),
    ("delete", "/api/plates/6", None),
    ("delete", "/api/vehicles/7", None),
    ("post", "/api/plate-status", {"plate_text": "F1A", "status_type": "blacklist"}),
    ("post", "/api/plate-status/sync-all", None),
    ("delete", "/api/plate-status/D77", None),
]


async def _answers(aiohttp_client, config: Config, dialect: str) -> list[tuple[str, str, int, bytes]]:
    """Every answer of READS, then of each of WRITES followed by READS again."""
    repo = open_repository(config)  # binds the models: one database at a time in a process
    assert repo.dialect.name == dialect
    _seed(config, repo)
    client = await aiohttp_client(create_app(config, repository=repo))
    out = []
    for method, path, body in [("get", p, None) for p in READS] + [
        step for write in WRITES for step in (write, *(("get", p, None) for p in READS))
    ]:
        resp = await getattr(client, method)(path, json=body)
        out.append((method, path, resp.status, await resp.read()))
    await client.close()
    repo.db.close()
    return out


async def test_sqlite_and_postgresql_answer_alike(aiohttp_client, tmp_path, pg_url, monkeypatch):
    monkeypatch.setattr(locations, "datetime", _FixedNow)
    monkeypatch.setattr(access_lists, "datetime", _FixedNow)
    monkeypatch.setattr(files, "uuid", uuid)  # restored afterwards; _seed replaces it
    lite = await _answers(aiohttp_client, _config(tmp_path / "sqlite", Path("data/alprd.db")), "sqlite")
    pg = await _answers(aiohttp_client, _config(tmp_path / "postgresql", pg_url), "postgresql")
    assert len(lite) == len(pg) == len(READS) * (len(WRITES) + 1) + len(WRITES)
    for one, other in zip(lite, pg):
        assert one == other, one[:2]
    assert all(status < 500 for _, _, status, _ in lite)
    assert sorted({status for _, _, status, _ in lite}) == [200, 409]  # the taken location name


async def test_the_status_report_masks_the_password(aiohttp_client, config, repository):
    body = await (
        await (await aiohttp_client(create_app(config, repository=repository))).get("/api/statistics/status")
    ).json()
    assert body["database"]["accessible"] is True
    assert PASSWORD not in str(body) and body["database"]["path"].startswith("postgresql://***@127.0.0.1:")
