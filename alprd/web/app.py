"""``create_app``: the REST API as an aiohttp application (running it is the caller's job)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from alprd import __version__
from alprd.bus import EventBus
from alprd.config import Config
from alprd.domain.lists import ListName
from alprd.storage.files import ImageStore
from alprd.storage.repository import Repository
from alprd.web import keys
from alprd.web.actions import ActionStats
from alprd.web.docs import add_doc_routes
from alprd.web.endpoint import Endpoint, add_endpoints
from alprd.web.live import LiveHub
from alprd.web.metrics import ConnectionCounts, Sources, make_registry
from alprd.web.middleware import api_key_middleware, cors_middleware, cross_site_guard, error_middleware
from alprd.web.openapi import build_openapi
from alprd.web.ports import ImagePipeline, LinesProvider
from alprd.web.routes import detection, files, lists, live, locations, records, statistics, webhooks
from alprd.web.ui import add_ui_routes
from alprd.web.webhooks import webhooks_ctx

DB_THREADS = 4
MAX_REQUEST_LINE_BYTES = 64 * 1024
TITLE = "alprd licence plate recognition API"

# Order matters: fixed paths before parameterised ones that could swallow them.
ENDPOINTS: tuple[Endpoint, ...] = (
    *files.ENDPOINTS,
    *detection.ENDPOINTS,
    *lists.ENDPOINTS,
    *records.ENDPOINTS,
    *statistics.ENDPOINTS,
    *locations.ENDPOINTS,
    *live.ENDPOINTS,
    *webhooks.ENDPOINTS,
)


def create_app(
    config: Config,
    *,
    repository: Repository,
    pipeline: ImagePipeline | None = None,
    lines: LinesProvider | None = None,
    on_lists_changed: Callable[[dict[str, ListName]], None] | None = None,
    bus: EventBus | None = None,
    writer_pending: Callable[[], int] | None = None,
    writer_held: Callable[[], int] | None = None,
    mqtt_connected: Callable[[], bool] | None = None,
    action_stats: Callable[[], list[ActionStats]] | None = None,
    live_keepalive_s: float = 15.0,
    live_queue_size: int = 100,
) -> web.Application:
    """The REST app. ``on_lists_changed(lists)`` is called (on the event loop) after a
    POST/DELETE of /api/plate-status, so the gate can match new reads against the new lists.
    ``bus`` carries the live events (/api/events; a new one when not given);
    ``writer_pending()`` is the event writer's queue depth, ``writer_held()`` the events it
    holds (database unreachable or full), ``mqtt_connected()`` the
    MQTT sink's state and ``action_stats()`` the gate actions' counts, for /metrics."""
    origins = config.server.cors_origins
    middlewares = [cors_middleware(origins), error_middleware, cross_site_guard(origins)]
    if config.api_key or config.read_key:
        middlewares.append(api_key_middleware(config.api_key, config.read_key))
    upload_bytes = int(config.server.max_upload_mb * 1024 * 1024)
    app = web.Application(
        middlewares=middlewares,
        client_max_size=upload_bytes + 1024 * 1024,
        # Long query strings get a 422 naming the parameter, not aiohttp's plain-text 400.
        handler_args={"max_line_size": MAX_REQUEST_LINE_BYTES},
    )
    app[keys.CONFIG] = config
    app[keys.REPOSITORY] = repository
    app[keys.PACKS] = repository.packs
    app[keys.IMAGE_STORE] = ImageStore.from_config(config)
    app[keys.PIPELINE] = pipeline
    app[keys.LINES] = lines
    app[keys.ON_LISTS_CHANGED] = on_lists_changed
    app[keys.OPENAPI] = build_openapi(
        ENDPOINTS,
        title=TITLE,
        version=__version__,
        api_key_required=bool(config.api_key),
        read_key_required=bool(config.read_key),
        redirecting=bool(config.storage.gate_urls),
    )
    bus = bus or EventBus()
    hub = LiveHub(bus, queue_size=live_queue_size, keepalive_s=live_keepalive_s)
    app[keys.BUS] = bus
    app[keys.LIVE_HUB] = hub
    app[keys.CONNECTIONS] = connections = ConnectionCounts()
    app[keys.METRICS] = make_registry(
        Sources(
            connections=connections,
            cameras=lines.states if lines is not None else list,
            bus=bus,
            hub=hub,
            writer_pending=writer_pending,
            writer_held=writer_held,
            mqtt_connected=mqtt_connected,
            actions=action_stats,
            webhooks=tuple(w.key for w in config.webhooks),
            outbox_backlog=repository.outbox_backlog,
            database=config.database_file,
            started_s=time.monotonic(),
        )
    )
    app.cleanup_ctx.append(_executors(config))
    app.cleanup_ctx.append(_live(hub))
    app.on_shutdown.append(_close_streams)
    app[keys.WEBHOOKS] = ()
    if config.webhooks:
        app.cleanup_ctx.append(webhooks_ctx(config.webhooks))
    add_endpoints(app, ENDPOINTS)
    add_doc_routes(app)
    add_ui_routes(app)
    return app


def _executors(config: Config):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        app[keys.DB_EXECUTOR] = ThreadPoolExecutor(DB_THREADS, thread_name_prefix="alprd-db")
        app[keys.INFERENCE_EXECUTOR] = ThreadPoolExecutor(config.inference.workers, thread_name_prefix="alprd-infer")
        yield
        app[keys.INFERENCE_EXECUTOR].shutdown(wait=True, cancel_futures=True)
        app[keys.DB_EXECUTOR].shutdown(wait=True)

    return ctx


def _live(hub: LiveHub):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        hub.start(asyncio.get_running_loop())
        yield

    return ctx


async def _close_streams(app: web.Application) -> None:
    """On shutdown, before the server waits for its handlers: end every SSE stream."""
    app[keys.LIVE_HUB].stop()
