"""Vehicles, plates and sessions: shapes, updates (all verbs), delete cascades, 404/422."""

from __future__ import annotations

import pytest
from web_factories import make_result


async def _ids(client, session_id: int) -> tuple[list[int], list[int]]:
    body = await (await client.get(f"/api/sessions/{session_id}")).json()
    return [v["id"] for v in body["vehicles"]], [p["id"] for p in body["plates"]]


async def test_vehicle_detail_shape(client, seed):
    sid = seed(make_result(("B1234ABC", "car")))
    (vid,), (pid,) = await _ids(client, sid)
    resp = await client.get(f"/api/vehicles/{vid}")
    assert resp.status == 200
    body = await resp.json()
    assert body["id"] == vid and body["vehicle_class"] == "car"
    assert body["vehicle_confidence_score"] == pytest.approx(0.95)
    assert body["vehicle_image_path"].startswith("outputs/vehicles/crops/")
    assert body["vehicle_bounding_box"] == [10, 10, 90, 90]
    assert len(body["timestamp"]) == 19
    assert body["plates"] == [
        {
            "id": pid,
            "plate_text": "B1234ABC",
            "plate_bounding_box": [20, 60, 60, 75],
            "ocr_confidence": 0.9,
            "plate_status": "unknown",
            "plate_image_path": body["plates"][0]["plate_image_path"],
        }
    ]


@pytest.mark.parametrize("method", ["PUT", "POST"])
async def test_vehicle_update_both_verbs(client, seed, method):
    sid = seed(make_result(("B1234ABC", "car")))
    (vid,), (pid,) = await _ids(client, sid)
    resp = await client.request(
        method, f"/api/vehicles/{vid}", json={"vehicle_class": "truck", "vehicle_confidence_score": 0.5}
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["message"] == f"Successfully updated vehicle {vid}"
    assert body["vehicle"]["vehicle_class"] == "truck"
    assert body["vehicle"]["vehicle_confidence_score"] == 0.5
    # the plate's denormalised vehicle class follows (filters and statistics use it)
    listed = await (await client.get("/detections?vehicleType=truck")).json()
    assert [d["id"] for d in listed["detections"]] == [pid]
    dist = await (await client.get("/api/statistics/vehicle-distribution")).json()
    assert dist["vehicleDistribution"] == {"truck": 1}


async def test_delete_vehicle_cascades_to_plates_and_empty_session(client, seed, config):
    sid = seed(make_result(("B1234ABC", "car"), ("D1D", "car")))
    (v1, v2), (p1, p2) = await _ids(client, sid)
    outputs = config.resolve(config.storage.outputs_dir)
    crop = (await (await client.get(f"/api/vehicles/{v1}")).json())["vehicle_image_path"]
    assert (outputs.parent / crop).is_file()

    resp = await client.delete(f"/api/vehicles/{v1}")
    assert resp.status == 200
    assert await resp.json() == {
        "message": f"Successfully deleted vehicle {v1} with 1 plate records",
        "vehicle_deleted": True,
        "plates_deleted": 1,
        "session_deleted": False,
    }
    assert not (outputs.parent / crop).exists()
    assert (await client.get(f"/api/plates/{p1}")).status == 404
    assert (await client.get(f"/api/plates/{p2}")).status == 200

    last = await (await client.delete(f"/api/vehicles/{v2}")).json()
    assert last["session_deleted"] is True and last["plates_deleted"] == 1
    assert (await client.get(f"/api/sessions/{sid}")).status == 404
    assert not any(p.is_file() for p in outputs.rglob("*"))  # every image of the session is gone
    assert (await client.delete(f"/api/vehicles/{v2}")).status == 404


async def test_plate_detail_shape(client, seed):
    sid = seed(make_result(("B1234ABC", "car")))
    _, (pid,) = await _ids(client, sid)
    body = await (await client.get(f"/api/plates/{pid}")).json()
    expected = {
        "id": pid,
        "plate_text": "B1234ABC",
        "plate_bounding_box": [20, 60, 60, 75],
        "plate_type": "Regular",
        "plate_status": "unknown",
        "plate_region": "B (Jakarta)",
        "vehicle_class": "car",
    }
    assert {k: body[k] for k in expected} == expected
    assert isinstance(body["timestamp"], str)


@pytest.mark.parametrize("method", ["PATCH", "POST"])
async def test_plate_update_both_verbs(client, seed, method):
    sid = seed(make_result(("B1234ABC", "car")))
    _, (pid,) = await _ids(client, sid)
    resp = await client.request(
        method, f"/api/plates/{pid}", json={"plate_text": "d 456 xyz", "plate_status": "blacklist"}
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["message"] == f"Successfully updated plate {pid}"
    assert body["plate"]["plate_text"] == "D456XYZ"
    assert body["plate"]["plate_status"] == "blacklist"
    assert body["plate"]["plate_region"] == "D (Bandung)"  # region follows the new text
    found = await (await client.get("/detections?search=456")).json()
    assert found["count"] == 1  # the search index follows too


async def test_delete_plate_cascade_rules(client, seed):
    sid = seed(make_result(("B1A", "car"), loose_plate="F2B"))
    (vid,), (p_car, p_loose) = await _ids(client, sid)
    resp = await client.delete(f"/api/plates/{p_loose}")
    assert await resp.json() == {
        "message": f"Successfully deleted plate {p_loose}",
        "plate_deleted": True,
        "vehicle_deleted": False,
        "session_deleted": False,
    }
    resp = await client.delete(f"/api/plates/{p_car}")
    assert await resp.json() == {
        "message": f"Successfully deleted plate {p_car} and its associated vehicle",
        "plate_deleted": True,
        "vehicle_deleted": True,
        "session_deleted": True,
    }
    assert (await client.get(f"/api/vehicles/{vid}")).status == 404


async def test_plate_with_sibling_keeps_vehicle(client, seed, repository, image_store):
    from datetime import datetime

    from web_factories import make_read

    from alprd.domain.messages import Box, Detection, ImageResult

    car = Detection(Box(0, 0, 100, 100), 0.9, "car")
    result = ImageResult(
        200, 200, (car,), (make_read("B1A", Box(1, 1, 9, 9), car), make_read("B2B", Box(2, 2, 9, 9), car))
    )
    sid = repository.save_image_result(
        result,
        image_store.save(when=datetime.now(), original=None, annotated=None),
        location="",
        detected_at=datetime.now(),
        processing_time_s=0.1,
    )
    (vid,), (p1, p2) = await _ids(client, sid)
    body = await (await client.delete(f"/api/plates/{p1}")).json()
    assert body["vehicle_deleted"] is False and body["session_deleted"] is False
    assert (await (await client.get(f"/api/vehicles/{vid}")).json())["plates"][0]["id"] == p2


async def test_sessions_list_detail_and_update(client, seed):
    s1 = seed(make_result(("B1A", "car")), location="Gate 1")
    s2 = seed(make_result(("B2B", "car"), ("B3C", "bus")), location="Gate 2")
    body = await (await client.get("/api/sessions?limit=1")).json()
    assert body["count"] == 2
    assert [x["id"] for x in body["sessions"]] == [s2]
    assert body["sessions"][0]["vehicle_count"] == 2 and body["sessions"][0]["plate_count"] == 2
    page2 = await (await client.get("/api/sessions?limit=1&offset=1")).json()
    assert [x["id"] for x in page2["sessions"]] == [s1]

    detail = await (await client.get(f"/api/sessions/{s2}")).json()
    assert detail["location"] == "Gate 2"
    assert [v["vehicle_class"] for v in detail["vehicles"]] == ["car", "bus"]
    assert [p["plate_text"] for p in detail["plates"]] == ["B2B", "B3C"]

    resp = await client.put(f"/api/sessions/{s2}", json={"location": "Gate 9", "notes": "checked"})
    assert resp.status == 200
    updated = (await resp.json())["session"]
    assert updated["location"] == "Gate 9" and updated["notes"] == "checked"
    partial = await (await client.put(f"/api/sessions/{s2}", json={"notes": "again"})).json()
    assert partial["session"]["location"] == "Gate 9" and partial["session"]["notes"] == "again"


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/api/vehicles/999", None),
        ("PUT", "/api/vehicles/999", {"vehicle_class": "car"}),
        ("DELETE", "/api/vehicles/999", None),
        ("GET", "/api/plates/999", None),
        ("PATCH", "/api/plates/999", {"plate_status": "whitelist"}),
        ("DELETE", "/api/plates/999", None),
        ("GET", "/api/sessions/999", None),
        ("PUT", "/api/sessions/999", {"notes": "x"}),
    ],
)
async def test_missing_records_are_404_detail(client, method, path, body):
    resp = await client.request(method, path, json=body)
    assert resp.status == 404
    detail = (await resp.json())["detail"]
    assert isinstance(detail, str) and "999" in detail and "not found" in detail


@pytest.mark.parametrize(
    "method, path, body, loc",
    [
        ("GET", "/api/vehicles/abc", None, ["path", "vehicle_id"]),
        ("GET", "/api/plates/0", None, ["path", "plate_id"]),
        ("PUT", "/api/vehicles/1", {"vehicle_confidence_score": 2}, ["body", "vehicle_confidence_score"]),
        ("PATCH", "/api/plates/1", {"plate_status": "grey"}, ["body", "plate_status"]),
        ("PATCH", "/api/plates/1", {"plate_text": "--"}, ["body", "plate_text"]),
        ("PUT", "/api/sessions/1", [1, 2], ["body"]),
    ],
)
async def test_bad_input_is_422(client, method, path, body, loc):
    resp = await client.request(method, path, json=body)
    assert resp.status == 422
    detail = (await resp.json())["detail"]
    assert detail[0]["loc"] == loc


async def test_malformed_json_is_422_not_500(client):
    resp = await client.put("/api/vehicles/1", data=b"{not json", headers={"Content-Type": "application/json"})
    assert resp.status == 422
    assert (await resp.json())["detail"][0]["type"] == "json_invalid"


async def test_lone_surrogate_in_json_is_422_not_500(client, seed):
    seed(make_result(("B1A", "car")))
    resp = await client.put(
        "/api/sessions/1", data=b'{"notes": "\\ud800"}', headers={"Content-Type": "application/json"}
    )
    assert resp.status == 422
    assert (await resp.json())["detail"][0]["type"] == "json_invalid"
