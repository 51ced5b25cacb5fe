"""``GET /metrics``: the daemon's state in Prometheus text format, read at scrape time.

One ``CollectorRegistry`` per app (never prometheus-client's global one), with a collector
that asks the live parts for their numbers when scraped: the cameras (fps in and analysed,
frames dropped, reconnects, inference latency), the event bus (events by kind), the SSE
hub, the writer queue and its held events, the webhook outbox, the gate actions, the MQTT
connection, the database file and the uptime.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from alprd.bus import EventBus
from alprd.domain.messages import CameraState
from alprd.storage.outbox import WebhookBacklog
from alprd.web.actions import ActionStats
from alprd.web.live import LiveHub

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class ConnectionCounts:
    """The API server's connections (open, refused, evicted), known once it listens:
    ``start_api`` fills in ``read``; before that nothing is exported."""

    read: Callable[[], tuple[int, int, int]] | None = None


@dataclass(frozen=True)
class Sources:
    """Where each number comes from (callables: read at every scrape)."""

    cameras: Callable[[], list[CameraState]]
    bus: EventBus
    hub: LiveHub
    writer_pending: Callable[[], int] | None
    database: Path | None  # the SQLite file; None on PostgreSQL (the server's size is its own)
    started_s: float
    writer_held: Callable[[], int] | None = None  # events held: the database unreachable or full
    mqtt_connected: Callable[[], bool] | None = None
    webhooks: tuple[str, ...] = ()  # their outbox backlog and failures
    outbox_backlog: Callable[[tuple[str, ...]], list[WebhookBacklog]] | None = None
    actions: Callable[[], list[ActionStats]] | None = None  # each gate action's counts
    connections: ConnectionCounts | None = None  # the API server's own connections
    clock: Callable[[], float] = time.monotonic


class AlprdCollector(Collector):
    def __init__(self, sources: Sources) -> None:
        self._src = sources

    def collect(self) -> Iterator[Metric]:
        yield from _camera_metrics(self._src.cameras())
        events = CounterMetricFamily("alprd_events", "Live events published, by kind", labels=["kind"])
        for kind, n in self._src.bus.published().items():
            events.add_metric([kind], n)
        yield events
        yield GaugeMetricFamily("alprd_live_clients", "Connected /api/events clients", value=self._src.hub.clients)
        yield CounterMetricFamily(
            "alprd_live_dropped", "Live messages dropped for clients too slow to read", value=self._src.hub.dropped
        )
        if self._src.writer_pending is not None:
            yield GaugeMetricFamily(
                "alprd_writer_queue_depth", "Final events waiting for the writer", value=self._src.writer_pending()
            )
        if self._src.writer_held is not None:
            yield GaugeMetricFamily(
                "alprd_writer_held",
                "Final events held: the database cannot be reached or its disk is full (stored when it can)",
                value=self._src.writer_held(),
            )
        yield from _webhook_metrics(self._src)
        if self._src.actions is not None:
            yield from _action_metrics(self._src.actions())
        if self._src.mqtt_connected is not None:
            yield GaugeMetricFamily(
                "alprd_mqtt_connected", "1 while connected to the MQTT broker", value=int(self._src.mqtt_connected())
            )
        if self._src.database is not None:
            yield GaugeMetricFamily(
                "alprd_database_size_bytes", "SQLite file size with its WAL", value=_db_bytes(self._src.database)
            )
        if self._src.connections is not None and self._src.connections.read is not None:
            yield from _connection_metrics(*self._src.connections.read())
        yield GaugeMetricFamily(
            "alprd_uptime_seconds", "Seconds since the API started", value=self._src.clock() - self._src.started_s
        )


def _connection_metrics(open_now: int, refused: int, evicted: int) -> Iterator[Metric]:
    yield GaugeMetricFamily("alprd_api_connections_open", "Open API connections", value=open_now)
    yield CounterMetricFamily(
        "alprd_api_connections_refused", "Connections answered 503: the cap was full of requests", value=refused
    )
    yield CounterMetricFamily(
        "alprd_api_connections_evicted", "Idle connections closed at the cap to let a newcomer in", value=evicted
    )


def _camera_metrics(states: list[CameraState]) -> Iterator[Metric]:
    labels = ["camera"]
    fps_in = GaugeMetricFamily("alprd_camera_fps_in", "Frames per second read from the camera", labels=labels)
    fps_analysed = GaugeMetricFamily("alprd_camera_fps_analysed", "Frames per second analysed", labels=labels)
    connected = GaugeMetricFamily("alprd_camera_connected", "1 while the camera delivers frames", labels=labels)
    dropped = CounterMetricFamily("alprd_camera_frames_dropped", "Frames dropped: inference behind", labels=labels)
    reconnects = CounterMetricFamily("alprd_camera_reconnects", "Reconnects to the camera", labels=labels)
    latency = HistogramMetricFamily("alprd_inference_latency_seconds", "Plate reading time of one frame", labels=labels)
    for st in states:
        cam = [st.camera_id]
        fps_in.add_metric(cam, st.fps_in)
        fps_analysed.add_metric(cam, st.fps_analysed)
        connected.add_metric(cam, 1.0 if st.connected else 0.0)
        dropped.add_metric(cam, st.frames_dropped)
        reconnects.add_metric(cam, st.reconnects)
        if st.inference is not None:
            buckets = [("+Inf" if b == float("inf") else repr(b), n) for b, n in st.inference.buckets]
            latency.add_metric(cam, buckets, st.inference.sum_s)
    yield from (fps_in, fps_analysed, connected, dropped, reconnects, latency)


def _webhook_metrics(src: Sources) -> Iterator[Metric]:
    if not src.webhooks or src.outbox_backlog is None:
        return
    labels = ["webhook"]
    backlog = GaugeMetricFamily("alprd_webhook_backlog", "Stored detections waiting for delivery", labels=labels)
    delivered = CounterMetricFamily("alprd_webhook_delivered", "Outbox deliveries acknowledged", labels=labels)
    failed = CounterMetricFamily("alprd_webhook_failed", "Outbox delivery attempts that failed", labels=labels)
    for row in src.outbox_backlog(src.webhooks):
        backlog.add_metric([row.webhook], row.backlog)
        delivered.add_metric([row.webhook], row.delivered)
        failed.add_metric([row.webhook], row.failed)
    yield from (backlog, delivered, failed)


def _action_metrics(stats: list[ActionStats]) -> Iterator[Metric]:
    fired = CounterMetricFamily("alprd_action_fired", "Gate action firings started", labels=["action"])
    failed = CounterMetricFamily("alprd_action_failed", "Gate action firings that failed", labels=["action"])
    skipped = CounterMetricFamily(
        "alprd_action_skipped", "Matching events not fired: duplicate, rate_limited, busy", labels=["action", "reason"]
    )
    for st in stats:
        fired.add_metric([st.name], st.fired)
        failed.add_metric([st.name], st.failed)
        for reason in ("duplicate", "rate_limited", "busy"):
            skipped.add_metric([st.name, reason], st.skipped[reason])
    yield from (fired, failed, skipped)


def _db_bytes(database: Path) -> int:
    total = 0
    for path in (database, database.with_name(database.name + "-wal")):
        with contextlib.suppress(OSError):  # no WAL file: nothing to add
            total += path.stat().st_size
    return total


def make_registry(sources: Sources) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AlprdCollector(sources))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """The text format (blocking only on the cameras' locks and one stat: cheap)."""
    return generate_latest(registry)
