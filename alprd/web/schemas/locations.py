"""Locations (the named gates)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, RootModel

from alprd.web.schemas.base import NOT_BLANK, Timestamp, _Body

# ---- locations ---------------------------------------------------------------------

LocationName = Annotated[str, Field(min_length=1, max_length=100, pattern=NOT_BLANK)]  # blank is empty after stripping
LocationType = Annotated[str, Field(max_length=50)]


class LocationBase(_Body):
    name: LocationName
    type: LocationType = ""


class LocationCreate(LocationBase):
    pass


class Location(BaseModel):
    id: int
    name: str
    type: str
    timestamp: Timestamp


class LocationList(RootModel[list[Location]]):
    pass


class LocationDeleted(BaseModel):
    message: str


class LocationTypes(BaseModel):
    types: list[str]


class LocationCount(BaseModel):
    count: int
