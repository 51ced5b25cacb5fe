"""Declared endpoints: one handler, its paths (canonical + aliases) and the pydantic models
that validate its path, query and body and describe its response.

The same declarations register the aiohttp routes and generate ``/openapi.json``, so the
document cannot drift from what the server validates.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import BaseModel, ValidationError

from alprd.errors import BadInputError, PayloadTooLargeError, RequestTimeoutError, UnsupportedMediaError
from alprd.storage.repository import Repository
from alprd.web import keys

T = TypeVar("T")
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
MAX_JSON_BYTES = 1024 * 1024  # JSON and form bodies: far below uploads (server.max_upload_mb)
INLINE_JSON_BYTES = 64 * 1024  # larger bodies are decoded in a worker thread, off the event loop
MAX_JSON_DEPTH = 32  # no body of the API nests more than 3 levels
_CHUNK_BYTES = 64 * 1024


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
        """Run a blocking repository call in the database executor (a database server that
        cannot be reached is a 503 whichever query met it)."""
        loop = asyncio.get_running_loop()
        run = partial(_guarded, self.app[keys.REPOSITORY], partial(fn, *args, **kwargs))
        return await loop.run_in_executor(self.app[keys.DB_EXECUTOR], run)


def _guarded(repository: Repository, fn: Callable[[], T]) -> T:
    with repository.server_errors():
        return fn()


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
    # Redirects it may answer (302 with a Location), documented where the daemon gives them
    # (build_openapi's ``redirecting``: a central with storage.gate_urls).
    redirects: tuple[int, ...] = ()
    route_patterns: dict[str, str] = field(default_factory=dict)  # OpenAPI path -> aiohttp pattern

    @property
    def mutating(self) -> bool:
        return self.method in {"POST", "PUT", "PATCH", "DELETE"}

    @property
    def public(self) -> bool:
        """Open without the read key: the API root (health)."""
        return self.paths == ("/",)

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
    takes_form = FORM in ep.body_media
    if not request.body_exists:
        raise RequestValidationError([{"loc": ["body"], "msg": "Field required", "type": "missing"}])
    if takes_form and ctype in (FORM, MULTIPART):
        _check_length(request, MAX_JSON_BYTES)
        try:
            form = _first_values(await asyncio.wait_for(request.post(), _body_timeout_s(request)))
        except asyncio.TimeoutError:
            raise RequestTimeoutError("the request body did not arrive in time") from None
        except (ValueError, AssertionError, UnicodeDecodeError, HttpProcessingError) as exc:
            raise BadInputError(f"malformed form body: {exc}") from None
        data: Any = {k: v for k, v in form.items() if isinstance(v, str)}
        check_json(data)
        return _validate(ep.body, data)
    if ctype != JSON and not ctype.endswith("+json"):
        also = " or a form" if takes_form else ""
        raise UnsupportedMediaError(f"send the body as application/json{also} (Content-Type was {ctype})")
    raw = await read_capped(request, MAX_JSON_BYTES)
    if not raw:
        raise RequestValidationError([{"loc": ["body"], "msg": "Field required", "type": "missing"}])
    if len(raw) <= INLINE_JSON_BYTES:
        return parse_json_body(raw, ep.body)
    return await asyncio.get_running_loop().run_in_executor(None, parse_json_body, raw, ep.body)


def _body_timeout_s(request: web.Request) -> float:
    return request.app[keys.CONFIG].server.body_timeout_s


def _check_length(request: web.Request, max_bytes: int) -> None:
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLargeError(f"the request body is larger than the limit of {max_bytes} bytes")


async def read_capped(request: web.Request, max_bytes: int) -> bytes:
    """The body, refused (413) past ``max_bytes`` and (408) when it is not in within the
    configured body timeout, so a slow or huge sender cannot hold the server."""
    _check_length(request, max_bytes)

    async def read() -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := await request.content.read(_CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLargeError(f"the request body is larger than the limit of {max_bytes} bytes")
                chunks.append(chunk)
        except BaseException:
            chunks.clear()  # a traceback keeps this frame: it must not keep the body
            raise
        return b"".join(chunks)

    try:
        return await asyncio.wait_for(read(), _body_timeout_s(request))
    except asyncio.TimeoutError:
        raise RequestTimeoutError("the request body did not arrive in time") from None


def parse_json_body(raw: bytes, model: type[BaseModel]) -> BaseModel:
    """Decode, check (depth, lone surrogates) and validate a JSON body (NUL: in _validate)."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise BadInputError(f"the JSON body is nested too deeply (more than {MAX_JSON_DEPTH} levels)") from None
    except (ValueError, UnicodeError) as exc:
        raise RequestValidationError(
            [{"loc": ["body", getattr(exc, "pos", 0)], "msg": "JSON decode error", "type": "json_invalid"}]
        ) from None
    check_json(data)
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # lone surrogates ("\\ud800") cannot be stored
    except UnicodeError:
        raise RequestValidationError(
            [{"loc": ["body", 0], "msg": "JSON decode error", "type": "json_invalid"}]
        ) from None
    return _validate(model, data)


def check_json(data: Any) -> None:
    """Refuse values nested deeper than MAX_JSON_DEPTH (400); iterative, so no input can
    exhaust the stack."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth >= MAX_JSON_DEPTH:
            raise BadInputError(f"the JSON body is nested too deeply (more than {MAX_JSON_DEPTH} levels)")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _nul_errors(value: Any, loc: tuple[Any, ...]) -> list[dict[str, Any]]:
    """A 422 error for each text field holding NUL (no stored text has one, and PostgreSQL
    refuses it in a query: a 500 there, where SQLite found nothing)."""
    if isinstance(value, str):
        if "\x00" not in value:
            return []
        return [{"loc": list(loc), "msg": "String should not contain NUL characters", "type": "string_nul"}]
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in _nul_errors(v, (*loc, k))]
    if isinstance(value, list | tuple):
        return [e for i, v in enumerate(value) for e in _nul_errors(v, (*loc, i))]
    return []


def _refuse_nul(value: Any) -> None:
    """Text fields holding NUL (422): checked on the validated body, every field it keeps."""
    errors = _nul_errors(value, ("body",))
    if errors:
        raise RequestValidationError(errors[:1])


def _validate(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        body = model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(validation_errors(exc, "body")) from None
    _refuse_nul(body.model_dump())
    return body


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
                errors += _nul_errors(query.model_dump(), ("query",))
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
    static = [p for ep in endpoints for p in ep.paths if "{" not in p]
    for ep in endpoints:
        view = make_view(ep)
        for path in ep.paths:
            app.router.add_route(ep.method, ep.route_patterns.get(path) or route_pattern(path, static), view)


def route_pattern(path: str, static_paths: Sequence[str]) -> str:
    """The aiohttp pattern of an OpenAPI path: a parameter never takes the name of a static
    path beside it, so ``PUT /api/locations/count`` is the static path's 405 (Allow: GET),
    not ``location_id='count'``'s 422, and its ``Allow`` lists the static path's methods only."""
    parts = path.split("/")
    for i, part in enumerate(parts):
        if not (part.startswith("{") and part.endswith("}")):
            continue
        taken = sorted(
            {
                other[i]
                for other in (p.split("/") for p in static_paths)
                if len(other) == len(parts)
                and other[i]
                and all(o == q or q.startswith("{") for o, q in zip(other, parts))
            }
        )
        if taken:
            words = "|".join(re.escape(t) for t in taken)
            parts[i] = f"{{{part[1:-1]}:(?!(?:{words})(?:/|$))[^/]+}}"
    return "/".join(parts)
