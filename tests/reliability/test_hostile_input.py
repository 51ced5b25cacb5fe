"""Hostile headers and bodies get a clear 4xx, never a 500, and nothing is stored."""

from __future__ import annotations

import asyncio
import io
import json

import pytest
from aiohttp import FormData
from reliability_helpers import jpeg, make_config

from alprd.web import endpoint
from alprd.web.app import create_app


async def _raw_request(port: int, request: bytes) -> bytes:
    """Send raw bytes (headers aiohttp's client would refuse to send) and read the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await reader.read(65536)
    writer.close()
    return data


@pytest.mark.parametrize("api_key", ["s3cret-key-1", None])
async def test_non_utf8_api_key_is_401_not_500(aiohttp_client, tmp_path, repository, api_key):
    client = await aiohttp_client(create_app(make_config(tmp_path, api_key=api_key), repository=repository))
    body = b'{"name": "Gate"}'
    raw = (
        b"POST /api/locations/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"X-API-Key: \xff\xfe\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
    )
    answer = await _raw_request(client.port, raw)
    status = int(answer.split(b" ", 2)[1])
    assert status == (401 if api_key else 200), answer[:200]


async def test_wrong_key_of_any_length_is_401(aiohttp_client, tmp_path, repository):
    client = await aiohttp_client(create_app(make_config(tmp_path, api_key="s3cret-key-1"), repository=repository))
    for given in ("", "s", "s3cret-key-", "s3cret-key-1x", "x" * 4000):
        resp = await client.post("/api/locations/", json={"name": "Gate"}, headers={"X-API-Key": given})
        assert resp.status == 401, len(given)


async def test_deeply_nested_json_is_400(client):
    deep = "[" * 1000 + "]" * 1000
    resp = await client.post("/api/locations/", data=deep, headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert "nested" in (await resp.json())["detail"]


async def test_moderately_nested_json_is_400_not_a_validation_crash(client):
    deep = '{"name": ' + "[" * 200 + "]" * 200 + "}"
    resp = await client.post("/api/locations/", data=deep, headers={"Content-Type": "application/json"})
    assert resp.status == 400


async def test_json_body_cap_is_far_below_the_upload_cap(client, config):
    cap = endpoint.MAX_JSON_BYTES
    assert cap * 10 <= config.server.max_upload_mb * 1024 * 1024
    big = json.dumps({"name": "Gate", "type": "x" * (cap + 10)}).encode()
    resp = await client.post("/api/locations/", data=io.BytesIO(big), headers={"Content-Type": "application/json"})
    assert resp.status == 413
    assert (await (await client.get("/api/locations/")).json()) == []


async def test_large_json_bodies_are_parsed_off_the_event_loop(client, monkeypatch):
    """Bodies above the inline limit are decoded in a worker thread, not on the loop."""
    seen: list[bool] = []
    real = endpoint.parse_json_body

    def spy(raw, model):
        try:
            asyncio.get_running_loop()
            seen.append(True)
        except RuntimeError:
            seen.append(False)
        return real(raw, model)

    monkeypatch.setattr(endpoint, "parse_json_body", spy)
    small = {"name": "Gate A"}
    large = {"name": "Gate B", "type": "t", "pad": " " * (endpoint.INLINE_JSON_BYTES + 1)}
    assert (await client.post("/api/locations/", json=small)).status in (200, 201)
    resp = await client.post("/api/locations/", data=json.dumps(large), headers={"Content-Type": "application/json"})
    assert resp.status in (200, 201, 422)
    assert seen == [True, False]  # small: on the loop; large: in a thread


@pytest.mark.parametrize(
    "path,body,kind",
    [
        ("/api/locations/", {"name": "Gate\x00A"}, "string_nul"),
        ("/api/locations/", {"name": "Gate", "type": "t\x00"}, "string_nul"),
        ("/api/plate-status", {"plate_text": "B12\x0034", "status_type": "whitelist"}, "string_pattern_mismatch"),
    ],
)
async def test_nul_bytes_in_text_fields_are_refused(client, path, body, kind):
    resp = await client.post(path, json=body)
    assert resp.status == 422
    detail = (await resp.json())["detail"]
    assert detail[0]["type"] == kind and detail[0]["loc"][0] == "body"
    assert (await (await client.get("/api/locations/")).json()) == []
    assert (await (await client.get("/api/plate-status")).json())["plate_statuses"] == []


async def test_nul_in_a_key_the_body_ignores_is_harmless(client):
    """Only the fields a body keeps are text fields: an unknown key is dropped, not refused."""
    resp = await client.post("/api/locations/", json={"name": "Gate", "x\x00": 1})
    assert resp.status == 200
    assert [loc["name"] for loc in await (await client.get("/api/locations/")).json()] == ["Gate"]


async def test_nul_in_a_form_field_or_upload_location_is_refused(client):
    resp = await client.post("/api/plate-status", data={"plate_text": "B\x001", "status_type": "whitelist"})
    assert resp.status == 422
    form = FormData()
    form.add_field("file", jpeg(), filename="x.jpg", content_type="image/jpeg")
    form.add_field("location", "Gate\x00")
    resp = await client.post("/detect/image", data=form)
    assert resp.status == 422
    assert (await (await client.get("/api/sessions")).json())["sessions"] == []


@pytest.mark.parametrize("location", ["G" * 256, "G" * 5000, "é" * 600])
async def test_an_over_long_upload_location_is_422_not_413(client, location):
    """Found by schemathesis --checks all: a location over its 1,020-byte read limit was
    answered 413 'upload is larger than the limit of 1020 bytes'."""
    form = FormData()
    form.add_field("file", jpeg(), filename="x.jpg", content_type="image/jpeg")
    form.add_field("location", location)
    resp = await client.post("/detect/image", data=form)
    assert resp.status == 422
    assert (await resp.json())["detail"][0]["type"] == "string_too_long"
    assert (await (await client.get("/api/sessions")).json())["sessions"] == []
