"""OpenAPI 3.1 document generated from the declared endpoints and their pydantic models."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from alprd.web import schemas as s
from alprd.web.endpoint import Endpoint

REF = "#/components/schemas/{model}"
_DESCRIPTIONS = {
    200: "Successful Response",
    302: "Found: the file is on the gate that stored it (storage.gate_urls); Location is its URL there",
    400: "Bad Request",
    401: "Missing or invalid API key",
    403: "Cross-site request refused",
    404: "Not Found",
    409: "Conflicts with a stored record",
    408: "Request body too slow",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Validation Error",
    503: "Plate reading unavailable",
    507: "Storage full",
}


def _operation_id(ep: Endpoint, path: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "root"
    return f"{ep.name}_{slug}_{ep.method.lower()}"


def _param_models(ep: Endpoint) -> list[tuple[str, type[BaseModel]]]:
    return [(where, m) for where, m in (("path", ep.path_params), ("query", ep.query)) if m is not None]


def build_openapi(
    endpoints: Sequence[Endpoint],
    *,
    title: str,
    version: str,
    api_key_required: bool,
    read_key_required: bool = False,
    redirecting: bool = False,
) -> dict[str, Any]:
    """The document of ``endpoints``; ``redirecting``: the daemon answers their redirects."""
    inputs = {m for ep in endpoints for m in (ep.body, ep.path_params, ep.query) if m is not None}
    outputs = {ep.response for ep in endpoints if ep.response is not None}
    outputs |= {s.HTTPError, s.HTTPValidationError}
    keys: list[tuple[type[BaseModel], JsonSchemaMode]]
    keys = [(m, "validation") for m in sorted(inputs, key=lambda m: m.__name__)]
    keys += [(m, "serialization") for m in sorted(outputs, key=lambda m: m.__name__)]
    refs, top = models_json_schema(keys, ref_template=REF)
    defs: dict[str, Any] = dict(top.get("$defs", {}))
    param_names = {m.__name__ for ep in endpoints for _, m in _param_models(ep)}
    seen: set[str] = set()
    for model in {ep.body for ep in endpoints if ep.body is not None}:
        _document_no_nul(refs[(model, "validation")], defs, seen)

    paths: dict[str, dict[str, Any]] = {}
    used_ids: set[str] = set()
    for ep in endpoints:
        for path in ep.paths:
            op = _operation(ep, path, refs, defs, api_key_required, read_key_required)
            if redirecting:
                op["responses"].update(_redirects(ep))
            base, n = op["operationId"], 2
            while op["operationId"] in used_ids:  # '/detect/image' and '/detect_image' slug alike
                op["operationId"] = f"{base}_{n}"
                n += 1
            used_ids.add(op["operationId"])
            paths.setdefault(path, {})[ep.method.lower()] = op
    for name in param_names:
        defs.pop(name, None)
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": defs},
    }
    if api_key_required or read_key_required:
        doc["components"]["securitySchemes"] = {"APIKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
    return doc


def _parameters(ep: Endpoint, defs: dict[str, Any]) -> list[dict[str, Any]]:
    params = []
    for where, model in _param_models(ep):
        schema = defs[model.__name__]
        required = set(schema.get("required", ()))
        for name, prop in schema.get("properties", {}).items():
            if where == "query":  # a NUL in a query's text is refused (422), as in a body
                _document_no_nul(prop, defs, set())
            params.append({"name": name, "in": where, "required": where == "path" or name in required, "schema": prop})
    return params


def _operation(ep: Endpoint, path: str, refs, defs, api_key_required: bool, read_key_required: bool) -> dict[str, Any]:
    op: dict[str, Any] = {"tags": [ep.tag], "summary": ep.summary, "operationId": _operation_id(ep, path)}
    params = _parameters(ep, defs)
    if params:
        op["parameters"] = params
    if ep.body is not None:
        schema = refs[(ep.body, "validation")]
        op["requestBody"] = {"required": True, "content": {media: {"schema": schema} for media in ep.body_media}}
    responses: dict[str, Any] = {}
    if ep.response is not None:
        content = {ep.response_media: {"schema": refs[(ep.response, "serialization")]}}
    elif ep.response_media.startswith("text/"):  # a stream or text format (SSE, Prometheus)
        content = {ep.response_media: {"schema": {"type": "string"}}}
    elif ep.response_media.startswith("image/"):  # a picture (a camera's frame)
        content = {ep.response_media: {"schema": {"type": "string", "format": "binary"}}}
    else:
        content = {"*/*": {"schema": {}}}
    responses[str(ep.status)] = {"description": _DESCRIPTIONS.get(ep.status, "OK"), "content": content}
    error_codes = set(ep.errors)
    if (api_key_required and ep.mutating) or (read_key_required and not ep.mutating and not ep.public):
        error_codes.add(401)
        op["security"] = [{"APIKeyHeader": []}]
    if ep.mutating:
        error_codes.add(403)  # a cross-site request (see the middleware)
    if params or ep.body is not None:
        error_codes.add(422)
    if ep.body is not None:
        error_codes |= {400, 408, 413, 415}  # malformed, too slow, too large, not JSON
    for code in sorted(error_codes):
        model = s.HTTPValidationError if code == 422 else s.HTTPError
        responses[str(code)] = {
            "description": _DESCRIPTIONS.get(code, "Error"),
            "content": {"application/json": {"schema": refs[(model, "serialization")]}},
        }
    op["responses"] = responses
    return op


def _redirects(ep: Endpoint) -> dict[str, Any]:
    location = {"description": "Where the resource is", "required": True, "schema": {"type": "string"}}
    return {
        str(code): {"description": _DESCRIPTIONS.get(code, "Redirect"), "headers": {"Location": location}}
        for code in ep.redirects
    }


def _document_no_nul(schema: Any, defs: dict[str, Any], seen: set[str]) -> None:
    """Every text field of a body refuses NUL (422 ``string_nul``, endpoint._refuse_nul);
    say so in its schema: ``not: {pattern: NUL}`` beside any pattern it already has."""
    if isinstance(schema, list):
        for item in schema:
            _document_no_nul(item, defs, seen)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF.format(model="")):
        name = ref.rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            _document_no_nul(defs.get(name), defs, seen)
    if schema.get("type") == "string" and "format" not in schema and "enum" not in schema:
        schema["not"] = {"pattern": r"\x00"}
    for key in ("properties", "items", "anyOf", "allOf", "oneOf", "additionalProperties"):
        value = schema.get(key)
        _document_no_nul(list(value.values()) if key == "properties" and isinstance(value, dict) else value, defs, seen)
