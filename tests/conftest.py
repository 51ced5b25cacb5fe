"""Shared fixtures. Tests mirror the stages: tests/capture, tests/vision, tests/gate, ...

Third-party data (labelled sets, Intel's vehicle models) lies beside the clone in
../shared, or (sets with a pinned public source) is fetched into .cache/datasets by
tools/test.sh; a test whose data is in neither place is skipped with the reason.

The storage and web tests run on SQLite, and again on PostgreSQL when
``ALPRD_TEST_DATABASE=postgresql`` (tools/test.sh's second run): their database comes from
the ``pg_url`` fixture (a new database on a throwaway server, tests/pg_server.py), and a
test of SQLite's own machinery (pragmas, query plans, release files) is marked
``sqlite_only``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alprd.ops import datasets
from tests.pg_server import PgServer, running_server, wants_postgres

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS = REPO_ROOT / "models"  # alprd's models dir ('alprd models fetch' fills it)


class Datasets:
    """``datasets_dir / "openalpr-eu"`` is that set's folder wherever it was found; a set
    found nowhere skips the test (``datasets.why_missing`` gives the reason)."""

    def __truediv__(self, name: str) -> Path:
        found = datasets.locate(name)
        if found is None:
            pytest.skip(datasets.why_missing(name))
        return found


@pytest.fixture(scope="session")
def datasets_dir() -> Datasets:
    return Datasets()


@pytest.fixture(scope="session")
def ov_core():
    """One OpenVINO Core for the whole test session (as the daemon has one per process)."""
    from alprd.vision.ov_model import make_core

    return make_core()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: tests SQLite's own machinery (skipped on PostgreSQL)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not wants_postgres():
        return
    skip = pytest.mark.skip(reason="SQLite's own machinery (ALPRD_TEST_DATABASE=postgresql)")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with running_server() as server:
        yield server


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str | None:
    """A new empty PostgreSQL database's URL when ALPRD_TEST_DATABASE=postgresql, else None."""
    if not wants_postgres():
        return None
    return request.getfixturevalue("pg_server").new_database()


@pytest.fixture
def database_target(pg_url: str | None, tmp_path: Path) -> Path | str:
    """The test's database: a SQLite file in tmp_path, or a new PostgreSQL database."""
    return pg_url or tmp_path / "alprd.db"
