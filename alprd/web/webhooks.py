"""Webhook delivery: each configured receiver gets every event as a signed JSON POST.

``detection`` events come from the durable outbox (``alprd.storage.outbox``): one task per
webhook sends the oldest row of each camera and deletes it only on a 2xx answer, so each
camera's events arrive in order, at least once, across restarts and ``kill -9``. A failure
backs that camera's row off (doubling from ``retry_initial_s`` to ``retry_max_s``, with
jitter); the capture, inference and storage threads never wait for a receiver.
``preview`` events are not stored: they are POSTed once, best-effort, from memory.

The body is signed: ``X-Alprd-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``.
Time (back-off) and jitter come from the injected ``clock`` and ``random``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import random as random_module
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from alprd.bus import LiveEvent
from alprd.config import WebhookConfig
from alprd.log import get_logger
from alprd.redact import mask_secrets
from alprd.storage.outbox import OutboxRow
from alprd.storage.repository import Repository

log = get_logger("alprd.webhooks")
SIGNATURE_HEADER = "X-Alprd-Signature"
MAX_PREVIEWS_IN_FLIGHT = 16  # per webhook; previews beyond it are dropped and counted
RunDb = Callable[..., Awaitable[Any]]


def signature(secret: str, body: bytes) -> str:
    """The ``X-Alprd-Signature`` value of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff_s(attempts: int, initial_s: float, max_s: float, jitter: float) -> float:
    """Wait after the ``attempts``-th failure: initial_s doubling per failure, capped at max_s,
    scaled by 0.5..1 (``jitter`` in 0..1) so that many rows do not retry in step."""
    base = min(max_s, initial_s * 2.0 ** max(0, attempts - 1))
    return base * (0.5 + 0.5 * jitter)


class WebhookSender:
    """Delivers one webhook's events; ``deliver_due`` is one pass, ``run`` loops over it."""

    def __init__(
        self,
        config: WebhookConfig,
        repository: Repository,
        http: aiohttp.ClientSession,
        run_db: RunDb,
        *,
        image_file: Callable[[str], Path] | None = None,
        clock: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = random_module.random,
        poll_s: float = 1.0,
    ) -> None:
        self.config = config
        self.key = config.key
        self._repository = repository
        self._http = http
        self._run_db = run_db
        self._image_file = image_file
        self._clock = clock
        self._random = random
        self._poll_s = poll_s
        self._retry_at: dict[int, float] = {}  # outbox row id -> clock time of its next try
        self._wake = asyncio.Event()
        self._previews: set[asyncio.Task] = set()
        self.previews_sent = 0
        self.previews_failed = 0

    def wake(self) -> None:
        """New rows may be waiting: look now instead of at the next poll (event loop only)."""
        self._wake.set()

    async def deliver_due(self) -> int:
        """Send every camera's oldest row whose back-off has passed; how many were acknowledged."""
        heads = await self._run_db(self._repository.outbox_heads, self.key)
        live = {row.id for row in heads}
        self._retry_at = {k: v for k, v in self._retry_at.items() if k in live}
        now = self._clock()
        due = [row for row in heads if self._retry_at.get(row.id, now) <= now]
        results = await asyncio.gather(*(self._deliver(row) for row in due))
        return sum(results)

    def next_try_in_s(self) -> float:
        """Time until the earliest backed-off row may be tried (at most the poll interval)."""
        if not self._retry_at:
            return self._poll_s
        return max(0.0, min(self._poll_s, min(self._retry_at.values()) - self._clock()))

    async def run(self) -> None:
        while True:
            self._wake.clear()  # before reading: rows committed during the pass wake the next wait
            try:
                if await self.deliver_due():
                    continue  # acknowledged rows: the next of each camera may be waiting
            except Exception as exc:  # boundary: a database error never ends delivery
                log.exception("webhook.pass_failed", webhook=self.key, error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.next_try_in_s())

    async def _deliver(self, row: OutboxRow) -> bool:
        body = await self._body(row.payload)
        error = await self.post(body)
        now = datetime.now()
        if error is None:
            await self._run_db(self._repository.outbox_delivered, row.id, self.key, now)
            self._retry_at.pop(row.id, None)
            log.info("webhook.delivered", webhook=self.key, row=row.id, camera=row.camera_id, attempts=row.attempts + 1)
            return True
        await self._run_db(self._repository.outbox_failed, row.id, self.key, error, now)
        wait_s = backoff_s(row.attempts + 1, self.config.retry_initial_s, self.config.retry_max_s, self._random())
        self._retry_at[row.id] = self._clock() + wait_s
        log.warning(
            "webhook.failed", webhook=self.key, row=row.id, camera=row.camera_id, error=error, retry_s=round(wait_s, 2)
        )
        return False

    async def post(self, body: bytes) -> str | None:
        """POST ``body`` signed; None when the receiver answered 2xx, else what went wrong."""
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(self.config.secret, body)}
        try:
            timeout = aiohttp.ClientTimeout(total=self.config.timeout_s)
            async with self._http.post(self.config.url, data=body, headers=headers, timeout=timeout) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    return None
                return f"HTTP {resp.status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return mask_secrets(f"{type(exc).__name__}: {exc}")

    async def _body(self, payload: bytes) -> bytes:
        if not self.config.include_image or self._image_file is None:
            return payload
        return await self._run_db(self._with_images, payload)

    def _with_images(self, payload: bytes) -> bytes:
        """The payload with the plate crop and original image inlined (base64 JPEG) when
        their files still exist (retention may have deleted them)."""
        event = orjson.loads(payload)
        assert self._image_file is not None
        for url_key, out_key in (("plate_image_url", "plate_image_base64"), ("original_image_url", "image_base64")):
            url = event.get(url_key) or ""
            path = self._image_file(url.lstrip("/")) if url else None
            if path is not None and path.is_file():
                event[out_key] = base64.b64encode(path.read_bytes()).decode()
        return orjson.dumps(event)

    def offer_preview(self, event: dict[str, Any]) -> None:
        """Send a preview once, now, without storing it (event loop only)."""
        if len(self._previews) >= MAX_PREVIEWS_IN_FLIGHT:
            self.previews_failed += 1
            return
        task = asyncio.get_running_loop().create_task(self._send_preview(orjson.dumps(event)))
        self._previews.add(task)
        task.add_done_callback(self._previews.discard)

    async def _send_preview(self, body: bytes) -> None:
        error = await self.post(body)
        if error is None:
            self.previews_sent += 1
        else:
            self.previews_failed += 1
            log.warning("webhook.preview_failed", webhook=self.key, error=error)


def webhooks_ctx(
    configs: tuple[WebhookConfig, ...],
    *,
    clock: Callable[[], float] = time.monotonic,
    random: Callable[[], float] = random_module.random,
    poll_s: float = 1.0,
):
    """The app's cleanup context: one delivery task per webhook, from start-up to shutdown."""
    from alprd.web import keys

    async def ctx(app) -> Any:
        repository: Repository = app[keys.REPOSITORY]
        loop = asyncio.get_running_loop()

        async def run_db(fn: Callable[..., Any], *args: Any) -> Any:
            return await loop.run_in_executor(app[keys.DB_EXECUTOR], fn, *args)

        async with aiohttp.ClientSession() as http:
            senders = tuple(
                WebhookSender(
                    w,
                    repository,
                    http,
                    run_db,
                    image_file=app[keys.IMAGE_STORE].absolute,
                    clock=clock,
                    random=random,
                    poll_s=poll_s,
                )
                for w in configs
            )
            app[keys.WEBHOOKS] = senders
            outbox = [s for s in senders if "detection" in s.config.events]
            tasks = [loop.create_task(s.run(), name=f"webhook-{s.key}") for s in outbox]

            def wake_all() -> None:
                for sender in outbox:
                    sender.wake()

            def on_committed() -> None:  # any thread; a closing loop just misses the wake
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(wake_all)

            repository.outbox_listener = on_committed
            unsubscribe = app[keys.BUS].subscribe(_preview_relay(loop, senders))
            try:
                yield
            finally:
                unsubscribe()
                repository.outbox_listener = None
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    return ctx


def _preview_relay(loop: asyncio.AbstractEventLoop, senders: tuple[WebhookSender, ...]) -> Callable[[LiveEvent], None]:
    """A bus subscriber (called from any thread) that hands previews to the senders taking
    them; detections are left to the outbox, which holds them already."""
    takers = [s for s in senders if "preview" in s.config.events]

    def offer(payload: dict[str, Any]) -> None:
        for sender in takers:
            sender.offer_preview(payload)

    def on_event(event: LiveEvent) -> None:
        if event.event == "preview" and takers:
            with contextlib.suppress(RuntimeError):  # the loop is closing: a best-effort preview is lost
                loop.call_soon_threadsafe(offer, event.as_json())

    return on_event
