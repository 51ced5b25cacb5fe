"""Declared endpoints: one handler, its paths (canonical + aliases) and the pydantic models
that validate its path, query and body and describe its response.

The same declarations register the aiohttp routes and generate ``/openapi.json``, so the
document cannot drift from what the server validates.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import BaseModel, ValidationError

from alprd.errors import BadInputError
from alprd.web import keys

T = TypeVar("T")
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


class RequestValidationError(Exception):
    """Turned into FastAPI's 422 body by the error middleware."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("request validation failed")
        self.errors = errors


def validation_errors(exc: ValidationError, where: str) -> list[dict[str, Any]]:
    """pydantic errors as FastAPI's ``[{"loc", "msg", "type"}]`` with the request part first."""
    return [
        {"loc": [where, *e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


@dataclass(frozen=True)
class Call:
    """A validated request as a handler sees it."""

    request: web.Request
    path: Any = None
    query: Any = None
    body: Any = None

    @property
    def app(self) -> web.Application:
        return self.request.app

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking repository call in the database executor."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.app[keys.DB_EXECUTOR], partial(fn, *args, **kwargs))


# A handler returns its response model, JSON it encoded itself (bytes, which must be what
# ``response`` would give), or a response of its own (files, redirects).
Handler = Callable[[Call], Awaitable[BaseModel | bytes | web.StreamResponse]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    paths: tuple[str, ...]  # canonical first, then aliases
    handler: Handler
    summary: str
    tag: str = "default"
    path_params: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_media: tuple[str, ...] = (JSON,)
    response: type[BaseModel] | None = None
    response_media: str = JSON  # or e.g. "application/octet-stream" for files
    status: int = 200
    errors: tuple[int, ...] = ()  # extra documented error statuses (404, 400, ...)
    route_patterns: dict[str, str] = field(default_factory=dict)  # OpenAPI path -> aiohttp pattern

    @property
    def mutating(self) -> bool:
        return self.method in {"POST", "PUT", "PATCH", "DELETE"}

    @property
    def name(self) -> str:
        return self.handler.__name__


def _first_values(multi) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in multi.items():
        out.setdefault(k, v)
    return out


async def _read_body(request: web.Request, ep: Endpoint) -> Any:
    assert ep.body is not None
    ctype = request.content_type
    if ctype in (FORM, MULTIPART) and FORM in ep.body_media:
        try:
            data: Any = _first_values(await request.post())
        except (ValueError, AssertionError, UnicodeDecodeError, HttpProcessingError) as exc:
            raise BadInputError(f"malformed form body: {exc}") from None
        data = {k: v for k, v in data.items() if isinstance(v, str)}
    else:
        raw = await request.read()
        if not raw:
            raise RequestValidationError([{"loc": ["body"], "msg": "Field required", "type": "missing"}])
        try:
            data = json.loads(raw)
            json.dumps(data, ensure_ascii=False).encode("utf-8")  # lone surrogates ("\\ud800") cannot be stored
        except (ValueError, UnicodeError) as exc:
            raise RequestValidationError(
                [{"loc": ["body", getattr(exc, "pos", 0)], "msg": "JSON decode error", "type": "json_invalid"}]
            ) from None
    try:
        return ep.body.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(validation_errors(exc, "body")) from None


def make_view(ep: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def view(request: web.Request) -> web.StreamResponse:
        errors: list[dict[str, Any]] = []
        path = query = body = None
        if ep.path_params is not None:
            try:
                path = ep.path_params.model_validate(dict(request.match_info))
            except ValidationError as exc:
                errors += validation_errors(exc, "path")
        if ep.query is not None:
            try:
                query = ep.query.model_validate(_first_values(request.query))
            except ValidationError as exc:
                errors += validation_errors(exc, "query")
        if ep.body is not None and ep.body_media != (MULTIPART,) and not errors:  # multipart: streamed by the handler
            body = await _read_body(request, ep)
        if errors:
            raise RequestValidationError(errors)
        result = await ep.handler(Call(request, path, query, body))
        if isinstance(result, web.StreamResponse):
            return result
        data = result if isinstance(result, bytes) else result.model_dump_json().encode()
        return web.Response(body=data, status=ep.status, content_type=JSON)

    view.__name__ = ep.name
    return view


def add_endpoints(app: web.Application, endpoints: Sequence[Endpoint]) -> None:
    """Register every path of every endpoint, in order (specific paths before parameters)."""
    for ep in endpoints:
        view = make_view(ep)
        for path in ep.paths:
            app.router.add_route(ep.method, ep.route_patterns.get(path, path), view)
