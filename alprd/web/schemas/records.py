"""Vehicles, plates and sessions: the stored records and their edits."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from alprd.domain.lists import ListStatus
from alprd.web.schemas.base import NOT_BLANK, BBox, PlateText, Timestamp, _Body

# ---- vehicles and plates -----------------------------------------------------------


class PlateBrief(BaseModel):
    id: int
    plate_text: str
    plate_bounding_box: BBox
    ocr_confidence: float
    plate_status: str
    plate_image_path: str


class VehicleDetail(BaseModel):
    id: int
    vehicle_class: str
    vehicle_confidence_score: float
    vehicle_image_path: str
    vehicle_bounding_box: BBox
    timestamp: Timestamp
    plates: list[PlateBrief]
    session_id: int


class VehicleUpdate(_Body):
    vehicle_class: Annotated[str | None, Field(min_length=1, max_length=32, pattern=NOT_BLANK)] = None
    vehicle_confidence_score: Annotated[float | None, Field(ge=0, le=1)] = None


class VehicleUpdated(BaseModel):
    message: str
    vehicle: VehicleDetail


class VehicleDeleted(BaseModel):
    message: str
    vehicle_deleted: bool
    plates_deleted: int
    session_deleted: bool


class PlateDetail(BaseModel):
    id: int
    plate_text: str
    plate_bounding_box: BBox
    plate_type: str
    plate_status: str
    plate_region: str
    vehicle_class: str
    timestamp: Timestamp
    ocr_confidence: float
    plate_image_path: str
    region_code: str
    vehicle_id: int | None
    session_id: int


class PlateUpdate(_Body):
    plate_text: PlateText | None = None
    plate_status: ListStatus | None = None
    plate_type: Annotated[str | None, Field(min_length=1, max_length=32, pattern=NOT_BLANK)] = None


class PlateUpdated(BaseModel):
    message: str
    plate: PlateDetail


class PlateDeleted(BaseModel):
    message: str
    plate_deleted: bool
    vehicle_deleted: bool
    session_deleted: bool


# ---- sessions ----------------------------------------------------------------------


class SessionSummary(BaseModel):
    id: int
    timestamp: Timestamp
    location: str
    notes: str
    camera_id: str
    source: str
    direction: str
    original_path: str
    annotated_path: str
    processing_time: float
    image_resolution: str
    vehicle_count: int
    plate_count: int


class SessionDetail(SessionSummary):
    vehicles: list[VehicleDetail]
    plates: list[PlateDetail]


class SessionList(BaseModel):
    sessions: list[SessionSummary]
    count: int


class SessionUpdate(_Body):
    location: Annotated[str | None, Field(max_length=255)] = None
    notes: Annotated[str | None, Field(max_length=4000)] = None


class SessionUpdated(BaseModel):
    message: str
    session: SessionDetail


# ---- root --------------------------------------------------------------------------


class Root(BaseModel):
    message: str
    status: Literal["online", "degraded"]
    version: str
    docs: str
    database: dict[str, bool]
