"""Serving the REST app: a bounded number of connections, idle and slow clients dropped.

``start_api`` binds the socket (the daemon reports ready only after it returns). Limits:
- ``server.idle_timeout_s``: a connection that has not sent complete request headers this
  long after it opened (or after its last response) is closed (slowloris, idle sockets);
- ``server.body_timeout_s``: enforced where bodies are read (JSON, forms, uploads): 408;
- ``server.max_connections``: a connection beyond it is answered 503 and closed at once,
  so a flood of sockets cannot take the file descriptors the cameras and the database need
  (the unit's ``LimitNOFILE`` leaves room above it).

Requests the HTTP parser refuses (a bad request line, an oversized header) are answered
as JSON ``{"detail": ...}`` like every other error, and logged as one line, not a traceback.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from alprd.config import ServerConfig
from alprd.log import get_logger

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


class _CappedFactory:
    """The aiohttp protocol factory with a ceiling on open connections."""

    def __init__(self, server: web.Server, max_connections: int) -> None:
        self._server = server
        self._max = max_connections
        self.refused = 0

    def __call__(self) -> asyncio.BaseProtocol:
        if len(self._server.connections) >= self._max:
            self.refused += 1
            if self.refused == 1 or self.refused % 1000 == 0:
                log.warning("api.connections_refused", open=self._max, refused=self.refused)
            return _Busy()
        # web.Server() with our handler class: the same arguments aiohttp's own factory passes
        return _JsonErrors(self._server, loop=self._server._loop, **self._server._kwargs)


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
        inner = super().server
        return len(inner.connections) if inner is not None else 0


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
    return runner
