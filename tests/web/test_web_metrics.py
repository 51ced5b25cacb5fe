"""GET /metrics against the real app, parsed by prometheus-client's own parser."""

from __future__ import annotations

from datetime import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_web_detect_image import form, jpeg
from web_factories import FixedPipeline

from alprd.config import ServerConfig
from alprd.domain.messages import CameraState
from alprd.meters import LatencyHistogram
from alprd.web.app import create_app


class FakeLines:
    """Two cameras in a known state (the LinesProvider port)."""

    def __init__(self) -> None:
        latency = LatencyHistogram()
        for seconds in (0.02, 0.04, 0.3):
            latency.observe(seconds)
        self.cameras = [
            CameraState(
                "gate1", "Gate 1", "A", "rtsp://cam1", True, 12.5, 4.75, 31, reconnects=2, inference=latency.snapshot()
            ),
            CameraState("gate2", "Gate 2", "B", "rtsp://cam2", False, 0.0, 0.0, 0, reconnects=5),
        ]

    def states(self) -> list[CameraState]:
        return self.cameras

    async def test_line(self, line_id: str):
        raise NotImplementedError


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_parse_and_carry_the_daemon_state(aiohttp_client, config, repository):
    app = create_app(
        config,
        repository=repository,
        pipeline=FixedPipeline(),
        lines=FakeLines(),
        writer_pending=lambda: 3,
        writer_held=lambda: 2,
    )
    client = await aiohttp_client(app)
    assert (await client.post("/detect/image", data=form(jpeg()))).status == 200
    resp = await client.get("/metrics")
    assert resp.status == 200 and resp.content_type == "text/plain"
    text = await resp.text()
    families = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert families == {
        "alprd_camera_fps_in": "gauge",
        "alprd_camera_fps_analysed": "gauge",
        "alprd_camera_connected": "gauge",
        "alprd_camera_frames_dropped": "counter",
        "alprd_camera_reconnects": "counter",
        "alprd_inference_latency_seconds": "histogram",
        "alprd_events": "counter",
        "alprd_live_clients": "gauge",
        "alprd_live_dropped": "counter",
        "alprd_writer_queue_depth": "gauge",
        "alprd_writer_held": "gauge",
        "alprd_uptime_seconds": "gauge",
    } | ({"alprd_database_size_bytes": "gauge"} if config.database_file else {})  # SQLite's file
    got = samples(text)
    cam1, cam2 = (("camera", "gate1"),), (("camera", "gate2"),)
    assert got["alprd_camera_fps_in", cam1] == 12.5 and got["alprd_camera_fps_analysed", cam1] == 4.75
    assert got["alprd_camera_connected", cam1] == 1 and got["alprd_camera_connected", cam2] == 0
    assert got["alprd_camera_frames_dropped_total", cam1] == 31 and got["alprd_camera_reconnects_total", cam2] == 5
    assert got["alprd_inference_latency_seconds_count", cam1] == 3
    assert got["alprd_inference_latency_seconds_bucket", (("camera", "gate1"), ("le", "0.05"))] == 2
    assert got["alprd_inference_latency_seconds_bucket", (("camera", "gate1"), ("le", "+Inf"))] == 3
    assert got["alprd_inference_latency_seconds_sum", cam1] == pytest.approx(0.36)
    assert got["alprd_events_total", (("kind", "detection"),)] == 1  # the upload above
    assert got["alprd_events_total", (("kind", "preview"),)] == 0
    assert got["alprd_writer_queue_depth", ()] == 3 and got["alprd_writer_held", ()] == 2
    db = config.database_file
    if db is None:  # PostgreSQL: the server's size is not the gate's
        assert ("alprd_database_size_bytes", ()) not in got
    else:
        assert got["alprd_database_size_bytes", ()] >= db.stat().st_size > 0
    assert got["alprd_uptime_seconds", ()] >= 0


async def test_two_apps_keep_their_own_registries(aiohttp_client, config, repository):
    first = await aiohttp_client(create_app(config, repository=repository, pipeline=FixedPipeline()))
    second = await aiohttp_client(create_app(config, repository=repository))
    assert (await first.post("/detect/image", data=form(jpeg()))).status == 200
    one = samples(await (await first.get("/metrics")).text())
    two = samples(await (await second.get("/metrics")).text())
    assert one["alprd_events_total", (("kind", "detection"),)] == 1
    assert two["alprd_events_total", (("kind", "detection"),)] == 0


async def test_metrics_need_the_read_key_when_one_is_set(aiohttp_client, config, repository):
    cfg = config.model_copy(update={"server": ServerConfig(read_key="read-key-123")})
    client = await aiohttp_client(create_app(cfg, repository=repository))
    assert (await client.get("/metrics")).status == 401
    assert (await client.get("/metrics", headers={"X-API-Key": "read-key-123"})).status == 200


@pytest.mark.parametrize(
    ("observed", "buckets"),
    [
        ((), {0.01: 0, 0.05: 0}),
        ((0.01,), {0.01: 1, 0.05: 1}),  # the bound is inclusive
        ((0.011, 0.05, 9.0), {0.01: 0, 0.05: 2, float("inf"): 3}),
    ],
)
def test_latency_histogram_counts_cumulatively(observed, buckets):
    histogram = LatencyHistogram()
    for seconds in observed:
        histogram.observe(seconds)
    snap = histogram.snapshot()
    assert {b: n for b, n in snap.buckets if b in buckets} == buckets
    assert snap.count == len(observed) and snap.sum_s == pytest.approx(sum(observed))


def test_webhook_outbox_and_mqtt_state_are_read_at_each_scrape(config, repository):
    from test_web_webhooks import store

    from alprd.bus import EventBus
    from alprd.web.live import LiveHub
    from alprd.web.metrics import Sources, exposition, make_registry

    repository.outbox_webhooks = ("barrier", "crm")
    for plate in ("A1", "B2", "C3"):
        store(repository, plate, "east")
    head = repository.outbox_heads("barrier")[0]
    repository.outbox_failed(head.id, "barrier", "HTTP 500", datetime(2026, 12, 1, 12, 0, 1))
    repository.outbox_delivered(repository.outbox_heads("crm")[0].id, "crm", datetime(2026, 12, 1, 12, 0, 1))
    connected = [True]
    bus = EventBus()
    registry = make_registry(
        Sources(
            cameras=list,
            bus=bus,
            hub=LiveHub(bus),
            writer_pending=None,
            database=config.database_file,
            started_s=0.0,
            mqtt_connected=lambda: connected[0],
            webhooks=("barrier", "crm"),
            outbox_backlog=repository.outbox_backlog,
        )
    )
    got = samples(exposition(registry).decode())
    barrier, crm = (("webhook", "barrier"),), (("webhook", "crm"),)
    assert got["alprd_webhook_backlog", barrier] == 3 and got["alprd_webhook_backlog", crm] == 2
    assert got["alprd_webhook_failed_total", barrier] == 1 and got["alprd_webhook_failed_total", crm] == 0
    assert got["alprd_webhook_delivered_total", crm] == 1 and got["alprd_webhook_delivered_total", barrier] == 0
    assert got["alprd_mqtt_connected", ()] == 1
    connected[0] = False
    assert samples(exposition(registry).decode())["alprd_mqtt_connected", ()] == 0
