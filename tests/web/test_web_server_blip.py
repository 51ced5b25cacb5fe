"""Fleet mode: the API while its PostgreSQL server goes away and comes back (the central's
case, and a gate's own API). Down: every GET answers without a 500 (503 where it needs
the server, whichever query met the refused connection). Back: the first requests of
every database thread are answered, though each thread's connection died while idle."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

import pytest
from web_factories import make_result

from alprd.config import Config, StorageConfig
from alprd.storage.files import StoredImages
from alprd.storage.repository import open_repository
from alprd.web.app import DB_THREADS, create_app
from tests.pg_server import wants_postgres

pytestmark = pytest.mark.skipif(not wants_postgres(), reason="needs the PostgreSQL pass (ALPRD_TEST_DATABASE)")
STREAMS = {"/api/events"}  # long-lived: not a request that ends


async def test_the_api_answers_503_while_the_server_is_down_and_every_thread_recovers(aiohttp_client, tmp_path):
    from tests.pg_server import running_server

    with running_server() as server:  # its own: this test stops it
        storage = StorageConfig(database=server.new_database(), busy_timeout_ms=2000)
        config = Config(storage=storage, base_dir=tmp_path)
        repository = open_repository(config)
        result = make_result(("B1234XY", "car"))
        repository.save_image_result(
            result, StoredImages(), location="Gate 1", detected_at=datetime.now(), processing_time_s=0.1
        )
        client = await aiohttp_client(create_app(config, repository=repository))
        spec = await (await client.get("/openapi.json")).json()
        paths = [
            re.sub(r"\{[^}]+\}", "1", path)
            for path, ops in spec["paths"].items()
            if "get" in ops and path not in STREAMS
        ]

        async def statuses(times: int = 1) -> dict[str, set[int]]:
            got = await asyncio.gather(*(client.get(p) for p in paths * times))
            seen: dict[str, set[int]] = {}
            for path, resp in zip(paths * times, got, strict=True):
                seen.setdefault(path, set()).add(resp.status)
                resp.release()
            return seen

        up = await statuses(DB_THREADS)  # every database thread holds a connection now
        assert up["/detections"] == {200}
        server.stop()
        down = await statuses()
        assert {p for p, s in down.items() if 500 in s} == set(), down
        assert down["/detections"] == down["/api/detection/latest"] == down["/api/plates/regions/summary"] == {503}
        server.start()
        assert await statuses(DB_THREADS) == up
        server.stop()  # a blip no request sees: every thread's connection dies while idle
        server.start()
        assert await statuses(DB_THREADS) == up  # none answers 503 for its dead connection
        repository.db.close()
