"""The daemon's storage, event writer and REST API with stand-in cameras, as a process with
few file descriptors, for the flood test:
``python flood_server.py BASE_DIR PORT_FILE EVENTS MAX_CONNECTIONS NOFILE``.

It opens storage and starts the writer and the API as the daemon does; two camera threads
submit ``EVENTS`` final plate events between them (one every 20 ms each, 640x480 frames),
then the writer is flushed and ``BASE_DIR/stats.json`` written (submitted, stored, failed).
The process keeps serving until it is killed.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_helpers import StubPipeline, make_config  # noqa: E402

from alprd.bus import EventBus  # noqa: E402
from alprd.domain.messages import Box, Detection, Frame, OcrResult, PlateEvent, PlateRead  # noqa: E402
from alprd.log import configure_logging  # noqa: E402
from alprd.storage.startup import open_storage  # noqa: E402
from alprd.storage.writer import EventWriter  # noqa: E402
from alprd.web.app import create_app  # noqa: E402
from alprd.web.server import start_api  # noqa: E402

CAMERAS = ("gate1", "gate2")


def plate_event(camera_id: str, n: int) -> PlateEvent:
    image = np.random.default_rng(n).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    car = Detection(Box(60, 40, 560, 440), 0.9, "car")
    text = f"B{n:04d}FL"
    read = PlateRead(Detection(Box(200, 300, 320, 340), 0.9, "plate"), OcrResult(text, 0.93), vehicle=car)
    t = datetime(2026, 5, 4, 10, 0, 0).timestamp() + n
    return PlateEvent(camera_id, n, "final", text, 0.93, read, Frame(camera_id, n, t, image), t - 2, t, 5)


def run_cameras(writer: EventWriter, events: int, stats_file: Path) -> None:
    accepted: list[bool] = []

    def camera(index: int) -> None:
        for n in range(index, events, len(CAMERAS)):
            accepted.append(writer.submit(plate_event(CAMERAS[index], n)))
            time.sleep(0.02)  # a camera's pace, not a measurement

    threads = [threading.Thread(target=camera, args=(i,)) for i in range(len(CAMERAS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.flush(timeout_s=120)
    stats = {"submitted": sum(accepted), "stored": writer.stored, "failed": writer.failed}
    stats["without_images"] = writer.stored_without_images
    tmp = stats_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(stats))
    tmp.replace(stats_file)


async def serve(base_dir: Path, port_file: Path, events: int, max_connections: int) -> None:
    config = make_config(base_dir, max_connections=max_connections)
    repository, store = open_storage(config)
    bus = EventBus()
    writer = EventWriter(repository, store, None, bus=bus).start()
    app = create_app(
        config, repository=repository, pipeline=StubPipeline(), bus=bus, writer_pending=lambda: writer.pending
    )
    runner = await start_api(app, config.server, port=0)
    tmp = port_file.with_suffix(".tmp")
    tmp.write_text(str(runner.addresses[0][1]))
    tmp.replace(port_file)
    go = base_dir / "go"  # the test starts the cameras once its flood is under way
    while not go.exists():
        await asyncio.sleep(0.05)
    await asyncio.to_thread(run_cameras, writer, events, base_dir / "stats.json")
    await asyncio.Event().wait()


if __name__ == "__main__":
    base, port_path, n_events, max_conn, nofile = sys.argv[1:6]
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(nofile), hard))
    configure_logging("json")
    asyncio.run(serve(Path(base), Path(port_path), int(n_events), int(max_conn)))
