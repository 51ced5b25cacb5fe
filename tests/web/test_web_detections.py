"""/api/detection/latest, /detections and their aliases, over a real SQLite file."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from web_factories import make_result

from alprd.storage.records import DetectionRow
from alprd.web import schemas as s
from alprd.web import serialize

# Field -> type of the galaxy-alpr-api.txt examples.
LATEST_FIELDS = {
    "id": str,
    "entity_type": str,
    "vehicle_index": int,
    "plate_index": int,
    "plateNumber": str,
    "confidence": float,
    "plateType": str,
    "plateStatus": str,
    "vehicleType": str,
    "vehicleConfidence": float,
    "detectedTime": str,
    "gateLocation": str,
    "originalImage": str,
    "plateImage": str,
    "processingTime": str,
    "imageResolution": str,
    "plateTextColor": str,
    "plateBackgroundColor": str,
    "plateRegion": str,
    "algorithm": str,
}
DETECTION_FIELDS = {
    "id": int,
    "detection_type": str,
    "timestamp": str,
    "original_path": str,
    "file_path": str,
    "annotated_path": str,
    "processing_time": str,
    "image_resolution": str,
    "detection_details": dict,
}
DETAIL_FIELDS = {
    "vehicle_type": str,
    "vehicle_confidence": float,
    "plate_text": str,
    "ocr_confidence": float,
    "confidence": float,
    "region": str,
    "plate_status": str,
}


def assert_shape(obj: dict, fields: dict) -> None:
    for name, kind in fields.items():
        assert name in obj, f"missing field {name}"
        assert isinstance(obj[name], kind), f"{name}: {obj[name]!r} is not {kind.__name__}"


async def test_latest_is_empty_list_without_sessions(client):
    for path in ("/api/detection/latest", "/latest_detection"):
        resp = await client.get(path)
        assert resp.status == 200
        assert await resp.json() == []


async def test_latest_has_one_entity_per_vehicle_plate_pair(client, seed, repository):
    await client.post("/api/locations/", json={"name": "Gate 1", "type": "Entry"})
    seed(make_result(("B1234ABC", "car")), when=datetime.now() - timedelta(minutes=5))
    sid = seed(make_result(("D55XY", "car"), ("B99Q", "motorcycle"), plateless=1), processing_time_s=1.234)
    resp = await client.get("/api/detection/latest")
    assert resp.status == 200
    items = await resp.json()
    assert [i["id"] for i in items] == [f"{sid}_v1_p1", f"{sid}_v2_p1", f"{sid}_v3_p0"]
    first = items[0]
    assert_shape(first, LATEST_FIELDS)
    assert first["entity_type"] == "vehicle_with_plate"
    assert first["plateNumber"] == "D55XY"
    assert first["plateRegion"] == "D (Bandung)"
    assert first["gateLocation"] == "Gate 1 (Entry)"
    assert first["processingTime"] == "1.234s"
    assert first["imageResolution"] == "400x200"
    assert first["plateBackgroundColor"] == "Black"
    assert first["originalImage"].startswith("/outputs/uploaded/")
    assert first["plateImage"].startswith("/outputs/plates/crops/")
    assert items[2]["entity_type"] == "vehicle" and items[2]["vehicleType"] == "truck"
    # the image URLs the entity points at are served
    for key in ("originalImage", "plateImage"):
        file_resp = await client.get(first[key])
        assert file_resp.status == 200
        assert (await file_resp.read())[:2] == b"\xff\xd8"
    assert await (await client.get("/latest_detection")).json() == items


async def test_detections_shape_count_and_alias(client, seed):
    seed(make_result(("B1234ABC", "car"), loose_plate="AB77C"))
    resp = await client.get("/detections")
    assert resp.status == 200
    body = await resp.json()
    assert body["count"] == 2 and len(body["detections"]) == 2
    newest = body["detections"][0]
    assert_shape(newest, DETECTION_FIELDS)
    assert_shape(newest["detection_details"], DETAIL_FIELDS)
    assert newest["detection_type"] == "plate"
    assert newest["detection_details"]["plate_text"] == "AB77C"
    assert newest["detection_details"]["region"] == "AB (Yogyakarta)"
    assert newest["detection_details"]["vehicle_type"] == "unknown"
    older = body["detections"][1]
    assert older["detection_details"]["vehicle_type"] == "car"
    assert older["processing_time"] == "250.00ms"
    assert older["original_path"].startswith("/outputs/uploaded/")
    assert await (await client.get("/api/detections")).json() == body


@pytest.fixture
def many(seed):
    """12 sessions: plates B1000A.. with alternating car/truck; every third a Yellow 'Public' plate."""
    for i in range(12):
        result = make_result((f"B{1000 + i}A", "car" if i % 2 == 0 else "truck"))
        if i % 3 == 0:
            result = make_result((f"B{1000 + i}A", "car" if i % 2 == 0 else "truck"), loose_plate=f"F{i}Z")
        seed(result)


@pytest.mark.parametrize(
    "query, count, first_text",
    [
        ("limit=5&offset=0", 16, "B1011A"),
        ("limit=5&offset=15", 16, "B1000A"),
        ("vehicleType=truck", 6, "B1011A"),
        ("vehicleType=car&limit=2", 6, "B1010A"),
        ("plateType=Public", 4, "F9Z"),
        ("plateType=Public&vehicleType=car", 0, None),
        ("search=B100", 10, "B1009A"),
        ("search=b 1011", 1, "B1011A"),
        ("search=F9", 1, "F9Z"),
        ("search=1005&vehicleType=car", 0, None),
        ("search=1005&vehicleType=truck", 1, "B1005A"),
        ("search=ZZZZ", 0, None),
    ],
)
async def test_detections_pagination_and_filters(client, many, query, count, first_text):
    resp = await client.get(f"/detections?{query}")
    assert resp.status == 200
    body = await resp.json()
    assert body["count"] == count
    texts = [d["detection_details"]["plate_text"] for d in body["detections"]]
    assert (texts[0] if texts else None) == first_text
    limit = int(dict(p.split("=") for p in query.split("&")).get("limit", 100))
    assert len(texts) == min(limit, max(0, count - int(dict(p.split("=") for p in query.split("&")).get("offset", 0))))


async def test_detections_pages_do_not_overlap(client, many):
    pages = [await (await client.get(f"/detections?limit=5&offset={o}")).json() for o in (0, 5, 10, 15)]
    ids = [d["id"] for page in pages for d in page["detections"]]
    assert len(ids) == 16 == len(set(ids))
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize(
    "query, loc, kind",
    [
        ("limit=0", ["query", "limit"], "greater_than_equal"),
        ("limit=abc", ["query", "limit"], "int_parsing"),
        ("offset=-1", ["query", "offset"], "greater_than_equal"),
        ("limit=5000", ["query", "limit"], "less_than_equal"),
    ],
)
async def test_detections_bad_query_is_fastapi_422(client, query, loc, kind):
    resp = await client.get(f"/detections?{query}")
    assert resp.status == 422
    assert resp.content_type == "application/json"
    detail = (await resp.json())["detail"]
    assert detail[0]["loc"] == loc
    assert detail[0]["type"] == kind
    assert isinstance(detail[0]["msg"], str) and detail[0]["msg"]


def expected_item(repository, plate_id: int) -> s.DetectionItem:
    """A /detections row the slow way: records from the repository through the response models."""
    p = repository.get_plate(plate_id)
    ses = repository.get_session(p.session_id)
    v = next((x for x in ses.vehicles if x.id == p.vehicle_id), None)
    return s.DetectionItem(
        id=p.id,
        detection_type="plate",
        timestamp=serialize.stamp(p.detected_at),
        original_path=serialize.url(ses.original_path),
        file_path=serialize.url(p.image_path),
        annotated_path=serialize.url(ses.annotated_path),
        processing_time=f"{ses.processing_time_s * 1000:.2f}ms",
        image_resolution=ses.resolution,
        detection_details=s.DetectionDetails(
            vehicle_type=v.vehicle_class if v else p.vehicle_class,
            vehicle_confidence=v.confidence if v else p.vehicle_confidence,
            plate_text=p.plate_text,
            ocr_confidence=p.ocr_confidence,
            confidence=p.ocr_confidence,
            region=p.region_label,
            plate_status=p.plate_status,
            plate_type=p.plate_type,
            location=ses.gate_label,
        ),
        session_id=ses.id,
        vehicle_id=p.vehicle_id,
    )


async def test_detections_body_is_byte_for_byte_the_response_models(client, seed, repository):
    """The list is encoded from rows without models; it must be exactly what the models give."""
    await client.post("/api/locations/", json={"name": 'Gerbang "Utara" é', "type": "Entry\tA"})
    seed(make_result(("B1234ABC", "car"), loose_plate="AB77C", plateless=1), location='Gerbang "Utara" é')
    seed(make_result(("D55XY", "truck")), location="", processing_time_s=1e-7)
    seed(make_result(("ZZ1", "bus")), location="Gate 9\u2028", processing_time_s=12345.678915)
    ids = [r[0] for r in repository.db.execute_sql("SELECT id FROM plate ORDER BY id DESC")]
    odd = {ids[0]: 1.0, ids[1]: 0.1 + 0.2, ids[2]: 1e-7, ids[3]: 0.0}  # floats whose text could differ
    for plate_id, conf in odd.items():
        repository.db.execute_sql("UPDATE plate SET ocr_confidence = ? WHERE id = ?", (conf, plate_id))
    repository.db.execute_sql("UPDATE vehicle SET confidence = 1 WHERE id = (SELECT MIN(id) FROM vehicle)")
    for query in ("", "?limit=2&offset=1", "?search=b12", "?vehicleType=truck", "?limit=3&offset=99"):
        resp = await client.get(f"/detections{query}")
        body = await resp.read()
        page = s.DetectionList.model_validate_json(body)  # valid against the documented models ...
        assert body == page.model_dump_json().encode()  # ... and exactly their encoding
        assert (
            body
            == s.DetectionList(  # ... of the values the records give
                detections=[expected_item(repository, d.id) for d in page.detections],
                count=page.count,
            )
            .model_dump_json()
            .encode()
        )
        assert resp.content_type == "application/json"
    assert s.DetectionList.model_validate_json(await (await client.get("/detections")).read()).count == 4


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1, 0.87, 0.1 + 0.2, 1e-7, 123456789.0, 1 / 3])
@pytest.mark.parametrize("detected_at", ["2026-01-30 00:50:33", "2026-01-30T00:50:33", "2026-01-30 00:50:33.250"])
def test_detection_list_json_equals_the_models(confidence, detected_at):
    row = DetectionRow(
        plate_id=7,
        detected_at=detected_at,
        plate_image_path="outputs/p.jpg",
        plate_text="B1\u00e9",
        ocr_confidence=confidence,
        region_code="B",
        region_name="",
        plate_status="unknown",
        plate_type="Regular",
        vehicle_id=None,
        vehicle_class="unknown",
        vehicle_confidence=confidence,
        session_id=3,
        original_path="",
        annotated_path="/a.jpg",
        processing_time_s=confidence,
        width_px=0,
        height_px=0,
        location='Gate "1"\n',
        location_type="",
    )
    body = serialize.detection_list_json([row, row._replace(vehicle_id=2, location_type="Exit")], 2**40)
    page = s.DetectionList.model_validate_json(body)
    assert body == page.model_dump_json().encode()
    item = page.detections[0]
    assert item.timestamp == "2026-01-30 00:50:33"
    assert (item.original_path, item.file_path, item.annotated_path) == ("", "/outputs/p.jpg", "/a.jpg")
    assert item.detection_details.region == "B"
    assert item.detection_details.location == 'Gate "1"\n'
    assert page.detections[1].detection_details.location == 'Gate "1"\n (Exit)'
    assert page.detections[1].vehicle_id == 2 and page.count == 2**40


def test_detection_list_json_rejects_a_malformed_stored_time():
    row = DetectionRow(
        7,
        "2026-13-30 00:50:33",
        "",
        "B1",
        0.9,
        "",
        "",
        "unknown",
        "Regular",
        None,
        "car",
        0.9,
        3,
        "",
        "",
        0.1,
        1,
        1,
        "",
        "",
    )
    with pytest.raises(ValueError):
        serialize.detection_list_json([row], 1)
