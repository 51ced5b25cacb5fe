"""Regions, plate status (access lists), statistics and locations over seeded data."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from web_factories import make_result


@pytest.mark.parametrize("path", ["/api/plate/regions", "/api/plates/regions"])
async def test_regions_table(client, path):
    body = await (await client.get(path)).json()
    assert {"code": "B", "name": "Jakarta"} in body["regions"]
    assert {"code": "D", "name": "Bandung"} in body["regions"]
    assert all(set(r) == {"code", "name"} for r in body["regions"])


@pytest.mark.parametrize("path", ["/api/plate/region/{}", "/api/plates/regions/{}"])
@pytest.mark.parametrize("code, name", [("B", "Jakarta"), ("ab", "Yogyakarta"), ("DK", "Bali")])
async def test_region_lookup(client, path, code, name):
    resp = await client.get(path.format(code))
    assert resp.status == 200
    assert await resp.json() == {"code": code.upper(), "name": name}


async def test_unknown_region_is_404(client):
    resp = await client.get("/api/plate/region/QQ")
    assert resp.status == 404
    assert await resp.json() == {"detail": "Region code QQ not found"}


async def test_regions_summary_counts_per_region(client, seed):
    seed(make_result(("B1A", "car"), ("B2B", "car"), ("D3C", "bus")))
    seed(make_result(("XX1", "car")))
    body = await (await client.get("/api/plates/regions/summary")).json()
    assert body["total"] == 4
    assert body["regions"][0] == {"code": "B", "name": "Jakarta", "region": "B (Jakarta)", "count": 2}
    assert {"code": "D", "name": "Bandung", "region": "D (Bandung)", "count": 1} in body["regions"]
    assert await (await client.get("/api/statistics/regions")).json() == body


async def test_plate_status_add_list_remove(client):
    resp = await client.post("/api/plate-status", json={"plate_text": "B123ABC", "status_type": "whitelist"})
    assert resp.status == 200
    assert await resp.json() == {"status": "success", "message": "Plate B123ABC added to whitelist"}
    # form fields work too, and the text is normalised
    resp = await client.post("/api/plate-status", data={"plate_text": "d 456-xyz", "status_type": "blacklist"})
    assert await resp.json() == {"status": "success", "message": "Plate D456XYZ added to blacklist"}
    listed = await (await client.get("/api/plate-status")).json()
    assert listed == {
        "status": "success",
        "plate_statuses": [
            {"plate_text": "B123ABC", "status": "whitelist"},
            {"plate_text": "D456XYZ", "status": "blacklist"},
        ],
    }
    resp = await client.delete("/api/plate-status/B123ABC")
    assert await resp.json() == {"status": "success", "message": "Plate B123ABC removed from status list"}
    assert (await client.delete("/api/plate-status/B123ABC")).status == 404
    assert len((await (await client.get("/api/plate-status")).json())["plate_statuses"]) == 1


@pytest.mark.parametrize(
    "body, loc",
    [
        ({"plate_text": "B1", "status_type": "greylist"}, ["body", "status_type"]),
        ({"status_type": "whitelist"}, ["body", "plate_text"]),
        ({"plate_text": "", "status_type": "whitelist"}, ["body", "plate_text"]),
    ],
)
async def test_plate_status_bad_body_is_422(client, body, loc):
    resp = await client.post("/api/plate-status", json=body)
    assert resp.status == 422
    assert (await resp.json())["detail"][0]["loc"] == loc


async def test_sync_all_reapplies_lists_with_counts(client, seed):
    seed(make_result(("B1234ABC", "car"), ("D55XY", "car"), ("F1F", "car")))
    seed(make_result(("B1234A8C", "car")))  # one O/0-style confusion (B<->8) from B1234ABC
    await client.post("/api/plate-status", json={"plate_text": "B1234ABC", "status_type": "whitelist"})
    await client.post("/api/plate-status", json={"plate_text": "D55XY", "status_type": "blacklist"})
    resp = await client.post("/api/plate-status/sync-all")
    assert resp.status == 200
    assert await resp.json() == {
        "status": "success",
        "message": "Successfully synchronized 4 plate statuses",
        "details": {"whitelist": 2, "blacklist": 1, "unclassified": 1},
    }
    found = await (await client.get("/detections?search=A8C")).json()
    assert found["detections"][0]["detection_details"]["plate_status"] == "whitelist"
    await client.delete("/api/plate-status/D55XY")
    again = await (await client.post("/api/plate-status/sync-all")).json()
    assert again["details"] == {"whitelist": 2, "blacklist": 0, "unclassified": 2}


async def test_new_detections_get_list_status(client, seed):
    await client.post("/api/plate-status", json={"plate_text": "B1234ABC", "status_type": "blacklist"})
    seed(make_result(("B1234AB0", "car")))  # C and 0 are not confusable: stays unknown
    seed(make_result(("B1234ABC", "car")))
    items = (await (await client.get("/detections")).json())["detections"]
    assert [i["detection_details"]["plate_status"] for i in items] == ["blacklist", "unknown"]


@pytest.fixture
def week(seed):
    """Plates over the last 3 days at known hours."""
    today = datetime.combine(date.today(), datetime.min.time())
    seed(make_result(("B1A", "car"), ("B2B", "truck")), when=today + timedelta(hours=8, minutes=5))
    seed(make_result(("D3C", "car"), loose_plate="F4D"), when=today - timedelta(days=1) + timedelta(hours=9))
    seed(make_result(("B5E", "motorcycle")), when=today - timedelta(days=2) + timedelta(hours=8, minutes=30))
    seed(make_result(("B6F", "car")), when=today - timedelta(days=40) + timedelta(hours=23))
    return today


async def test_dashboard_values(client, week):
    body = await (await client.get("/api/statistics/dashboard")).json()
    assert body["totalDetections"] == 6
    assert body["vehicleDistribution"] == {"car": 3, "truck": 1, "motorcycle": 1, "unknown": 1}
    trend = body["detectionTrend"]
    assert len(trend) == 7 and trend[-1] == {"date": week.date().isoformat(), "count": 2}
    assert [t["count"] for t in trend[-3:]] == [1, 2, 2]
    hours = {h["hour"]: h["count"] for h in body["hourlyActivity"]}
    assert len(hours) == 24 and hours["08:00"] == 3 and hours["09:00"] == 2 and hours["23:00"] == 0
    assert body["todayDetections"] == 2
    assert body["plateStatus"] == {"whitelist": 0, "blacklist": 0, "unknown": 6}
    longer = await (await client.get("/api/statistics/dashboard?days=60")).json()
    assert {h["hour"]: h["count"] for h in longer["hourlyActivity"]}["23:00"] == 1


async def test_statistics_endpoints(client, week):
    get = lambda p: client.get(f"/api/statistics/{p}")  # noqa: E731
    assert await (await get("vehicle-distribution")).json() == {
        "vehicleDistribution": {"car": 3, "truck": 1, "motorcycle": 1, "unknown": 1},
        "total": 6,
    }
    trend = (await (await get("detection-trend?days=3")).json())["detectionTrend"]
    assert [t["count"] for t in trend] == [1, 2, 2]
    hourly = (await (await get("hourly-activity?days=1")).json())["hourlyActivity"]
    assert {h["hour"]: h["count"] for h in hourly}["08:00"] == 2
    weekly = (await (await get("weekly-activity?days=3")).json())["weeklyActivity"]
    assert [w["day"] for w in weekly][0] == "Monday" and sum(w["count"] for w in weekly) == 5
    assert weekly[week.weekday()]["count"] == 2
    assert await (await get("plate-types")).json() == {"plateTypes": {"Regular": 5, "Public": 1}, "total": 6}
    assert (await get("dashboard?days=0")).status == 422


async def test_statistics_follow_deletes(client, week):
    first = (await (await client.get("/detections?limit=1")).json())["detections"][0]
    await client.delete(f"/api/plates/{first['id']}")
    body = await (await client.get("/api/statistics/dashboard")).json()
    assert body["totalDetections"] == 5


async def test_status_lists_real_statistics_routes(client):
    body = await (await client.get("/api/statistics/status")).json()
    assert body["status"] == "online"
    assert body["database"]["accessible"] is True and body["database"]["missing_methods"] == []
    assert body["router"]["prefix"] == "/api/statistics" and body["router"]["tags"] == ["statistics"]
    paths = {r["path"]: r["methods"] for r in body["router"]["routes"]}
    assert paths["/api/statistics/dashboard"] == ["GET"]
    assert len(paths) == 8 and "/api/statistics/weekly-activity" in paths
    datetime.fromisoformat(body["timestamp"])


async def test_locations_crud(client):
    for path in ("/api/locations/", "/api/locations"):
        assert await (await client.get(path)).json() == []
    created = await (await client.post("/api/locations/", json={"name": "Gate 1", "type": "Entry"})).json()
    assert set(created) == {"id", "name", "type", "timestamp"} and created["name"] == "Gate 1"
    second = await (await client.post("/api/locations", json={"name": "Gate 2", "type": "Exit"})).json()
    assert (await client.post("/api/locations/", json={"name": "Gate 1"})).status == 409  # duplicate name
    assert [x["name"] for x in await (await client.get("/api/locations/")).json()] == ["Gate 1", "Gate 2"]
    one = await (await client.get(f"/api/locations/{created['id']}")).json()
    assert one == created
    updated = await (
        await client.put(f"/api/locations/{created['id']}", json={"name": "Gate 1A", "type": "Entry"})
    ).json()
    assert updated["name"] == "Gate 1A" and updated["id"] == created["id"]
    taken = await client.put(f"/api/locations/{created['id']}", json={"name": "Gate 2"})
    assert taken.status == 409 and "already exists" in (await taken.json())["detail"]
    assert await (await client.get("/api/locations/types")).json() == {"types": ["Entry", "Exit"]}
    assert await (await client.get("/api/locations/count")).json() == {"count": 2}
    resp = await client.delete(f"/api/locations/{second['id']}")
    assert await resp.json() == {"message": f"Location {second['id']} deleted successfully"}
    assert (await client.get(f"/api/locations/{second['id']}")).status == 404
    assert (await client.post("/api/locations/", json={"name": "  "})).status == 422
    assert (await client.put("/api/locations/abc", json={})).status == 422


async def test_list_changes_reach_the_gate(aiohttp_client, config, repository):
    from alprd.web.app import create_app

    seen: list[dict[str, str]] = []
    client = await aiohttp_client(create_app(config, repository=repository, on_lists_changed=seen.append))
    await client.post("/api/plate-status", json={"plate_text": "B1A", "status_type": "blacklist"})
    await client.post("/api/plate-status", json={"plate_text": "D2B", "status_type": "whitelist"})
    await client.delete("/api/plate-status/B1A")
    assert seen == [{"B1A": "blacklist"}, {"B1A": "blacklist", "D2B": "whitelist"}, {"D2B": "whitelist"}]
    assert (await client.delete("/api/plate-status/ZZZ")).status == 404
    assert len(seen) == 3  # nothing changed, nothing sent
