"""/ui/: the dashboard's files, open without the read key, same-origin only, never outside its folder."""

from __future__ import annotations

import re

from alprd.config import ServerConfig
from alprd.web.app import create_app
from alprd.web.ui import DASHBOARD_DIR


async def test_ui_serves_its_files_with_a_same_origin_policy(client):
    redirect = await client.get("/ui", allow_redirects=False)
    assert redirect.status == 302 and redirect.headers["Location"] == "/ui/"
    page = await client.get("/ui/")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    assert "connect-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
        if asset.startswith(("data:", "#")):
            continue
        assert "://" not in asset and not asset.startswith("//"), asset  # nothing from off the box
        resp = await client.get(f"/ui/{asset}")
        assert resp.status == 200, asset
        assert await resp.read() == (DASHBOARD_DIR / asset).read_bytes()
    script = await client.get("/ui/main.js")
    assert script.content_type in ("application/javascript", "text/javascript")


async def test_ui_never_serves_outside_its_folder(client):
    for path in ("/ui/../app.py", "/ui/%2e%2e/ui.py", "/ui/nothing.js", "/ui/..%2fui.py"):
        resp = await client.get(path)
        assert resp.status == 404, path


async def test_ui_is_open_with_a_read_key_and_the_data_is_not(aiohttp_client, config, repository):
    keyed = config.model_copy(update={"server": ServerConfig(api_key="write-key-1", read_key="read-key-1")})
    client = await aiohttp_client(create_app(keyed, repository=repository))
    assert (await client.get("/ui/")).status == 200
    assert (await client.get("/ui/api.js")).status == 200
    assert (await client.get("/api/plate-status")).status == 401
    assert (await client.get("/api/plate-status", headers={"X-API-Key": "read-key-1"})).status == 200


def test_every_module_the_page_imports_is_there():
    for module in DASHBOARD_DIR.glob("*.js"):
        for name in re.findall(r'from "\./([^"]+)"', module.read_text()):
            assert (DASHBOARD_DIR / name).is_file(), f"{module.name} imports {name}"
