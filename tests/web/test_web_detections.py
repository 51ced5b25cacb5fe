"""/api/detection/latest, /detections and their aliases, over a real SQLite file."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from web_factories import make_result

# Field -> type of the galaxy-alpr-api.txt examples.
LATEST_FIELDS = {
    "id": str, "entity_type": str, "vehicle_index": int, "plate_index": int, "plateNumber": str,
    "confidence": float, "plateType": str, "plateStatus": str, "vehicleType": str,
    "vehicleConfidence": float, "detectedTime": str, "gateLocation": str, "originalImage": str,
    "plateImage": str, "processingTime": str, "imageResolution": str, "plateTextColor": str,
    "plateBackgroundColor": str, "plateRegion": str, "algorithm": str,
}
DETECTION_FIELDS = {
    "id": int, "detection_type": str, "timestamp": str, "original_path": str, "file_path": str,
    "annotated_path": str, "processing_time": str, "image_resolution": str, "detection_details": dict,
}
DETAIL_FIELDS = {
    "vehicle_type": str, "vehicle_confidence": float, "plate_text": str, "ocr_confidence": float,
    "confidence": float, "region": str, "plate_status": str,
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
