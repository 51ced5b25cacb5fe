"""Serving the REST app: a bounded number of connections, idle and slow clients dropped.

``start_api`` binds the socket (the daemon reports ready only after it returns). Limits:
- ``server.idle_timeout_s``: a connection that has not sent complete request headers this
  long after it opened (or after its last response) is closed (slowloris, idle sockets);
- ``server.body_timeout_s``: enforced where bodies are read (JSON, forms, uploads): 408;
- ``server.max_connections``: when that many are open, a new connection takes the place of
  the idle one the idle timeout would close first (one that has not sent complete request
  headers yet, or is waiting between keep-alive requests), which is closed; only when every
  open connection is inside a request is the newcomer answered 503 and closed at once. So
  idle sockets cannot lock clients out for ``idle_timeout_s``, a flood of requests stays
  bounded, and a flood of sockets cannot take the file descriptors the cameras and the
  database need (the unit's ``LimitNOFILE`` leaves room above it).

Requests the HTTP parser refuses (a bad request line, an oversized header) are answered
as JSON ``{"detail": ...}`` like every other error, and logged as one line, not a traceback.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from http import HTTPStatus

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from alprd.config import ServerConfig
from alprd.log import get_logger
from alprd.web import keys

log = get_logger(__name__)
_BUSY_BODY = json.dumps({"detail": "too many open connections; retry later"}).encode()
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)


class _Busy(asyncio.Protocol):
    """Answers 503 and hangs up: what a connection over the cap gets."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(_BUSY)
        transport.close()


class _JsonErrors(RequestHandler):
    """aiohttp's connection handler, with its own error answers (parser errors) in JSON."""

    on_lost: Callable[[_JsonErrors], object] | None = None

    def connection_lost(self, exc: BaseException | None) -> None:
        super().connection_lost(exc)
        if self.on_lost is not None:
            self.on_lost(self)

    def handle_error(
        self, request: BaseRequest, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:
            raise ConnectionError("the response was already started")
        if status >= 500:
            log.error("api.request_failed", status=status, error=repr(exc))
            detail = "Internal server error"
        else:
            detail = message or HTTPStatus(status).phrase
            log.info("api.bad_request", status=status, error=detail)
        resp = web.json_response({"detail": detail}, status=status)
        resp.force_close()
        return resp


def _is_idle(handler: RequestHandler) -> bool:
    """Waiting for request headers (the first, or the next on a kept-alive connection); the
    same test aiohttp's own idle timeout makes before it closes a connection."""
    waiter = handler._waiter
    return waiter is not None and not waiter.done() and not handler._messages


def _idle_deadline(handler: RequestHandler) -> float:
    """When the idle timeout would close it: the earliest has been idle longest."""
    return handler._next_keepalive_close_time


class _CappedFactory:
    """The aiohttp protocol factory with a ceiling on open connections: at the ceiling a
    newcomer replaces the longest-idle connection, or gets 503 when none is idle."""

    def __init__(self, server: web.Server, max_connections: int) -> None:
        self._server = server
        self._max = max_connections
        self.refused = 0
        self.evicted = 0
        # every handler made and not yet lost, in the order made: those of one accept batch
        # count before their connection_made, so the cap holds within a batch too
        self._handlers: dict[_JsonErrors, None] = {}

    def open_connections(self) -> list[_JsonErrors]:
        """Connections not being closed (a closed one is lost a loop pass later)."""
        return [h for h in self._handlers if not h._force_close]

    def _make_room(self) -> bool:
        """True when a newcomer may be accepted (closing the longest-idle connection if full)."""
        open_now = self.open_connections()
        if len(open_now) < self._max:
            return True
        idle = [h for h in open_now if _is_idle(h)]
        if not idle:
            self.refused += 1
            if self.refused == 1 or self.refused % 1000 == 0:
                log.warning("api.connections_refused", open=len(open_now), refused=self.refused)
            return False
        min(idle, key=_idle_deadline).force_close()
        self.evicted += 1
        if self.evicted == 1 or self.evicted % 1000 == 0:
            log.info("api.idle_connection_closed", reason="connection cap", closed=self.evicted)
        return True

    def __call__(self) -> asyncio.BaseProtocol:
        if not self._make_room():
            return _Busy()
        # web.Server() with our handler class: the same arguments aiohttp's own factory passes
        handler = _JsonErrors(self._server, loop=self._server._loop, **self._server._kwargs)
        handler.on_lost = self._lost
        self._handlers[handler] = None
        return handler

    def _lost(self, handler: _JsonErrors) -> None:
        self._handlers.pop(handler, None)


class ApiRunner(web.AppRunner):
    """An AppRunner whose sites accept at most ``max_connections`` open connections."""

    def __init__(self, app: web.Application, *, max_connections: int, **kwargs) -> None:
        super().__init__(app, **kwargs)
        self._max_connections = max_connections
        self._capped: _CappedFactory | None = None

    @property
    def server(self):  # a protocol factory, as TCPSite needs
        inner = super().server
        if inner is None:
            return None
        if self._capped is None or self._capped._server is not inner:
            self._capped = _CappedFactory(inner, self._max_connections)
        return self._capped

    @property
    def open_connections(self) -> int:
        capped = self._capped
        return len(capped.open_connections()) if capped is not None else 0

    @property
    def refused_connections(self) -> int:
        """Connections answered 503 because every open one was inside a request."""
        return self._capped.refused if self._capped is not None else 0

    @property
    def evicted_connections(self) -> int:
        """Idle connections closed to make room for a newcomer at the cap."""
        return self._capped.evicted if self._capped is not None else 0


async def start_api(app: web.Application, server: ServerConfig, *, port: int | None = None) -> ApiRunner:
    """Set up the app and bind ``server.host``:``port`` (default ``server.port``)."""
    runner = ApiRunner(
        app,
        max_connections=server.max_connections,
        access_log=None,
        handle_signals=False,
        keepalive_timeout=server.idle_timeout_s,
    )
    await runner.setup()
    site = web.TCPSite(runner, server.host, server.port if port is None else port)
    await site.start()
    if keys.CONNECTIONS in app:  # /metrics reads the connection counts from here on
        app[keys.CONNECTIONS].read = lambda: (
            runner.open_connections,
            runner.refused_connections,
            runner.evicted_connections,
        )
    return runner
