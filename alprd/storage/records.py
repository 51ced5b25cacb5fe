"""Frozen records the repository returns, and the SQL row -> record mapping.

The web layer turns these into the JSON shapes of the API; no Peewee model instance
leaves the storage stage.
"""

from __future__ import annotations

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


PLATE_COLUMNS = (
    "p.id, p.session_id, p.vehicle_id, p.plate_index, p.plate_text, p.ocr_confidence, "
    "p.x1, p.y1, p.x2, p.y2, p.plate_type, p.plate_status, p.region_code, p.region_name, "
    "p.text_color, p.background_color, p.image_path, p.detected_at, p.vehicle_class, "
    "p.vehicle_confidence"
)
VEHICLE_COLUMNS = (
    "v.id, v.session_id, v.vehicle_index, v.vehicle_class, v.confidence, "
    "v.x1, v.y1, v.x2, v.y2, v.image_path, v.detected_at"
)
SESSION_COLUMNS = (
    "s.id, s.detected_at, s.location, COALESCE(l.type, ''), s.notes, s.camera_id, s.source, "
    "s.direction, s.original_path, s.annotated_path, s.vehicle_annotated_path, "
    "s.processing_time_s, s.image_width_px, s.image_height_px"
)
DETECTION_ROW_COLUMNS = (  # in DetectionRow's order; p: plate, v: vehicle (LEFT JOIN), s: session, l: location
    "p.id, p.detected_at, p.image_path, p.plate_text, p.ocr_confidence, p.region_code, p.region_name, "
    "p.plate_status, p.plate_type, p.vehicle_id, "
    "CASE WHEN v.id IS NULL THEN p.vehicle_class ELSE v.vehicle_class END, "
    "CASE WHEN v.id IS NULL THEN p.vehicle_confidence ELSE v.confidence END, "
    "s.id, s.original_path, s.annotated_path, s.processing_time_s, s.image_width_px, s.image_height_px, "
    "s.location, COALESCE(l.type, '')"
)


def plate_from_row(r: tuple) -> PlateRecord:
    return PlateRecord(
        id=r[0],
        session_id=r[1],
        vehicle_id=r[2],
        plate_index=r[3],
        plate_text=r[4],
        ocr_confidence=r[5],
        box=Box(r[6], r[7], r[8], r[9]),
        plate_type=r[10],
        plate_status=r[11],
        region_code=r[12],
        region_name=r[13],
        text_color=r[14],
        background_color=r[15],
        image_path=r[16],
        detected_at=parse_dt(r[17]),
        vehicle_class=r[18],
        vehicle_confidence=r[19],
    )


def vehicle_from_row(r: tuple, plates: tuple[PlateRecord, ...] = ()) -> VehicleRecord:
    return VehicleRecord(
        id=r[0],
        session_id=r[1],
        vehicle_index=r[2],
        vehicle_class=r[3],
        confidence=r[4],
        box=Box(r[5], r[6], r[7], r[8]),
        image_path=r[9],
        detected_at=parse_dt(r[10]),
        plates=plates,
    )


def session_from_row(r: tuple, **extra: Any) -> SessionRecord:
    return SessionRecord(
        id=r[0],
        detected_at=parse_dt(r[1]),
        location=r[2],
        location_type=r[3],
        notes=r[4],
        camera_id=r[5],
        source=r[6],
        direction=r[7],
        original_path=r[8],
        annotated_path=r[9],
        vehicle_annotated_path=r[10],
        processing_time_s=r[11],
        width_px=r[12],
        height_px=r[13],
        **extra,
    )
