"""Webhook benchmark: event -> webhook latency and outbox drain rate, on 127.0.0.1.

A receiver (aiohttp, in this process) answers 204 to signed POSTs; the REST app of this
checkout runs with one webhook pointing at it, over a fresh database in a temp folder.

* latency: --events detections stored one by one from a thread (as the event writer
  stores them), --gap-ms apart; each is timed from the start of its save (the SQLite
  transaction included) to its arrival at the receiver (p50/p95);
* drain rate: --backlog detections over --cameras cameras stored while no sender runs
  (a receiver that was down); then the app starts and the outbox is timed until empty.

    nice -n 10 python3 bench/webhooks.py --events 200 --backlog 2000 --cameras 4
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "web"))

from web_factories import make_result  # noqa: E402

from alprd.config import Config, StorageConfig, WebhookConfig  # noqa: E402
from alprd.storage.files import StoredImages  # noqa: E402
from alprd.storage.repository import Repository, open_repository  # noqa: E402
from alprd.web.app import create_app  # noqa: E402


def store(repo: Repository, text: str, camera: str) -> float:
    """Store one detection; returns when the save began (the sender may be done before it returns)."""
    began = time.perf_counter()
    repo.save_image_result(
        make_result((text, "car")),
        StoredImages(),
        location="Gate",
        detected_at=datetime.now(),
        processing_time_s=0.1,
        camera_id=camera,
        source="camera",
    )
    return began


async def main(args: argparse.Namespace) -> None:
    arrived: dict[str, float] = {}

    async def receive(request: web.Request) -> web.Response:
        arrived[(await request.json())["plate_text"]] = time.perf_counter()
        return web.Response(status=204)

    receiver = web.Application()
    receiver.router.add_post("/hook", receive)
    rr = web.AppRunner(receiver, access_log=None)
    await rr.setup()
    site = web.TCPSite(rr, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(
            storage=StorageConfig(database=Path("alprd.db")),
            cameras_dir=None,
            webhooks=(WebhookConfig(url=f"http://127.0.0.1:{port}/hook", secret="bench-secret"),),
            base_dir=Path(tmp),
        )
        repo = open_repository(config)
        for i in range(args.backlog):
            store(repo, f"D{i}", f"cam{i % args.cameras}")
        runner = web.AppRunner(create_app(config, repository=repo), access_log=None)
        started = time.perf_counter()
        await runner.setup()  # the sender starts and drains the backlog
        while len(arrived) < args.backlog:
            await asyncio.sleep(0.01)
        drain_s = time.perf_counter() - started
        latencies = []
        for i in range(args.events):
            began = await asyncio.to_thread(store, repo, f"L{i}", "cam0")
            while f"L{i}" not in arrived:
                await asyncio.sleep(0.001)
            latencies.append((arrived[f"L{i}"] - began) * 1000)
            await asyncio.sleep(args.gap_ms / 1000)
        await runner.cleanup()
        repo.db.close()
    await rr.cleanup()
    q = statistics.quantiles(latencies, n=20)
    rate = args.backlog / drain_s
    print(f"drain: {args.backlog} events over {args.cameras} cameras in {drain_s:.2f} s = {rate:.0f}/s")
    print(f"latency save -> receiver over {args.events} events: p50 {q[9]:.1f} ms, p95 {q[18]:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--gap-ms", type=float, default=20.0)
    parser.add_argument("--backlog", type=int, default=2000)
    parser.add_argument("--cameras", type=int, default=4)
    asyncio.run(main(parser.parse_args()))
