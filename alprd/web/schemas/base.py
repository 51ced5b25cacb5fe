"""Shared types of the REST models: field types, request bases, errors, parameters.

Field names are the contract's, snake_case or camelCase exactly as its examples;
fields beyond the examples are additions, never renames. These same models validate
requests and generate ``/openapi.json``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class _Stripped(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    text: str


# Text fields are stripped before they are checked, so a required one must hold more than
# whitespace; saying so in the schema keeps "at least 1 character" true of what is sent.
# The class spells out what the models' strip removes (asked of pydantic itself: Unicode
# White_Space, which is neither JSON Schema's \s nor Python's str.isspace()).
_STRIPPED = [n for n in range(0x3001) if chr(n).isspace() and _Stripped(text=chr(n)).text == ""]
NOT_BLANK = "[^" + "".join(f"\\u{n:04x}" for n in _STRIPPED) + "]"
PlateText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=20,
        pattern=r"^[A-Za-z0-9 \-]*[A-Za-z0-9][A-Za-z0-9 \-]*$",
        description="Plate text; spaces and dashes are removed, letters upper-cased.",
    ),
]
BBox = Annotated[list[int], Field(min_length=4, max_length=4, description="[x1, y1, x2, y2] in pixels.")]
Timestamp = Annotated[str, Field(description="Local time, 'YYYY-MM-DD HH:MM:SS'.")]
Limit = Annotated[int, Field(ge=1, le=1000)]
Offset = Annotated[int, Field(ge=0, le=100_000_000)]
RecordId = Annotated[int, Field(ge=1, le=2**62)]


class _Request(BaseModel):
    """Path and query parameters: text on the wire, so "10" is read as 10."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class _Body(BaseModel):
    """JSON or form bodies: types are strict (false is not 0.0, "1" is not 1)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, strict=True)


# ---- errors ------------------------------------------------------------------------


class ValidationError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class HTTPValidationError(BaseModel):
    detail: list[ValidationError]


class HTTPError(BaseModel):
    detail: str


# ---- path and query parameters -----------------------------------------------------


class VehiclePath(_Request):
    vehicle_id: RecordId


class PlatePath(_Request):
    plate_id: RecordId


class SessionPath(_Request):
    session_id: RecordId


class LocationPath(_Request):
    location_id: RecordId


class RegionPath(_Request):
    code: Annotated[str, Field(min_length=1, max_length=8, pattern=NOT_BLANK)]


class PlateTextPath(_Request):
    plate_text: Annotated[str, Field(min_length=1, max_length=64, pattern=NOT_BLANK)]


class LinePath(_Request):
    line_id: Annotated[str, Field(min_length=1, max_length=64, pattern=NOT_BLANK)]


class FilePath(_Request):
    path: Annotated[str, Field(min_length=1, max_length=255, pattern=NOT_BLANK)]


Gate = Annotated[str | None, Field(max_length=64, description="Only this gate's detections (storage.gate).")]


class DetectionsQuery(_Request):
    limit: Limit = 100
    offset: Offset = 0
    vehicleType: Annotated[str | None, Field(max_length=32)] = None
    plateType: Annotated[str | None, Field(max_length=32)] = None
    search: Annotated[str | None, Field(max_length=32)] = None
    gate: Gate = None


class PageQuery(_Request):
    limit: Limit = 100
    offset: Offset = 0


class LiveQuery(_Request):
    key: str | None = Field(
        None,
        description="The read (or write) key, for a browser EventSource, which cannot send X-API-Key; "
        "accepted on GET /api/events only.",
    )


class GateQuery(_Request):
    gate: Gate = None


class DaysQuery(GateQuery):
    days: Annotated[int, Field(ge=1, le=366, description="Window in days, ending today.")] = 7
