"""The optional read key: GETs of data need it (or the write key); a read-only key cannot write."""

from __future__ import annotations

from reliability_helpers import make_config

from alprd.web.app import create_app

READ, WRITE = "read-only-key-1", "write-key-1234"


async def test_read_key_guards_data_reads_and_grants_no_writes(aiohttp_client, tmp_path, repository):
    cfg = make_config(tmp_path, api_key=WRITE, read_key=READ)
    client = await aiohttp_client(create_app(cfg, repository=repository))
    for path in ("/detections", "/api/plate-status", "/api/detect/lines", "/outputs/uploaded/x.jpg"):
        resp = await client.get(path)
        assert resp.status == 401, path
        assert "read key" in (await resp.json())["detail"]
    assert (await client.get("/api/plate-status", headers={"X-API-Key": READ})).status == 200
    assert (await client.get("/api/plate-status", headers={"X-API-Key": WRITE})).status == 200
    assert (await client.get("/api/plate-status", headers={"X-API-Key": READ + "x"})).status == 401
    body = {"plate_text": "B1A", "status_type": "whitelist"}
    assert (await client.post("/api/plate-status", json=body, headers={"X-API-Key": READ})).status == 401
    assert (await client.post("/api/plate-status", json=body, headers={"X-API-Key": WRITE})).status == 200
    for open_path in ("/", "/openapi.json", "/docs"):
        assert (await client.get(open_path)).status == 200, open_path


async def test_without_a_read_key_reads_stay_open(aiohttp_client, tmp_path, repository):
    client = await aiohttp_client(create_app(make_config(tmp_path, api_key=WRITE), repository=repository))
    assert (await client.get("/api/plate-status")).status == 200


async def test_read_key_from_the_environment(aiohttp_client, tmp_path, repository, monkeypatch):
    monkeypatch.setenv("ALPRD_READ_KEY", READ)
    client = await aiohttp_client(create_app(make_config(tmp_path), repository=repository))
    assert (await client.get("/detections")).status == 401
    assert (await client.get("/detections", headers={"X-API-Key": READ})).status == 200
