"""Middlewares: JSON errors (FastAPI's shapes), CORS, the cross-site guard and the API keys.

Security model (a LAN gate box): a state-changing request is refused when its
``Origin`` (or, without one, its ``Referer``) is neither this server nor an origin listed
by name in ``server.cors_origins`` (``'*'`` shares reads, never writes); the write key
(``server.api_key``) guards every POST/PUT/PATCH/DELETE and the optional read key
(``server.read_key``) every GET of data. Keys are compared as SHA-256 digests in
constant time, whatever their length or encoding. A browser's ``EventSource`` cannot send
headers, so ``GET /api/events`` (and only it) also takes the key as ``?key=``; the access
log is off and every log line masks ``key=`` values (:mod:`alprd.redact`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from alprd.errors import (
    AlprdError,
    BadInputError,
    ConflictError,
    ForbiddenError,
    InferenceUnavailableError,
    NotFoundError,
    PayloadTooLargeError,
    RequestTimeoutError,
    StorageFullError,
    StorageUnavailableError,
    UnsupportedMediaError,
)
from alprd.log import get_logger
from alprd.web.endpoint import RequestValidationError

log = get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Reachable without the read key: the API root (health), the offline docs and the
# dashboard's own files (they hold no data; the page sends the key with its API calls).
PUBLIC_PATHS = frozenset({"/", "/docs", "/redoc", "/openapi.json", "/ui"})
PUBLIC_PREFIXES = ("/static/", "/ui/")
# GETs that may carry the key as ``?key=`` (Server-Sent Events: EventSource sends no headers).
KEY_IN_QUERY_PATHS = frozenset({"/api/events"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

_STATUS_OF: tuple[tuple[type[AlprdError], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (ForbiddenError, 403),
    (PayloadTooLargeError, 413),
    (UnsupportedMediaError, 415),
    (RequestTimeoutError, 408),
    (BadInputError, 400),
    (InferenceUnavailableError, 503),
    (StorageFullError, 507),
    (StorageUnavailableError, 503),
)


class UploadTooLargeError(PayloadTooLargeError):
    """An upload over the configured limit (HTTP 413)."""


class UnsupportedImageError(UnsupportedMediaError):
    """An upload that is not an image alprd can decode (HTTP 415)."""


def json_error(status: int, detail: object, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"detail": detail}, status=status, headers=headers)


def status_for(exc: AlprdError) -> int:
    return next((code for kind, code in _STATUS_OF if isinstance(exc, kind)), 500)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error leaves as JSON ``{"detail": ...}``; bad input never becomes a 500."""
    try:
        return await handler(request)
    except RequestValidationError as exc:
        return json_error(422, exc.errors)
    except AlprdError as exc:
        status = status_for(exc)
        if status >= 500:
            log.warning("web.request_failed", path=request.path, status=status, error=str(exc))
        return json_error(status, str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() in {"allow", "location"}}
        return json_error(exc.status, exc.reason, headers)
    except ConnectionError as exc:  # the client went away mid-request: nobody to answer
        exc.__traceback__ = None  # its frames hold what was read so far; let them go now
        log.info("web.client_disconnected", method=request.method, path=request.path)
        return json_error(400, "the client disconnected")
    except Exception:  # the boundary: log it, answer JSON, keep serving
        log.exception("web.unhandled_error", method=request.method, path=request.path)
        return json_error(500, "Internal server error")


# ---- origins ---------------------------------------------------------------------------


def origin_key(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin or URL; None when it has none ('null', garbage)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _is_same_origin(key: tuple[str, str, int], request: web.Request) -> bool:
    """Is the page's origin this server, as the browser addressed it (its Host header)?"""
    own = origin_key(f"{key[0]}://{request.host}")
    return own is not None and own[1:] == key[1:]


def listed_origins(cors_origins: tuple[str, ...]) -> frozenset[tuple[str, str, int]]:
    """The origins listed by name ('*' is not a name: it never allows writes)."""
    return frozenset(k for o in cors_origins if o != "*" and (k := origin_key(o)) is not None)


def cors_middleware(cors_origins: tuple[str, ...]) -> Callable:
    """CORS: reads are shared with listed origins (any with '*'); writes only with listed ones."""
    allow_any = "*" in cors_origins
    listed = listed_origins(cors_origins)

    def allowed(origin: str, method: str) -> bool:
        key = origin_key(origin)
        if method.upper() in MUTATING:
            return key in listed
        return allow_any or key in listed

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        wanted = request.headers.get("Access-Control-Request-Method")
        if origin and request.method == "OPTIONS" and wanted:
            if not allowed(origin, wanted):
                return json_error(403, f"Origin {origin} may not send {wanted} requests (see server.cors_origins)")
            return web.Response(
                status=200,
                headers={
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
                    "Access-Control-Allow-Headers": request.headers.get(
                        "Access-Control-Request-Headers", "Content-Type, X-API-Key"
                    ),
                    "Access-Control-Max-Age": "600",
                    "Vary": "Origin",
                },
            )
        response = await handler(request)
        if origin and allowed(origin, request.method):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    return cors


def cross_site_guard(cors_origins: tuple[str, ...]) -> Callable:
    """Refuse a write whose page (Origin, else Referer) is not this server or a listed origin.

    A browser sends Origin with every cross-site POST/PUT/PATCH/DELETE (and a Referer when
    it does not), so a page on another site cannot change the lists, whatever content type
    it sends. Clients that are not browsers (curl, scripts) send neither and pass.
    """
    listed = listed_origins(cors_origins)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in MUTATING:
            page = request.headers.get("Origin")
            if page is None and (referer := request.headers.get("Referer")) is not None:
                page = referer
            if page is not None:
                key = origin_key(page)
                if key is None or not (key in listed or _is_same_origin(key, request)):
                    shown = f"{key[0]}://{key[1]}:{key[2]}" if key else "'null'"
                    raise ForbiddenError(
                        f"cross-site request refused: origin {shown} is not this server "
                        "and not listed in server.cors_origins"
                    )
        return await handler(request)

    return guard


# ---- keys ------------------------------------------------------------------------------


def key_digest(value: str) -> bytes:
    """SHA-256 of a key as sent (any bytes: undecodable ones travel as surrogates)."""
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()


def _key_matches(given: str | None, *expected: bytes) -> bool:
    digest = key_digest(given or "")
    matches = [hmac.compare_digest(digest, e) for e in expected]  # every key compared: no early exit
    return given is not None and any(matches)


def api_key_middleware(api_key: str | None, read_key: str | None = None) -> Callable:
    """Writes need the write key (when set); reads of data need the read or the write key
    (when a read key is set). The root, the docs, /static and /ui stay open."""
    write = key_digest(api_key) if api_key else None
    read = key_digest(read_key) if read_key else None

    @web.middleware
    async def require_key(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get("X-API-Key")
        if given is None and request.method == "GET" and request.path in KEY_IN_QUERY_PATHS:
            given = request.query.get("key")
        if request.method in MUTATING:
            if write is not None and not _key_matches(given, write):
                return json_error(401, "Missing or invalid API key (send it in header X-API-Key)")
        elif (
            request.method in ("GET", "HEAD")
            and read is not None
            and not _public(request.path)
            and not _key_matches(given, read, *([write] if write else []))
        ):
            return json_error(401, "Missing or invalid read key (send it in header X-API-Key)")
        return await handler(request)

    return require_key


def _public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
