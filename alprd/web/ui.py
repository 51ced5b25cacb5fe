"""``/ui/``: the dashboard in the box, static files from ``alprd/web/dashboard/``.

Plain HTML, CSS and JavaScript modules (no build step, no CDN): the page talks to this
server's own API only, which its Content-Security-Policy enforces in the browser. The
files themselves hold no data, so they are served without the read key; the page asks
for the key once and sends it with every API call.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from alprd.web.routes.files import safe_file

DASHBOARD_DIR = Path(__file__).parent / "dashboard"
PREFIX = "/ui"
# Same-origin only: scripts, styles, API calls, images (blob: for images fetched with the key).
CSP = (
    "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
)
_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


async def ui_redirect(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(f"{PREFIX}/")


async def ui_file(request: web.Request) -> web.StreamResponse:
    relative = request.match_info["path"] or "index.html"
    target = safe_file(DASHBOARD_DIR, relative)
    if target is None:
        raise web.HTTPNotFound()
    return web.FileResponse(target, headers=_HEADERS)


def add_ui_routes(app: web.Application) -> None:
    app.router.add_get(PREFIX, ui_redirect)
    app.router.add_get(PREFIX + "/{path:.*}", ui_file)
