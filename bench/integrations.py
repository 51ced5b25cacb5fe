"""Integrations side by side: event -> webhook, event -> MQTT, event -> gate action (HTTP),
p50/p95, in one run on 127.0.0.1.

One event bus feeds the three sinks of this checkout as the daemon wires them: the REST
app with one webhook (previews best-effort, detections from the outbox), the MQTT sink
(Debian's ``mosquitto`` started here on a free port, a paho subscriber on
``alprd/events``) and the gate actions' runner with one HTTP rule. One aiohttp receiver
in this process takes the webhook's and the action's requests.

* ``preview``: the event is published on the bus from a thread (as the inference thread
  does); timed from the publish to its arrival at each sink;
* ``detection``: a detection is stored from a thread and announced on the bus (as the
  event writer does); timed from the start of its save (the SQLite transaction
  included) to its arrival at each sink.

    nice -n 10 python3 bench/integrations.py --events 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import paho.mqtt.client as paho
from aiohttp import web
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "web"))

from test_web_mqtt import Broker  # noqa: E402
from web_factories import make_result  # noqa: E402

from alprd.bus import EventBus, LiveEvent  # noqa: E402
from alprd.config import Config, MqttConfig, StorageConfig, WebhookConfig  # noqa: E402
from alprd.config_actions import HttpAction, HttpRequest  # noqa: E402
from alprd.log import configure_logging  # noqa: E402
from alprd.storage.files import StoredImages  # noqa: E402
from alprd.storage.live import detection_event  # noqa: E402
from alprd.storage.repository import Repository, open_repository  # noqa: E402
from alprd.web.actions import ActionRunner  # noqa: E402
from alprd.web.app import create_app  # noqa: E402
from alprd.web.mqtt import MqttSink  # noqa: E402

SINKS = ("webhook", "mqtt", "action")
WAIT_S = 10.0


def publish_preview(bus: EventBus, plate: str) -> float:
    began = time.perf_counter()
    bus.publish(
        LiveEvent("preview", plate, 0.95, "whitelist", "cam0", "Gate", "entry", time.time(), vehicle_type="car")
    )
    return began


def store_and_publish(repo: Repository, bus: EventBus, plate: str) -> float:
    """Store one detection and announce it, as the event writer does; returns when the save began."""
    began = time.perf_counter()
    session_id = repo.save_image_result(
        make_result((plate, "car")),
        StoredImages(),
        location="Gate",
        detected_at=datetime.now(),
        processing_time_s=0.1,
        camera_id="cam0",
        source="camera",
    )
    bus.publish(detection_event(repo.get_session(session_id)))
    return began


class Subscriber:
    """A paho client on ``alprd/events``: when each plate's message arrived."""

    def __init__(self, port: int, arrived: dict[tuple[str, str], float]) -> None:
        self.client = paho.Client(CallbackAPIVersion.VERSION2)
        ready = asyncio.get_running_loop().create_future()
        loop = asyncio.get_running_loop()

        def on_message(_c, _u, msg) -> None:
            arrived["mqtt", json.loads(msg.payload)["plate_text"]] = time.perf_counter()

        self.client.on_message = on_message
        self.client.on_connect = lambda client, *_a: client.subscribe("alprd/events", 1)
        self.client.on_subscribe = lambda *_a: loop.call_soon_threadsafe(ready.set_result, True)
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()
        self.ready = ready

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


async def receiver(arrived: dict[tuple[str, str], float]) -> tuple[web.AppRunner, int]:
    async def hook(request: web.Request) -> web.Response:
        arrived["webhook", (await request.json())["plate_text"]] = time.perf_counter()
        return web.Response(status=204)

    async def relay(request: web.Request) -> web.Response:
        arrived["action", (await request.json())["plate"]] = time.perf_counter()
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    app.router.add_post("/relay", relay)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def main(args: argparse.Namespace) -> None:
    arrived: dict[tuple[str, str], float] = {}
    rr, port = await receiver(arrived)
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp))
        broker.start()
        subscriber = Subscriber(broker.port, arrived)
        await asyncio.wait_for(subscriber.ready, WAIT_S)
        config = Config(
            storage=StorageConfig(database=Path("alprd.db")),
            cameras_dir=None,
            webhooks=(
                WebhookConfig(
                    url=f"http://127.0.0.1:{port}/hook", secret="bench-secret", events=("preview", "detection")
                ),
            ),
            base_dir=Path(tmp),
        )
        repo = open_repository(config)
        bus = EventBus()
        mqtt = MqttSink(MqttConfig(host="127.0.0.1", port=broker.port), ["cam0"]).start()
        assert mqtt.wait_connected(WAIT_S), "the MQTT sink did not connect"
        bus.subscribe(mqtt.offer)
        rule = HttpAction(
            name="bench",
            http=HttpRequest(url=f"http://127.0.0.1:{port}/relay", body={"plate": "{plate_text}"}),
            dedupe_s=0,
            min_interval_s=0,
        )
        actions = ActionRunner([rule]).start()
        bus.subscribe(actions.offer)
        app = web.AppRunner(create_app(config, repository=repo, bus=bus), access_log=None)
        await app.setup()  # the webhook sender and its preview relay start
        latencies: dict[tuple[str, str], list[float]] = {}
        for kind in ("preview", "detection"):
            for i in range(args.events + args.warmup):
                plate = f"{kind[0].upper()}{i}"
                if kind == "preview":
                    began = await asyncio.to_thread(publish_preview, bus, plate)
                else:
                    began = await asyncio.to_thread(store_and_publish, repo, bus, plate)
                deadline = time.perf_counter() + WAIT_S
                while not all((s, plate) in arrived for s in SINKS):
                    if time.perf_counter() > deadline:
                        raise SystemExit(
                            f"{plate}: not every sink got it: {[s for s in SINKS if (s, plate) in arrived]}"
                        )
                    await asyncio.sleep(0.001)
                if i >= args.warmup:
                    for sink in SINKS:
                        latencies.setdefault((kind, sink), []).append((arrived[sink, plate] - began) * 1000)
                await asyncio.sleep(args.gap_ms / 1000)
        await app.cleanup()
        actions.close()
        mqtt.close()
        subscriber.close()
        broker.stop()
        repo.db.close()
    await rr.cleanup()
    print(f"{args.events} events of each kind, {args.gap_ms:g} ms apart (after {args.warmup} warm-up):")
    for (kind, sink), values in latencies.items():
        q = statistics.quantiles(values, n=20)
        start = "publish" if kind == "preview" else "save"
        print(f"  {kind:9} ({start:7}) -> {sink:7}: p50 {q[9]:6.1f} ms, p95 {q[18]:6.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200, help="timed events of each kind")
    parser.add_argument("--warmup", type=int, default=5, help="untimed events first, of each kind")
    parser.add_argument("--gap-ms", type=float, default=20.0)
    configure_logging("console", logging.WARNING)  # a log line per event would be timed too
    asyncio.run(main(parser.parse_args()))
