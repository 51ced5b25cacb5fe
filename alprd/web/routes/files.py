"""Files under outputs/ and static/, and the API root. A path can never leave its folder."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import quote

from aiohttp import web

from alprd import __version__
from alprd.errors import NotFoundError
from alprd.storage.files import URL_PREFIX
from alprd.web import keys
from alprd.web import schemas as s
from alprd.web.endpoint import Call, Endpoint


def _plain(relative: str) -> bool:
    """A relative path of names only: no NUL, backslash, leading ``/``, ``.`` or ``..``."""
    if not relative or "\x00" in relative or "\\" in relative or relative.startswith("/"):
        return False
    return not any(p in ("..", ".") for p in PurePosixPath(relative).parts)


def safe_file(root: Path, relative: str) -> Path | None:
    """The regular file ``relative`` names inside ``root``, or None when it is missing or
    would leave ``root`` (``..``, absolute paths, NUL, backslashes, symlinks pointing out)."""
    if not _plain(relative):
        return None
    parts = PurePosixPath(relative).parts
    try:
        base = root.resolve(strict=True)
        target = base.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if not target.is_relative_to(base) or not target.is_file():
        return None
    return target


def _serve(call: Call, root: Path) -> web.FileResponse:
    relative = call.path.path
    target = safe_file(root, relative)
    if target is None:
        raise NotFoundError(f"File not found: {relative}")
    return web.FileResponse(target)


async def get_output(call: Call) -> web.FileResponse:
    config = call.app[keys.CONFIG]
    root = config.resolve(config.storage.outputs_dir)
    if config.storage.gate_urls and safe_file(root, call.path.path) is None:
        await _redirect_to_gate(call)
    return _serve(call, root)


async def _redirect_to_gate(call: Call) -> None:
    """Central daemon (``storage.gate_urls``): images stay on the gate that took them; one
    that another gate stored is answered with a redirect (302) to that gate's URL."""
    config = call.app[keys.CONFIG]
    relative = call.path.path
    if not _plain(relative):  # no row names it (and PostgreSQL refuses a NUL in a query: 500)
        return
    gate = await call.db(call.app[keys.REPOSITORY].gate_of_image, f"{URL_PREFIX}/{relative}")
    base = config.storage.gate_urls.get(gate or "")
    if gate and gate != config.storage.gate and base:
        raise web.HTTPFound(f"{base.rstrip('/')}/{URL_PREFIX}/{quote(relative)}")


async def get_static(call: Call) -> web.FileResponse:
    config = call.app[keys.CONFIG]
    return _serve(call, config.resolve(config.server.static_dir))


async def root(call: Call) -> s.Root:
    ok = await call.db(call.app[keys.REPOSITORY].ping)
    return s.Root(
        message="alprd licence plate recognition API",
        status="online" if ok else "degraded",
        version=__version__,
        docs="/docs",
        database={"accessible": ok},
    )


_FILE = "application/octet-stream"

ENDPOINTS = (
    Endpoint("GET", ("/",), root, "Root", tag="health", response=s.Root),
    Endpoint(
        "GET",
        ("/outputs/{path}",),
        get_output,
        "Get Output File",
        tag="files",
        path_params=s.FilePath,
        response_media=_FILE,
        errors=(404,),
        redirects=(302,),  # a central: an image another gate stored (_redirect_to_gate)
        route_patterns={"/outputs/{path}": "/outputs/{path:.+}"},
    ),
    Endpoint(
        "GET",
        ("/static/{path}",),
        get_static,
        "Get Static File",
        tag="files",
        path_params=s.FilePath,
        response_media=_FILE,
        errors=(404,),
        route_patterns={"/static/{path}": "/static/{path:.+}"},
    ),
)
