"""Typed application state: every ``web.AppKey`` of the REST app, in one place."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry

from alprd.bus import EventBus
from alprd.config import Config
from alprd.domain.lists import ListName
from alprd.domain.packs import Packs
from alprd.storage.files import ImageStore
from alprd.storage.repository import Repository
from alprd.web.live import LiveHub
from alprd.web.metrics import ConnectionCounts
from alprd.web.ports import ImagePipeline, LinesProvider

if TYPE_CHECKING:
    from alprd.web.webhooks import WebhookSender

CONFIG = web.AppKey("config", Config)
REPOSITORY = web.AppKey("repository", Repository)
IMAGE_STORE = web.AppKey("image_store", ImageStore)
PACKS = web.AppKey("packs", Packs)
PIPELINE: web.AppKey[ImagePipeline | None] = web.AppKey("pipeline")
LINES: web.AppKey[LinesProvider | None] = web.AppKey("lines")
DB_EXECUTOR = web.AppKey("db_executor", ThreadPoolExecutor)
INFERENCE_EXECUTOR = web.AppKey("inference_executor", ThreadPoolExecutor)
OPENAPI = web.AppKey("openapi", dict)
# Called with the new access lists (plate_text -> status) after the API changes them.
ON_LISTS_CHANGED: web.AppKey[Callable[[dict[str, ListName]], None] | None] = web.AppKey("on_lists_changed")
BUS = web.AppKey("bus", EventBus)  # live events: uploads publish here, /api/events streams them
LIVE_HUB = web.AppKey("live_hub", LiveHub)
METRICS = web.AppKey("metrics", CollectorRegistry)  # this app's own registry, never the global one
CONNECTIONS = web.AppKey("connections", ConnectionCounts)  # filled in by start_api, read by /metrics
# One delivery per configured webhook (empty when none), for GET /api/webhooks.
WEBHOOKS: web.AppKey[tuple[WebhookSender, ...]] = web.AppKey("webhooks")
