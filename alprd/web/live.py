"""``GET /api/events``: the event bus as Server-Sent Events, to many clients at once.

The :class:`LiveHub` subscribes to the bus; an event published on any thread is handed to
the event loop and put in every client's own bounded queue. A client that reads too slowly
fills its queue: further events for it are dropped and counted (``dropped``), so neither
the publisher nor the other clients ever wait for it. Each client gets a comment line
(``: keep-alive``) when no event came for ``keepalive_s``, so proxies keep the stream open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from alprd.bus import EventBus, LiveEvent
from alprd.log import get_logger

log = get_logger(__name__)
_CLOSE = None  # put in a client's queue when the app shuts down
KEEPALIVE = b": keep-alive\n\n"


def sse_message(event: LiveEvent) -> bytes:
    """One SSE message: ``event: <kind>`` and the event's JSON on one ``data:`` line."""
    data = json.dumps(event.as_json(), ensure_ascii=False, separators=(",", ":"))
    return f"event: {event.event}\ndata: {data}\n\n".encode()


class LiveHub:
    def __init__(self, bus: EventBus, *, queue_size: int = 100, keepalive_s: float = 15.0) -> None:
        self.bus = bus
        self.queue_size = queue_size
        self.keepalive_s = keepalive_s
        self.dropped = 0  # messages not delivered because a client's queue was full
        self._clients: set[asyncio.Queue[LiveEvent | None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def clients(self) -> int:
        return len(self._clients)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._unsubscribe = self.bus.subscribe(self._from_any_thread)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        for queue in self._clients:
            _force_put(queue, _CLOSE)

    def _from_any_thread(self, event: LiveEvent) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile (shutdown)
            loop.call_soon_threadsafe(self._fan_out, event)

    def _fan_out(self, event: LiveEvent) -> None:
        for queue in self._clients:
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    log.warning("live.dropped", reason="client too slow", dropped=self.dropped)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        queue: asyncio.Queue[LiveEvent | None] = asyncio.Queue(self.queue_size)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        self._clients.add(queue)
        try:
            await response.prepare(request)
            await response.write(b"retry: 3000\n\n")
            async for chunk in self._messages(queue):
                await response.write(chunk)
        except (ConnectionResetError, ConnectionError):
            log.info("live.client_gone")
        finally:
            self._clients.discard(queue)
        return response

    async def _messages(self, queue: asyncio.Queue[LiveEvent | None]) -> AsyncIterator[bytes]:
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), self.keepalive_s)
            except asyncio.TimeoutError:
                yield KEEPALIVE
                continue
            if event is _CLOSE:
                return
            yield sse_message(event)


def _force_put(queue: asyncio.Queue[LiveEvent | None], item: LiveEvent | None) -> None:
    """Put ``item`` even into a full queue (its oldest entry makes room)."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(item)
