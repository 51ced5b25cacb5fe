"""Request and response models of the REST API (the shapes of galaxy-alpr-api.txt).

Field names are the contract's, snake_case or camelCase exactly as its examples;
fields beyond the examples are additions, never renames. These same models validate
requests and generate ``/openapi.json``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from alprd.domain.lists import ListName, ListStatus

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
    code: Annotated[str, Field(min_length=1, max_length=8)]


class PlateTextPath(_Request):
    plate_text: Annotated[str, Field(min_length=1, max_length=64)]


class LinePath(_Request):
    line_id: Annotated[str, Field(min_length=1, max_length=64)]


class FilePath(_Request):
    path: Annotated[str, Field(min_length=1, max_length=255)]


class DetectionsQuery(_Request):
    limit: Limit = 100
    offset: Offset = 0
    vehicleType: Annotated[str | None, Field(max_length=32)] = None
    plateType: Annotated[str | None, Field(max_length=32)] = None
    search: Annotated[str | None, Field(max_length=32)] = None


class PageQuery(_Request):
    limit: Limit = 100
    offset: Offset = 0


class DaysQuery(_Request):
    days: Annotated[int, Field(ge=1, le=366, description="Window in days, ending today.")] = 7


# ---- detection ---------------------------------------------------------------------


class Body_detect_image_detect_image_post(BaseModel):
    file: bytes = Field(..., json_schema_extra={"format": "binary"}, description="JPEG, PNG, BMP or WebP image.")
    location: Annotated[str | None, Field(max_length=255)] = None


class DetectedVehicle(BaseModel):
    vehicle_class: str
    vehicle_confidence_score: float
    vehicle_image_path: str
    id: int
    vehicle_bounding_box: BBox


class DetectedPlate(BaseModel):
    plate_text: str
    ocr_confidence: float
    plate_image_path: str
    id: int
    plate_bounding_box: BBox
    plate_type: str
    plate_status: str
    plate_region: str


class VehicleAndPlate(BaseModel):
    vehicle: DetectedVehicle | None
    plate: DetectedPlate | None


class DetectImageResponse(BaseModel):
    timestamp: str
    processing_time: float
    stored_original_path: str
    detected_vehicle_image_path: str
    detected_plate_image_path: str
    image_resolution: str
    session_id: int
    location: str
    list_vehicle_and_plate_information: list[VehicleAndPlate]


class LatestEntity(BaseModel):
    id: str
    entity_type: Literal["vehicle_with_plate", "vehicle", "plate"]
    vehicle_index: int
    plate_index: int
    plateNumber: str
    confidence: float
    plateType: str
    plateStatus: str
    vehicleType: str
    vehicleConfidence: float
    detectedTime: Timestamp
    gateLocation: str
    originalImage: str
    plateImage: str
    processingTime: str
    imageResolution: str
    plateTextColor: str
    plateBackgroundColor: str
    plateRegion: str
    algorithm: str
    sessionId: int
    vehicleId: int | None
    plateId: int | None
    vehicleImage: str
    annotatedImage: str


class LatestDetection(RootModel[list[LatestEntity]]):
    pass


class DetectionDetails(BaseModel):
    vehicle_type: str
    vehicle_confidence: float
    plate_text: str
    ocr_confidence: float
    confidence: float
    region: str
    plate_status: str
    plate_type: str
    location: str


class DetectionItem(BaseModel):
    id: int
    detection_type: Literal["plate"]
    timestamp: Timestamp
    original_path: str
    file_path: str
    annotated_path: str
    processing_time: str
    image_resolution: str
    detection_details: DetectionDetails
    session_id: int
    vehicle_id: int | None


class DetectionList(BaseModel):
    detections: list[DetectionItem]
    count: int


class LineState(BaseModel):
    line_id: str
    name: str
    location: str
    source: str
    connected: bool
    fps_in: float
    fps_analysed: float
    frames_dropped: int
    last_error: str
    last_frame_at: str | None
    latest_plate: str | None
    latest_plate_at: str | None
    latest_plate_status: str | None


class LineList(RootModel[list[LineState]]):
    pass


class LineTestResult(BaseModel):
    line: LineState
    timestamp: str
    processing_time: float
    image_resolution: str
    list_vehicle_and_plate_information: list[VehicleAndPlate]


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
    vehicle_class: Annotated[str | None, Field(min_length=1, max_length=32)] = None
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
    plate_type: Annotated[str | None, Field(min_length=1, max_length=32)] = None


class PlateUpdated(BaseModel):
    message: str
    plate: PlateDetail


class PlateDeleted(BaseModel):
    message: str
    plate_deleted: bool
    vehicle_deleted: bool
    session_deleted: bool


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


# ---- locations ---------------------------------------------------------------------

LocationName = Annotated[str, Field(min_length=1, max_length=100)]  # blank is empty after stripping
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
