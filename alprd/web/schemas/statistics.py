"""Statistics and the status report."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

# ---- statistics --------------------------------------------------------------------


class DayCount(BaseModel):
    date: str
    count: int


class HourCount(BaseModel):
    hour: str
    count: int


class WeekdayCount(BaseModel):
    day: str
    count: int


class Dashboard(BaseModel):
    totalDetections: int
    vehicleDistribution: dict[str, int]
    detectionTrend: list[DayCount]
    hourlyActivity: list[HourCount]
    plateStatus: dict[str, int]
    todayDetections: int


class VehicleDistribution(BaseModel):
    vehicleDistribution: dict[str, int]
    total: int


class DetectionTrend(BaseModel):
    detectionTrend: list[DayCount]


class HourlyActivity(BaseModel):
    hourlyActivity: list[HourCount]


class WeeklyActivity(BaseModel):
    weeklyActivity: list[WeekdayCount]


class PlateTypes(BaseModel):
    plateTypes: dict[str, int]
    total: int


class RouteInfo(BaseModel):
    path: str
    methods: list[str]


class RouterInfo(BaseModel):
    prefix: str
    tags: list[str]
    routes: list[RouteInfo]


class DatabaseInfo(BaseModel):
    accessible: bool
    path: str
    available_methods: list[str]
    missing_methods: list[str]


class StatusReport(BaseModel):
    status: Literal["online", "degraded"]
    timestamp: str
    database: DatabaseInfo
    router: RouterInfo
