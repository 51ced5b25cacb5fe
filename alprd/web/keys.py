"""Typed application state: every ``web.AppKey`` of the REST app, in one place."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from alprd.config import Config
from alprd.domain.packs import Pack
from alprd.storage.files import ImageStore
from alprd.storage.repository import Repository
from alprd.web.ports import ImagePipeline, LinesProvider

CONFIG = web.AppKey("config", Config)
REPOSITORY = web.AppKey("repository", Repository)
IMAGE_STORE = web.AppKey("image_store", ImageStore)
PACK = web.AppKey("pack", Pack)
PIPELINE = web.AppKey("pipeline", ImagePipeline | None)
LINES = web.AppKey("lines", LinesProvider | None)
DB_EXECUTOR = web.AppKey("db_executor", ThreadPoolExecutor)
INFERENCE_EXECUTOR = web.AppKey("inference_executor", ThreadPoolExecutor)
OPENAPI = web.AppKey("openapi", dict)
# Called with the new access lists (plate_text -> status) after the API changes them.
ON_LISTS_CHANGED = web.AppKey("on_lists_changed", Callable[[dict[str, str]], None] | None)
