"""Files (/outputs, /static) never leave their folders; docs work offline; CORS; API key; root."""

from __future__ import annotations

import re

import pytest
from aiohttp import FormData, web
from yarl import URL

from alprd.config import Config, ServerConfig
from alprd.web.app import create_app
from alprd.web.routes.files import safe_file


async def test_static_file_and_missing_file(client):
    resp = await client.get("/static/hello.txt")
    assert resp.status == 200 and await resp.text() == "hello"
    resp = await client.get("/static/nope.txt")
    assert resp.status == 404
    assert await resp.json() == {"detail": "File not found: nope.txt"}
    resp = await client.get("/outputs/plates/none.jpg")
    assert await resp.json() == {"detail": "File not found: plates/none.jpg"}


@pytest.mark.parametrize(
    "raw_path",
    [
        "/outputs/../../etc/passwd",
        "/outputs/%2e%2e/%2e%2e/etc/passwd",
        "/outputs/..%2f..%2fetc%2fpasswd",
        "/outputs/%252e%252e/%252e%252e/etc/passwd",
        "/outputs/..%5c..%5cetc%5cpasswd",
        "/static/../data/alprd.db",
        "/static/%2e%2e/data/alprd.db",
        "/static/..%2fdata%2falprd.db",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/hello.txt%00.jpg",
    ],
)
async def test_traversal_is_404(client, raw_path):
    resp = await client.get(URL(raw_path, encoded=True))
    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert "detail" in await resp.json()


def test_safe_file_refuses_symlink_out(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("x")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    (root / "ok.txt").write_text("y")
    assert safe_file(root, "link.txt") is None
    assert safe_file(root, "ok.txt") == (root / "ok.txt").resolve()
    assert safe_file(root, "../secret.txt") is None
    assert safe_file(root, str(tmp_path / "secret.txt")) is None


async def test_root_health(client):
    body = await (await client.get("/")).json()
    assert body["status"] == "online" and body["database"] == {"accessible": True} and body["docs"] == "/docs"


async def test_openapi_lists_every_route_and_alias(client):
    doc = await (await client.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    expected = {
        ("post", "/detect/image"),
        ("post", "/detect_image"),
        ("get", "/api/detection/latest"),
        ("get", "/latest_detection"),
        ("get", "/detections"),
        ("get", "/api/detections"),
        ("get", "/api/detect/lines"),
        ("get", "/api/detect/line/{line_id}/test"),
        ("get", "/api/vehicles/{vehicle_id}"),
        ("put", "/api/vehicles/{vehicle_id}"),
        ("post", "/api/vehicles/{vehicle_id}"),
        ("delete", "/api/vehicles/{vehicle_id}"),
        ("get", "/api/plates/{plate_id}"),
        ("patch", "/api/plates/{plate_id}"),
        ("post", "/api/plates/{plate_id}"),
        ("delete", "/api/plates/{plate_id}"),
        ("get", "/api/plate/regions"),
        ("get", "/api/plates/regions"),
        ("get", "/api/plate/region/{code}"),
        ("get", "/api/plates/regions/{code}"),
        ("get", "/api/plates/regions/summary"),
        ("get", "/api/plate-status"),
        ("post", "/api/plate-status"),
        ("delete", "/api/plate-status/{plate_text}"),
        ("post", "/api/plate-status/sync-all"),
        ("get", "/api/locations/"),
        ("get", "/api/locations"),
        ("post", "/api/locations/"),
        ("post", "/api/locations"),
        ("get", "/api/locations/{location_id}"),
        ("put", "/api/locations/{location_id}"),
        ("delete", "/api/locations/{location_id}"),
        ("get", "/api/locations/types"),
        ("get", "/api/locations/count"),
        ("get", "/api/sessions"),
        ("get", "/api/sessions/{session_id}"),
        ("put", "/api/sessions/{session_id}"),
        ("get", "/outputs/{path}"),
        ("get", "/static/{path}"),
        ("get", "/"),
        ("get", "/api/events"),
        ("get", "/metrics"),
        *{
            ("get", f"/api/statistics/{n}")
            for n in (
                "dashboard",
                "vehicle-distribution",
                "detection-trend",
                "hourly-activity",
                "weekly-activity",
                "plate-types",
                "regions",
                "status",
            )
        },
    }
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert expected <= documented
    schemas = doc["components"]["schemas"]
    for name in (
        "Body_add_plate_status_api_plate_status_post",
        "Body_detect_image_detect_image_post",
        "HTTPValidationError",
        "Location",
        "LocationBase",
        "LocationCreate",
        "SessionUpdate",
        "ValidationError",
    ):
        assert name in schemas, name
    detections = doc["paths"]["/detections"]["get"]
    assert {p["name"] for p in detections["parameters"]} == {
        "limit",
        "offset",
        "vehicleType",
        "plateType",
        "search",
        "gate",
    }


@pytest.mark.parametrize("page, marker", [("/docs", "SwaggerUIBundle"), ("/redoc", "Redoc.init")])
async def test_doc_pages_use_only_local_assets(client, page, marker):
    resp = await client.get(page)
    assert resp.status == 200
    html = await resp.text()
    assert marker in html
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
        asset_resp = await client.get(asset)
        assert asset_resp.status == 200, asset
        if asset.endswith(".css"):
            css = await asset_resp.text()
            assert "https://" not in css.replace("https://fonts.google", "")  # url()s are local


async def test_unknown_route_and_method_are_json(client):
    resp = await client.get("/no/such/route")
    assert resp.status == 404 and await resp.json() == {"detail": "Not Found"}
    resp = await client.patch("/api/locations/count")
    assert resp.status == 405 and await resp.json() == {"detail": "Method Not Allowed"}


async def test_cors_allows_configured_origin_only(client):
    ok = await client.get("/api/plate/regions", headers={"Origin": "http://dashboard.lan"})
    assert ok.headers["Access-Control-Allow-Origin"] == "http://dashboard.lan"
    other = await client.get("/api/plate/regions", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    pre = await client.options(
        "/api/plates/1",
        headers={
            "Origin": "http://dashboard.lan",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "content-type,x-api-key",
        },
    )
    assert pre.status == 200
    assert "PATCH" in pre.headers["Access-Control-Allow-Methods"]
    assert pre.headers["Access-Control-Allow-Headers"] == "content-type,x-api-key"
    # errors carry CORS headers too, so the dashboard can read them
    err = await client.get("/api/plates/999", headers={"Origin": "http://dashboard.lan"})
    assert err.status == 404 and err.headers["Access-Control-Allow-Origin"] == "http://dashboard.lan"


async def test_api_key_guards_mutating_routes(aiohttp_client, config, repository, monkeypatch):
    monkeypatch.delenv("ALPRD_API_KEY", raising=False)
    keyed = config.model_copy(update={"server": ServerConfig(api_key="s3cret-key-1")})
    client = await aiohttp_client(create_app(keyed, repository=repository))
    body = {"plate_text": "B1A", "status_type": "whitelist"}
    resp = await client.post("/api/plate-status", json=body)
    assert resp.status == 401 and "X-API-Key" in (await resp.json())["detail"]
    assert (await client.post("/api/plate-status", json=body, headers={"X-API-Key": "wrong"})).status == 401
    assert (await client.post("/api/plate-status", json=body, headers={"X-API-Key": "s3cret-key-1"})).status == 200
    assert (await client.get("/api/plate-status")).status == 200  # reads stay open
    assert (await client.delete("/api/locations/1")).status == 401
    doc = await (await client.get("/openapi.json")).json()
    assert doc["paths"]["/api/plate-status"]["post"]["security"] == [{"APIKeyHeader": []}]


async def test_unexpected_error_is_json_500(aiohttp_client, config, repository):
    repository.db.close()
    broken = type(repository)(repository.db, repository.packs)
    broken.list_detections = None  # type: ignore[assignment]  # a programming error, not bad input
    client = await aiohttp_client(create_app(config, repository=broken))
    resp = await client.get("/detections")
    assert resp.status == 500
    assert await resp.json() == {"detail": "Internal server error"}


def test_create_app_is_a_factory(config, repository):
    app = create_app(config, repository=repository)
    assert isinstance(app, web.Application)
    assert not Config.model_fields["server"].is_required()


async def test_errors_stay_json_after_logging_was_configured_on_a_closed_stream(client, monkeypatch):
    """The daemon configures structlog once; a later stderr swap must not turn a 503 into a 500."""
    import io
    import sys

    import structlog

    from alprd.log import configure_logging

    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("json")
    first.close()
    later = io.StringIO()
    monkeypatch.setattr(sys, "stderr", later)
    try:
        form = FormData()
        form.add_field("file", b"\xff\xd8\xff\xdb" + b"\x00" * 64, filename="x.jpg")
        resp = await client.post("/detect/image", data=form)
        assert resp.status == 503
        assert "detail" in await resp.json()
    finally:
        structlog.reset_defaults()


@pytest.mark.parametrize(("api_key", "gate_urls"), [(None, {}), ("s3cret-key-1", {"north": "http://north.lan:8000"})])
def test_openapi_document_is_valid(config, repository, monkeypatch, api_key, gate_urls):
    from openapi_spec_validator import validate

    from alprd.web import keys

    monkeypatch.delenv("ALPRD_API_KEY", raising=False)
    storage = config.storage.model_copy(update={"gate_urls": gate_urls})
    cfg = config.model_copy(update={"server": ServerConfig(api_key=api_key), "storage": storage})
    doc = create_app(cfg, repository=repository)[keys.OPENAPI]
    validate(doc)
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
