"""A stored detection session as the live event every sink receives (one fact: how a
stored result is announced, for camera events and uploaded images alike)."""

from __future__ import annotations

from alprd.bus import LiveEvent, image_url
from alprd.domain.lists import UNKNOWN
from alprd.storage.records import PlateRecord, SessionRecord, VehicleRecord


def detection_event(session: SessionRecord) -> LiveEvent:
    """The session's best plate (highest OCR confidence) with its vehicle and the images."""
    plates = {p.id: p for v in session.vehicles for p in v.plates} | {p.id: p for p in session.plates}
    best: PlateRecord | None = max(plates.values(), key=lambda p: p.ocr_confidence, default=None)
    vehicle: VehicleRecord | None = next(
        (v for v in session.vehicles if best is not None and v.id == best.vehicle_id),
        session.vehicles[0] if best is None and session.vehicles else None,  # no plate: the vehicle
    )
    return LiveEvent(
        event="detection",
        plate_text=best.plate_text if best else "",
        confidence=best.ocr_confidence if best else 0.0,
        list_status=best.plate_status if best else UNKNOWN,
        camera_id=session.camera_id,
        location=session.location,
        direction=session.direction,
        time_s=session.detected_at.timestamp(),
        vehicle_type=vehicle.vehicle_class if vehicle else (best.vehicle_class if best else ""),
        session_id=session.id,
        original_image_url=image_url(session.original_path),
        annotated_image_url=image_url(session.annotated_path),
        plate_image_url=image_url(best.image_path) if best else "",
        vehicle_image_url=image_url(vehicle.image_path) if vehicle else "",
    )
