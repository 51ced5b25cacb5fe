"""schemathesis against the real server on 127.0.0.1: no 5xx, nothing outside /openapi.json.

The server runs in a thread of this process (real socket, real SQLite file or, in the
PostgreSQL pass, PostgreSQL database (a NUL in a query was a 500 only there), a fixed
stand-in plate reader so that /detect/image stores real files); schemathesis runs as
its own process with a bounded number of examples per operation and a fixed seed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from aiohttp import web
from web_factories import FixedPipeline, make_result

from alprd.config import Config, ServerConfig, StorageConfig
from alprd.storage.files import ImageStore
from alprd.storage.repository import open_repository
from alprd.web.app import create_app
from tests.schemathesis_cli import run_schemathesis

MAX_EXAMPLES = 8
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    )
)


class LiveServer:
    """The aiohttp app on an ephemeral 127.0.0.1 port, served by a thread's own event loop."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-server", daemon=True)
        self._runner: web.AppRunner | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def __enter__(self) -> LiveServer:
        self._thread.start()
        assert self._ready.wait(30), "server did not start"
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)


@pytest.fixture
def live(tmp_path: Path, database_target: Path | str) -> Iterator[LiveServer]:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "hello.txt").write_text("hello")
    # A central's settings (storage.gate_urls): its document also lists /outputs' 302.
    storage = StorageConfig(database=database_target, gate_urls={"north": "http://north.lan:8000"})
    config = Config(server=ServerConfig(static_dir=Path("static")), storage=storage, base_dir=tmp_path)
    repository = open_repository(config)
    store = ImageStore(config.resolve(config.storage.outputs_dir))
    for texts in (("B1234ABC", "D55XY"), ("F1A",)):
        result = make_result(*((t, "car") for t in texts), loose_plate="AB12C", plateless=1)
        image = np.zeros((result.height, result.width, 3), np.uint8)
        images = store.save_result(image, result, annotated=image, when=datetime.now())
        repository.save_image_result(
            result, images, location="Gate 1", detected_at=datetime.now(), processing_time_s=0.2
        )
    repository.set_status("B1234ABC", "whitelist")
    with LiveServer(create_app(config, repository=repository, pipeline=FixedPipeline())) as server:
        yield server
    repository.db.close()


def test_schemathesis_finds_no_server_error_and_no_schema_violation(live, tmp_path):
    proc = run_schemathesis(
        live.port, checks=CHECKS, seed=20251125, max_examples=MAX_EXAMPLES, cwd=tmp_path, timeout_s=170
    )
    tail = (proc.stdout + proc.stderr)[-6000:]
    assert proc.returncode == 0, tail
    assert "48/48" in proc.stdout or "Tested:" in proc.stdout, tail
