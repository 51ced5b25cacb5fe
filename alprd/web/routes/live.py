"""Live routes: ``/api/events`` (Server-Sent Events) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from alprd.web import keys
from alprd.web.endpoint import Call, Endpoint
from alprd.web.metrics import CONTENT_TYPE, exposition
from alprd.web.schemas.base import LiveQuery


async def live_events(call: Call) -> web.StreamResponse:
    return await call.app[keys.LIVE_HUB].stream(call.request)


async def metrics(call: Call) -> web.Response:
    loop = asyncio.get_running_loop()
    body = await loop.run_in_executor(call.app[keys.DB_EXECUTOR], exposition, call.app[keys.METRICS])
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


ENDPOINTS = (
    Endpoint(
        "GET",
        ("/api/events",),
        live_events,
        "Live Events (Server-Sent Events)",
        tag="live",
        query=LiveQuery,
        response_media="text/event-stream",
    ),
    Endpoint("GET", ("/metrics",), metrics, "Prometheus Metrics", tag="live", response_media="text/plain"),
)
