"""/openapi.json, Swagger UI at /docs and ReDoc at /redoc, from local assets only.

The UI bundles come from the aiohttp-swagger3 wheel (a dependency), so the pages work
on a gate LAN with no internet access: no URL in them leaves this server.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_swagger3
from aiohttp import web

from alprd.web import keys

ASSETS_DIR = Path(aiohttp_swagger3.__file__).parent
SWAGGER_PREFIX = "/swagger_ui_static"
REDOC_PREFIX = "/redoc_ui_static"

SWAGGER_HTML = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>alprd API - Swagger UI</title>
<link rel="stylesheet" href="{SWAGGER_PREFIX}/swagger-ui.css">
<link rel="icon" type="image/png" href="{SWAGGER_PREFIX}/favicon-32x32.png" sizes="32x32">
</head><body><div id="swagger-ui"></div>
<script src="{SWAGGER_PREFIX}/swagger-ui-bundle.js"></script>
<script src="{SWAGGER_PREFIX}/swagger-ui-standalone-preset.js"></script>
<script>
window.onload = function () {{
  window.ui = SwaggerUIBundle({{
    url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  }});
}};
</script></body></html>
"""

REDOC_HTML = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>alprd API - ReDoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{REDOC_PREFIX}/google-fonts.css">
<link rel="icon" href="{REDOC_PREFIX}/favicon.ico">
<style>body {{ margin: 0; padding: 0; }}</style>
</head><body><div id="redoc"></div>
<script src="{REDOC_PREFIX}/redoc.standalone.js"></script>
<script>Redoc.init("/openapi.json", {{}}, document.getElementById("redoc"));</script>
</body></html>
"""


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(request.app[keys.OPENAPI])


async def swagger_ui(request: web.Request) -> web.Response:
    return web.Response(text=SWAGGER_HTML, content_type="text/html")


async def redoc_ui(request: web.Request) -> web.Response:
    return web.Response(text=REDOC_HTML, content_type="text/html")


def add_doc_routes(app: web.Application) -> None:
    app.router.add_get("/openapi.json", openapi_json)
    app.router.add_get("/docs", swagger_ui)
    app.router.add_get("/redoc", redoc_ui)
    app.router.add_static(SWAGGER_PREFIX, ASSETS_DIR / "swagger_ui")
    app.router.add_static(REDOC_PREFIX, ASSETS_DIR / "redoc_ui")
