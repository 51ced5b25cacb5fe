"""Routing: a static path beats a parameter beside it, for every method. A method the static
path lacks is its 405 (with its own Allow), never the parameter route's 422 for an id that
is a word; a real bad id is still 422 (FastAPI's shape)."""

from __future__ import annotations

import pytest

from alprd.web.endpoint import route_pattern


@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("PUT", "/api/locations/count", "GET"),
        ("DELETE", "/api/locations/types", "GET"),
        ("POST", "/api/plates/regions", "GET"),
        ("PATCH", "/api/plates/regions", "GET"),
        ("DELETE", "/api/plate-status/sync-all", "POST"),
        ("OPTIONS", "/api/plate-status/sync-all", "POST"),
        ("POST", "/api/plates/regions/summary", "GET"),
    ],
)
async def test_a_method_a_static_path_lacks_is_405(client, method, path, allow):
    resp = await client.request(method, path)
    assert resp.status == 405
    assert resp.headers["Allow"] == allow
    assert (await resp.json()) == {"detail": "Method Not Allowed"}


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("PUT", "/api/locations/abc", 422),
        ("GET", "/api/plates/abc", 422),
        ("DELETE", "/api/plate-status/SYNCALL", 404),
        ("GET", "/api/plates/regions/summary", 200),
        ("GET", "/api/locations/count", 200),
    ],
)
async def test_parameters_and_static_paths_still_route(client, method, path, status):
    resp = await client.request(method, path, json={} if method == "PUT" else None)
    assert resp.status == status


def test_route_pattern_excludes_only_static_siblings():
    static = ["/api/x", "/api/x/count", "/api/x/count/deep", "/api/y/count"]
    assert route_pattern("/api/x/{id}", static) == "/api/x/{id:(?!(?:count)(?:/|$))[^/]+}"
    assert route_pattern("/api/z/{id}", static) == "/api/z/{id}"
    assert route_pattern("/api/x/{id}/deep", static) == "/api/x/{id:(?!(?:count)(?:/|$))[^/]+}/deep"
