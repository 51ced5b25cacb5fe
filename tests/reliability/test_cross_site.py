"""No cross-site writes with the default config: a web page the operator opens must not
change the access lists (which may open a barrier), whatever Origin or Content-Type."""

from __future__ import annotations

import json

import pytest
from reliability_helpers import DASHBOARD, EVIL, make_config

from alprd.web.app import create_app

WHITELIST = {"plate_text": "B1234CD", "status_type": "whitelist"}


async def _lists(client) -> dict:
    body = await (await client.get("/api/plate-status")).json()
    return {e["plate_text"]: e["status"] for e in body["plate_statuses"]}


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Referer": EVIL + "/page.html"},
        {"Origin": EVIL, "Referer": "http://127.0.0.1/"},
    ],
)
async def test_cross_site_post_is_refused_and_changes_nothing(client, headers):
    resp = await client.post("/api/plate-status", json=WHITELIST, headers=headers)
    assert resp.status == 403
    assert "Access-Control-Allow-Origin" not in resp.headers
    assert "origin" in (await resp.json())["detail"].lower()
    assert await _lists(client) == {}


async def test_text_plain_json_from_a_page_is_refused(client):
    """The exact attack of issue 15: a 'simple' request that needs no preflight."""
    resp = await client.post(
        "/api/plate-status", data=json.dumps(WHITELIST), headers={"Origin": EVIL, "Content-Type": "text/plain"}
    )
    assert resp.status == 403
    assert await _lists(client) == {}


async def test_text_plain_json_is_not_parsed_even_without_origin(client):
    resp = await client.post(
        "/api/locations/", data=json.dumps({"name": "Gate"}), headers={"Content-Type": "text/plain"}
    )
    assert resp.status == 415
    assert "application/json" in (await resp.json())["detail"]
    assert await (await client.get("/api/locations/count")).json() == {"count": 0}


async def test_cross_site_delete_is_refused(client):
    assert (await client.post("/api/plate-status", json=WHITELIST)).status == 200
    resp = await client.delete("/api/plate-status/B1234CD", headers={"Origin": EVIL})
    assert resp.status == 403
    assert await _lists(client) == {"B1234CD": "whitelist"}


async def test_same_origin_and_listed_origin_may_write(aiohttp_client, tmp_path, repository):
    cfg = make_config(tmp_path, cors_origins=(DASHBOARD,))
    client = await aiohttp_client(create_app(cfg, repository=repository))
    own = f"http://{client.host}:{client.port}"
    assert (await client.post("/api/plate-status", json=WHITELIST, headers={"Origin": own})).status == 200
    resp = await client.post("/api/plate-status", json=WHITELIST, headers={"Origin": DASHBOARD})
    assert resp.status == 200 and resp.headers["Access-Control-Allow-Origin"] == DASHBOARD
    assert (await client.post("/api/plate-status", json=WHITELIST, headers={"Referer": own + "/docs"})).status == 200
    assert (await client.post("/api/plate-status", json=WHITELIST, headers={"Origin": EVIL})).status == 403


async def test_wildcard_cors_lets_pages_read_but_never_write(client):
    """The default cors_origins ['*'] shares reads; a write needs an origin listed by name."""
    read = await client.get("/api/plate-status", headers={"Origin": EVIL})
    assert read.status == 200 and read.headers["Access-Control-Allow-Origin"] == EVIL
    pre = await client.options(
        "/api/plate-status",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status == 403 and "Access-Control-Allow-Origin" not in pre.headers
    assert (await client.post("/api/plate-status", json=WHITELIST, headers={"Origin": EVIL})).status == 403


async def test_form_post_from_another_site_is_refused(client):
    resp = await client.post("/api/plate-status", data=WHITELIST, headers={"Origin": EVIL})
    assert resp.status == 403
    assert await _lists(client) == {}
