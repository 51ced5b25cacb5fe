"""Detection: uploads, the latest detection, the /detections list, camera lines."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, RootModel

from alprd.web.schemas.base import BBox, Timestamp

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
    frames_detected: int = Field(0, description="Frames the detectors ran on (the motion gate skips the rest).")
    frames_skipped_no_motion: int = Field(0, description="Frames not run through the detectors: nothing moved.")
    events_unsure_dropped: int = Field(
        0, description="Vehicle passes whose final read lacked support (reads, agreement, confidence): not stored."
    )
    events_duplicates_merged: int = Field(
        0, description="Passes merged into an earlier event of the same plate (dedupe window or a stationary stay)."
    )


class LineList(RootModel[list[LineState]]):
    pass


class LineTestResult(BaseModel):
    line: LineState
    timestamp: str
    processing_time: float
    image_resolution: str
    list_vehicle_and_plate_information: list[VehicleAndPlate]
