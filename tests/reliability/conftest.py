"""Fixtures of the reliability suite: the real app on a real SQLite file in tmp_path.

These tests attack the daemon the way a hostile LAN page, a broken client or a full
disk would; each one failed on main before its fix (issue 15).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability_helpers import StubPipeline, make_config

from alprd.config import Config
from alprd.storage.repository import Repository, open_repository
from alprd.web.app import create_app


@pytest.fixture(autouse=True)
def _no_env_keys(monkeypatch):
    monkeypatch.delenv("ALPRD_API_KEY", raising=False)
    monkeypatch.delenv("ALPRD_READ_KEY", raising=False)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def repository(config: Config) -> Repository:
    repo = open_repository(config)
    yield repo
    repo.db.close()


@pytest.fixture
async def client(aiohttp_client, config, repository):
    return await aiohttp_client(create_app(config, repository=repository, pipeline=StubPipeline()))
