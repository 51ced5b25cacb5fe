"""Frozen records the repository returns, and the SQL row -> record mapping.

The web layer turns these into the JSON shapes of the API; no Peewee model instance
leaves the storage stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from alprd.domain.messages import Box
from alprd.domain.packs import region_label


def gate_label(location: str, location_type: str | None) -> str:
    """'Gate 1 (Entry)' as the API shows a location when its type is known, else the name."""
    return f"{location} ({location_type})" if location and location_type else location


def parse_dt(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class PlateRecord:
    id: int
    session_id: int
    vehicle_id: int | None
    plate_index: int
    plate_text: str
    ocr_confidence: float
    box: Box
    plate_type: str
    plate_status: str
    region_code: str
    region_name: str
    text_color: str
    background_color: str
    image_path: str
    detected_at: datetime
    vehicle_class: str
    vehicle_confidence: float

    @property
    def region_label(self) -> str:
        """'B (Jakarta)', as the API shows a region."""
        return region_label(self.region_code, self.region_name)


@dataclass(frozen=True, slots=True)
class VehicleRecord:
    id: int
    session_id: int
    vehicle_index: int
    vehicle_class: str
    confidence: float
    box: Box
    image_path: str
    detected_at: datetime
    plates: tuple[PlateRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: int
    detected_at: datetime
    location: str
    location_type: str
    notes: str
    camera_id: str
    source: str
    direction: str
    original_path: str
    annotated_path: str
    vehicle_annotated_path: str
    processing_time_s: float
    width_px: int
    height_px: int
    vehicle_count: int = 0
    plate_count: int = 0
    vehicles: tuple[VehicleRecord, ...] = ()
    plates: tuple[PlateRecord, ...] = ()

    @property
    def resolution(self) -> str:
        return f"{self.width_px}x{self.height_px}"

    @property
    def gate_label(self) -> str:
        """'Gate 1 (Entry)' when the location's type is known."""
        return gate_label(self.location, self.location_type)


class DetectionRow(NamedTuple):
    """One plate with what /detections shows of its vehicle and session.

    A NamedTuple, not a dataclass: a list page builds up to 1,000 of these straight from
    SQL rows (``DetectionRow._make``), and a tuple costs a fraction of a frozen dataclass.
    """

    plate_id: int
    detected_at: str  # as stored: 'YYYY-MM-DD HH:MM:SS'
    plate_image_path: str
    plate_text: str
    ocr_confidence: float
    region_code: str
    region_name: str
    plate_status: str
    plate_type: str
    vehicle_id: int | None
    vehicle_class: str  # the vehicle's, or the class stored on the plate when it has no vehicle row
    vehicle_confidence: float  # likewise
    session_id: int
    original_path: str
    annotated_path: str
    processing_time_s: float
    width_px: int
    height_px: int
    location: str
    location_type: str


@dataclass(frozen=True, slots=True)
class LocationRecord:
    id: int
    name: str
    type: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeleteOutcome:
    """What a delete removed; ``image_paths`` are the files the caller should remove."""

    plates_deleted: int
    vehicle_deleted: bool
    session_deleted: bool
    image_paths: tuple[str, ...]


def _columns(table: str, *names: str) -> dict[str, str]:
    return {name: f"{table}.{name}" for name in names}


BOX_FIELDS = ("x1", "y1", "x2", "y2")
# Each record's columns as {field: SQL expression}: the SELECT list is generated from it
# (``expr AS field``) and rows are mapped back by these names, never by position.
PLATE_FIELDS = _columns(
    "p", "id", "session_id", "vehicle_id", "plate_index", "plate_text", "ocr_confidence", *BOX_FIELDS,
    "plate_type", "plate_status", "region_code", "region_name", "text_color", "background_color",
    "image_path", "detected_at", "vehicle_class", "vehicle_confidence",
)  # fmt: skip
VEHICLE_FIELDS = _columns(
    "v", "id", "session_id", "vehicle_index", "vehicle_class", "confidence", *BOX_FIELDS, "image_path", "detected_at"
)
SESSION_FIELDS = {
    **_columns("s", "id", "detected_at", "location"),
    "location_type": "COALESCE(l.type, '')",
    **_columns(
        "s", "notes", "camera_id", "source", "direction", "original_path", "annotated_path",
        "vehicle_annotated_path", "processing_time_s",
    ),
    "width_px": "s.image_width_px",
    "height_px": "s.image_height_px",
}  # fmt: skip
DETECTION_ROW_FIELDS = {  # p: plate, v: vehicle (LEFT JOIN), s: session, l: location
    "plate_id": "p.id",
    "detected_at": "p.detected_at",
    "plate_image_path": "p.image_path",
    **_columns(
        "p", "plate_text", "ocr_confidence", "region_code", "region_name", "plate_status", "plate_type", "vehicle_id"
    ),
    "vehicle_class": "CASE WHEN v.id IS NULL THEN p.vehicle_class ELSE v.vehicle_class END",
    "vehicle_confidence": "CASE WHEN v.id IS NULL THEN p.vehicle_confidence ELSE v.confidence END",
    "session_id": "s.id",
    **_columns("s", "original_path", "annotated_path", "processing_time_s"),
    "width_px": "s.image_width_px",
    "height_px": "s.image_height_px",
    "location": "s.location",
    "location_type": "COALESCE(l.type, '')",
}
if tuple(DETECTION_ROW_FIELDS) != DetectionRow._fields:  # DetectionRow._make takes the row as it comes
    raise RuntimeError("DETECTION_ROW_FIELDS must name DetectionRow's fields in order")


def select_list(fields: dict[str, str]) -> str:
    """``p.id AS id, COALESCE(l.type, '') AS location_type, ...`` for a SELECT."""
    return ", ".join(f"{expr} AS {name}" for name, expr in fields.items())


PLATE_COLUMNS = select_list(PLATE_FIELDS)
VEHICLE_COLUMNS = select_list(VEHICLE_FIELDS)
SESSION_COLUMNS = select_list(SESSION_FIELDS)
DETECTION_ROW_COLUMNS = select_list(DETECTION_ROW_FIELDS)


def named(fields: dict[str, str], row: Sequence[Any]) -> dict[str, Any]:
    """A SQL row selected with ``select_list(fields)`` as {field: value}."""
    if len(row) != len(fields):
        raise ValueError(f"row has {len(row)} columns, expected {len(fields)}")
    return dict(zip(fields, row))


def _with_box_and_time(values: dict[str, Any]) -> dict[str, Any]:
    values["box"] = Box(*(values.pop(k) for k in BOX_FIELDS))
    values["detected_at"] = parse_dt(values["detected_at"])
    return values


def plate_from_row(row: Sequence[Any]) -> PlateRecord:
    return PlateRecord(**_with_box_and_time(named(PLATE_FIELDS, row)))


def vehicle_from_row(row: Sequence[Any], plates: tuple[PlateRecord, ...] = ()) -> VehicleRecord:
    return VehicleRecord(**_with_box_and_time(named(VEHICLE_FIELDS, row)), plates=plates)


def session_from_row(row: Sequence[Any], **extra: Any) -> SessionRecord:
    values = named(SESSION_FIELDS, row)
    values["detected_at"] = parse_dt(values["detected_at"])
    return SessionRecord(**values, **extra)
