"""Regions of the country pack and the access lists (plate status)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from alprd.domain.lists import ListName
from alprd.web.schemas.base import PlateText, _Body

# ---- regions -----------------------------------------------------------------------


class Region(BaseModel):
    code: str
    name: str


class RegionList(BaseModel):
    regions: list[Region]


class RegionCount(BaseModel):
    code: str
    name: str
    region: str
    count: int


class RegionSummary(BaseModel):
    regions: list[RegionCount]
    total: int


# ---- plate status ------------------------------------------------------------------


class Body_add_plate_status_api_plate_status_post(_Body):
    plate_text: PlateText
    status_type: ListName


class PlateStatusEntry(BaseModel):
    plate_text: str
    status: str


class PlateStatusList(BaseModel):
    status: Literal["success"]
    plate_statuses: list[PlateStatusEntry]


class StatusMessage(BaseModel):
    status: Literal["success"]
    message: str


class SyncDetails(BaseModel):
    whitelist: int
    blacklist: int
    unclassified: int


class SyncResult(BaseModel):
    status: Literal["success"]
    message: str
    details: SyncDetails
