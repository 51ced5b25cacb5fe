"""GET /api/events (Server-Sent Events) against the real app: several clients, keep-alives,
a slow client that never reads, and the read key."""

from __future__ import annotations

import asyncio
import json

from aiohttp import ClientResponse
from test_web_detect_image import form, jpeg
from web_factories import FixedPipeline

from alprd.bus import LiveEvent
from alprd.config import ServerConfig
from alprd.redact import mask_secrets
from alprd.web import keys
from alprd.web.app import create_app


async def next_block(resp: ClientResponse) -> str:
    """The next SSE block (up to the blank line), without its terminator."""
    raw = await asyncio.wait_for(resp.content.readuntil(b"\n\n"), 10)
    return raw.decode()[:-2]


async def next_message(resp: ClientResponse) -> tuple[str, dict]:
    """The next ``event:``/``data:`` message, skipping comments and the retry hint."""
    while True:
        block = await next_block(resp)
        fields = dict(line.split(": ", 1) for line in block.split("\n") if not line.startswith(":"))
        if "event" in fields:
            return fields["event"], json.loads(fields["data"])


async def until(condition, steps: int = 2000) -> None:
    """Let the loop run until ``condition()`` holds (bounded by steps, not by the clock)."""
    for _ in range(steps):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition never held")


async def test_several_clients_each_receive_an_uploaded_detection(aiohttp_client, config, repository):
    app = create_app(config, repository=repository, pipeline=FixedPipeline())
    client = await aiohttp_client(app)
    streams = [await client.get("/api/events") for _ in range(3)]
    assert all(r.status == 200 and r.content_type == "text/event-stream" for r in streams)
    await until(lambda: app[keys.LIVE_HUB].clients == 3)

    upload = await client.post("/detect/image", data=form(jpeg(), location="Gate 9"))
    assert upload.status == 200, await upload.text()
    stored = await upload.json()
    session = await (await client.get(f"/api/sessions/{stored['session_id']}")).json()

    messages = [await next_message(r) for r in streams]
    assert [kind for kind, _ in messages] == ["detection"] * 3
    data = messages[0][1]
    assert all(m == data for _, m in messages)
    assert data["event"] == "detection" and data["session_id"] == stored["session_id"]
    assert data["plate_text"] == session["plates"][0]["plate_text"] == "B123ABC"
    assert data["confidence"] == session["plates"][0]["ocr_confidence"]
    assert data["list_status"] == "unknown" and data["vehicle_type"] == "car" and data["location"] == "Gate 9"
    for name in ("original_image_url", "annotated_image_url", "plate_image_url", "vehicle_image_url"):
        image = await client.get(data[name])
        assert image.status == 200 and (await image.read())[:2] == b"\xff\xd8", name  # a JPEG the API serves
    for r in streams:
        r.close()


async def test_keep_alive_comments_come_at_the_injected_interval(aiohttp_client, config, repository):
    client = await aiohttp_client(create_app(config, repository=repository, live_keepalive_s=0.05))
    resp = await client.get("/api/events")
    assert await next_block(resp) == "retry: 3000"
    assert [await next_block(resp) for _ in range(3)] == [": keep-alive"] * 3
    resp.close()


async def test_a_client_that_never_reads_does_not_hold_up_the_others(aiohttp_client, config, repository):
    app = create_app(config, repository=repository, live_queue_size=50)
    client = await aiohttp_client(app)
    hub, bus = app[keys.LIVE_HUB], app[keys.BUS]
    _, slow = await asyncio.open_connection(client.host, client.port)  # connects, reads nothing
    slow.write(f"GET /api/events HTTP/1.1\r\nHost: {client.host}\r\n\r\n".encode())
    await slow.drain()
    fast = await client.get("/api/events")
    await until(lambda: hub.clients == 2)
    # 8 kB messages: 30 MB in all, far more than the socket buffers of the silent client hold
    bursts, per_burst, bulk = 150, 25, "x" * 8000
    for b in range(bursts):
        for i in range(per_burst):
            bus.publish(LiveEvent("preview", f"B{b}_{i}", 0.9, "unknown", "gate1", bulk, "entry", 0.0))
        for i in range(per_burst):
            kind, data = await next_message(fast)
            assert (kind, data["plate_text"]) == ("preview", f"B{b}_{i}")
    assert hub.dropped > 0  # the silent client's queue overflowed; its messages were dropped
    assert hub.clients == 2 and bus.published()["preview"] == bursts * per_burst
    slow.close()
    fast.close()


async def test_the_stream_needs_the_read_key_when_one_is_set(aiohttp_client, config, repository):
    cfg = config.model_copy(update={"server": ServerConfig(read_key="read-key-123")})
    client = await aiohttp_client(create_app(cfg, repository=repository, live_keepalive_s=0.05))
    assert (await client.get("/api/events")).status == 401
    resp = await client.get("/api/events", headers={"X-API-Key": "read-key-123"})
    assert resp.status == 200 and await next_block(resp) == "retry: 3000"
    resp.close()


async def test_a_browser_event_source_may_send_the_key_in_the_query(aiohttp_client, config, repository):
    """EventSource sends no headers: GET /api/events (only it) takes ``?key=``, read or write key."""
    server = ServerConfig(read_key="read-key-123", api_key="write-key-456")
    client = await aiohttp_client(create_app(config.model_copy(update={"server": server}), repository=repository))
    for key in ("read-key-123", "write-key-456"):
        resp = await client.get("/api/events", params={"key": key})
        assert resp.status == 200 and await next_block(resp) == "retry: 3000"
        resp.close()
    for key in ("", "read-key-12", "read-key-1234"):
        assert (await client.get("/api/events", params={"key": key})).status == 401
    assert (await client.get("/detections", params={"key": "read-key-123"})).status == 401  # elsewhere: headers only
    assert (await client.get("/metrics", params={"key": "read-key-123"})).status == 401
    wrong_header = await client.get("/api/events", params={"key": "read-key-123"}, headers={"X-API-Key": "bad-key"})
    assert wrong_header.status == 401  # a header, when sent, is the key


def test_a_key_in_a_logged_url_is_masked():
    assert mask_secrets("GET /api/events?key=read-key-123 failed") == "GET /api/events?key=*** failed"


async def test_shutdown_ends_every_stream(aiohttp_client, config, repository):
    """The server waits for its handlers on shutdown: open streams must end, not hold it."""
    app = create_app(config, repository=repository)
    client = await aiohttp_client(app)
    streams = [await client.get("/api/events") for _ in range(2)]
    await until(lambda: app[keys.LIVE_HUB].clients == 2)
    await app.shutdown()
    for resp in streams:
        assert await next_block(resp) == "retry: 3000"
        assert await asyncio.wait_for(resp.content.read(), 10) == b""  # the server ended the stream
    await until(lambda: app[keys.LIVE_HUB].clients == 0)
