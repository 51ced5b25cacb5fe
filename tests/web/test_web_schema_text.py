"""What /openapi.json says of text fields is what the server does: a required text field
must hold more than what the models strip, and a body's text refuses NUL (schemathesis
--checks all generated both: ' ', U+0085 and NUL were 'schema-valid' but refused)."""

from __future__ import annotations

import re

import pytest

from alprd.web.app import ENDPOINTS
from alprd.web.openapi import build_openapi
from alprd.web.schemas.base import NOT_BLANK, _Stripped


@pytest.mark.parametrize("text", [" ", "\x85", "\u3000\t", "\u2028 \xa0"])
def test_blank_after_stripping_is_blank_to_the_schema(text):
    assert _Stripped(text=text).text == ""
    assert re.search(NOT_BLANK, text) is None


@pytest.mark.parametrize("text", ["a", " a ", "\x1c", "\ufeff", "\x00"])
def test_kept_after_stripping_is_not_blank_to_the_schema(text):
    assert _Stripped(text=text).text != ""
    assert re.search(NOT_BLANK, text) is not None


def test_body_text_fields_document_that_nul_is_refused():
    doc = build_openapi(ENDPOINTS, title="t", version="1", api_key_required=False)
    schemas = doc["components"]["schemas"]
    name = schemas["LocationCreate"]["properties"]["name"]
    assert name["not"] == {"pattern": r"\x00"} and name["pattern"] == NOT_BLANK
    location = schemas["Body_detect_image_detect_image_post"]["properties"]["location"]["anyOf"][0]
    assert location["not"] == {"pattern": r"\x00"}
    assert "not" not in schemas["Body_detect_image_detect_image_post"]["properties"]["file"]  # binary


def test_query_text_parameters_document_that_nul_is_refused():
    doc = build_openapi(ENDPOINTS, title="t", version="1", api_key_required=False)
    params = {p["name"]: p["schema"] for p in doc["paths"]["/detections"]["get"]["parameters"]}
    for name in ("vehicleType", "plateType", "search", "gate"):
        assert [s.get("not") for s in params[name]["anyOf"] if s.get("type") == "string"] == [{"pattern": r"\x00"}]
    assert "not" not in params["limit"]
