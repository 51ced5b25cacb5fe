"""Middlewares: JSON errors (FastAPI's shapes), CORS, and the API key on mutating routes."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from alprd.errors import (
    AlprdError,
    BadInputError,
    InferenceUnavailableError,
    NotFoundError,
    StorageFullError,
)
from alprd.log import get_logger
from alprd.web.endpoint import RequestValidationError

log = get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_STATUS_OF: tuple[tuple[type[AlprdError], int], ...] = (
    (NotFoundError, 404),
    (BadInputError, 400),
    (InferenceUnavailableError, 503),
    (StorageFullError, 507),
)


class UploadTooLargeError(BadInputError):
    """An upload over the configured limit (HTTP 413)."""


class UnsupportedImageError(BadInputError):
    """An upload that is not an image alprd can decode (HTTP 415)."""


def json_error(status: int, detail: object, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"detail": detail}, status=status, headers=headers)


def status_for(exc: AlprdError) -> int:
    if isinstance(exc, UploadTooLargeError):
        return 413
    if isinstance(exc, UnsupportedImageError):
        return 415
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
    except Exception:  # the boundary: log it, answer JSON, keep serving
        log.exception("web.unhandled_error", method=request.method, path=request.path)
        return json_error(500, "Internal server error")


def cors_middleware(allowed_origins: tuple[str, ...]) -> Callable:
    allow_any = "*" in allowed_origins

    def allowed(origin: str) -> bool:
        return allow_any or origin in allowed_origins

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin and request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            if not allowed(origin):
                return json_error(403, f"Origin {origin} is not allowed")
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
        if origin and allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    return cors


def api_key_middleware(api_key: str) -> Callable:
    expected = api_key.encode()

    @web.middleware
    async def require_key(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in MUTATING:
            given = request.headers.get("X-API-Key", "").encode()
            if not hmac.compare_digest(given, expected):
                return json_error(401, "Missing or invalid API key (send it in header X-API-Key)")
        return await handler(request)

    return require_key
