"""Pure functions: storage records -> response models of the API contract (the list
hot path, /detections, straight to JSON bytes)."""

from __future__ import annotations

from datetime import datetime

import orjson

from alprd.bus import image_url
from alprd.domain.packs import region_label
from alprd.storage.records import (
    DetectionRow,
    LocationRecord,
    PlateRecord,
    SessionRecord,
    VehicleRecord,
    gate_label,
    parse_dt,
)
from alprd.web import schemas as s


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


def url(path: str) -> str:
    """'outputs/x.jpg' -> '/outputs/x.jpg' (the URL form some responses use); '' stays ''."""
    return image_url(path)


def pairs(session: SessionRecord) -> list[tuple[VehicleRecord | None, PlateRecord | None]]:
    """Vehicle/plate pairs of a session: each plate with its vehicle, plateless vehicles, loose plates."""
    out: list[tuple[VehicleRecord | None, PlateRecord | None]] = []
    for v in session.vehicles:
        out += [(v, p) for p in v.plates] or [(v, None)]
    out += [(None, p) for p in session.plates if p.vehicle_id is None]
    return out


def plate_brief(p: PlateRecord) -> s.PlateBrief:
    return s.PlateBrief(
        id=p.id,
        plate_text=p.plate_text,
        plate_bounding_box=p.box.as_int_list(),
        ocr_confidence=p.ocr_confidence,
        plate_status=p.plate_status,
        plate_image_path=p.image_path,
    )


def vehicle_detail(v: VehicleRecord) -> s.VehicleDetail:
    return s.VehicleDetail(
        id=v.id,
        vehicle_class=v.vehicle_class,
        vehicle_confidence_score=v.confidence,
        vehicle_image_path=v.image_path,
        vehicle_bounding_box=v.box.as_int_list(),
        timestamp=stamp(v.detected_at),
        plates=[plate_brief(p) for p in v.plates],
        session_id=v.session_id,
    )


def plate_detail(p: PlateRecord) -> s.PlateDetail:
    return s.PlateDetail(
        id=p.id,
        plate_text=p.plate_text,
        plate_bounding_box=p.box.as_int_list(),
        plate_type=p.plate_type,
        plate_status=p.plate_status,
        plate_region=p.region_label,
        vehicle_class=p.vehicle_class,
        timestamp=stamp(p.detected_at),
        ocr_confidence=p.ocr_confidence,
        plate_image_path=p.image_path,
        region_code=p.region_code,
        vehicle_id=p.vehicle_id,
        session_id=p.session_id,
    )


def vehicle_and_plate(v: VehicleRecord | None, p: PlateRecord | None) -> s.VehicleAndPlate:
    return s.VehicleAndPlate(
        vehicle=None
        if v is None
        else s.DetectedVehicle(
            vehicle_class=v.vehicle_class,
            vehicle_confidence_score=v.confidence,
            vehicle_image_path=v.image_path,
            id=v.id,
            vehicle_bounding_box=v.box.as_int_list(),
        ),
        plate=None
        if p is None
        else s.DetectedPlate(
            plate_text=p.plate_text,
            ocr_confidence=p.ocr_confidence,
            plate_image_path=p.image_path,
            id=p.id,
            plate_bounding_box=p.box.as_int_list(),
            plate_type=p.plate_type,
            plate_status=p.plate_status,
            plate_region=p.region_label,
        ),
    )


def detect_response(session: SessionRecord, *, file_stamp: str) -> s.DetectImageResponse:
    return s.DetectImageResponse(
        timestamp=file_stamp,
        processing_time=round(session.processing_time_s, 3),
        stored_original_path=session.original_path,
        detected_vehicle_image_path=session.vehicle_annotated_path,
        detected_plate_image_path=session.annotated_path,
        image_resolution=session.resolution,
        session_id=session.id,
        location=session.location,
        list_vehicle_and_plate_information=[vehicle_and_plate(v, p) for v, p in pairs(session)],
    )


def latest_entities(session: SessionRecord, algorithm: str) -> s.LatestDetection:
    """The latest session's entities; ``algorithm`` names the plate detector that runs."""
    items = []
    for v, p in pairs(session):
        kind = "vehicle_with_plate" if v and p else ("vehicle" if v else "plate")
        vi = v.vehicle_index if v else 0
        pi = (v.plates.index(p) + 1 if v else p.plate_index) if p else 0
        items.append(
            s.LatestEntity(
                id=f"{session.id}_v{vi}_p{pi}",
                entity_type=kind,
                vehicle_index=vi,
                plate_index=pi,
                plateNumber=p.plate_text if p else "",
                confidence=p.ocr_confidence if p else 0.0,
                plateType=p.plate_type if p else "",
                plateStatus=p.plate_status if p else "",
                vehicleType=v.vehicle_class if v else (p.vehicle_class if p else ""),
                vehicleConfidence=v.confidence if v else 0.0,
                detectedTime=stamp(session.detected_at),
                gateLocation=session.gate_label,
                originalImage=url(session.original_path),
                plateImage=url(p.image_path) if p else "",
                processingTime=f"{session.processing_time_s:.3f}s",
                imageResolution=session.resolution,
                plateTextColor=p.text_color if p else "",
                plateBackgroundColor=p.background_color if p else "",
                plateRegion=p.region_label if p else "",
                algorithm=algorithm,
                sessionId=session.id,
                vehicleId=v.id if v else None,
                plateId=p.id if p else None,
                vehicleImage=url(v.image_path) if v else "",
                annotatedImage=url(session.annotated_path),
            )
        )
    return s.LatestDetection(items)


def detection_list_json(rows: list[DetectionRow], count: int) -> bytes:
    """The /detections body, encoded straight from rows (no per-row pydantic model).

    Byte for byte what ``s.DetectionList(...).model_dump_json()`` gives for the same
    values (tests/web check it): the list endpoint is the API's hot path, and the
    models cost more than the query. The models still describe it in /openapi.json.
    """
    return orjson.dumps({"detections": [detection_item(r) for r in rows], "count": count})


def detection_item(r: DetectionRow) -> dict:
    """One row of /detections as its JSON object (``s.DetectionItem``'s fields, in order)."""
    confidence = float(r.ocr_confidence)
    return {
        "id": r.plate_id,
        "detection_type": "plate",
        "timestamp": stored_stamp(r.detected_at),
        "original_path": url(r.original_path),
        "file_path": url(r.plate_image_path),
        "annotated_path": url(r.annotated_path),
        "processing_time": f"{r.processing_time_s * 1000:.2f}ms",
        "image_resolution": f"{r.width_px}x{r.height_px}",
        "detection_details": {
            "vehicle_type": r.vehicle_class,
            "vehicle_confidence": float(r.vehicle_confidence),
            "plate_text": r.plate_text,
            "ocr_confidence": confidence,
            "confidence": confidence,
            "region": region_label(r.region_code, r.region_name),
            "plate_status": r.plate_status,
            "plate_type": r.plate_type,
            "location": gate_label(r.location, r.location_type),
        },
        "session_id": r.session_id,
        "vehicle_id": r.vehicle_id,
    }


def stored_stamp(value: str) -> str:
    """A stored time as the API shows it; 'YYYY-MM-DD HH:MM:SS' (what alprd stores) as is."""
    when = parse_dt(value)  # raises on a malformed value, as every other route does
    if len(value) == 19 and value[4] == "-" and value[7] == "-" and value[10] == " ":
        return value
    return stamp(when)


def session_summary(x: SessionRecord) -> s.SessionSummary:
    return s.SessionSummary(**_session_fields(x))


def session_detail(x: SessionRecord) -> s.SessionDetail:
    return s.SessionDetail(
        **_session_fields(x),
        vehicles=[vehicle_detail(v) for v in x.vehicles],
        plates=[plate_detail(p) for p in x.plates],
    )


def _session_fields(x: SessionRecord) -> dict:
    return dict(
        id=x.id,
        timestamp=stamp(x.detected_at),
        location=x.location,
        notes=x.notes,
        camera_id=x.camera_id,
        source=x.source,
        direction=x.direction,
        original_path=x.original_path,
        annotated_path=x.annotated_path,
        processing_time=round(x.processing_time_s, 3),
        image_resolution=x.resolution,
        vehicle_count=x.vehicle_count,
        plate_count=x.plate_count,
    )


def location(x: LocationRecord) -> s.Location:
    return s.Location(id=x.id, name=x.name, type=x.type, timestamp=stamp(x.created_at))
