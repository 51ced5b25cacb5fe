"""Fleet mode: each detection records its gate (``storage.site``/``gate``), and the list and
statistics endpoints take ``gate=``. Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from web_factories import make_result

from alprd.storage.repository import open_repository


async def test_each_gate_sees_its_own_detections(client, config, repository, seed):
    now = datetime.now().replace(microsecond=0)
    stored: dict[str, list[int]] = {}
    for i, (gate, plates) in enumerate(
        (
            ("north", [("B1A", "car")]),
            ("south", [("D2B", "truck"), ("F3C", "car")]),
            ("north", [("B4D", "car")]),
            ("", [("Q5E", "motorcycle")]),  # a gate without a name
        )
    ):
        repository.site, repository.gate = "depot", gate
        stored.setdefault(gate, []).append(seed(make_result(*plates), when=now - timedelta(hours=i)))
    rows = repository.db.execute_sql("SELECT site, gate, plate_text FROM plate ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [
        ("depot", "north", "B1A"),
        ("depot", "south", "D2B"),
        ("depot", "south", "F3C"),
        ("depot", "north", "B4D"),
        ("depot", "", "Q5E"),
    ]
    sessions = repository.db.execute_sql("SELECT gate FROM detection_session ORDER BY id").fetchall()
    assert [r[0] for r in sessions] == ["north", "south", "north", ""]

    async def get(path: str) -> dict:
        resp = await client.get(path)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    north = await get("/detections?gate=north")
    assert [d["detection_details"]["plate_text"] for d in north["detections"]] == ["B4D", "B1A"]
    assert north["count"] == 2
    assert (await get("/detections?gate=south&vehicleType=car"))["count"] == 1
    assert (await get("/detections?gate=south&search=D2"))["count"] == 1
    assert (await get("/detections?gate=north&search=D2"))["count"] == 0
    assert (await get("/detections?gate=west"))["count"] == 0
    assert (await get("/detections"))["count"] == 5  # no filter: every gate

    board = await get("/api/statistics/dashboard?gate=south")
    assert board["totalDetections"] == 2 and board["vehicleDistribution"] == {"car": 1, "truck": 1}
    assert board["todayDetections"] + sum(d["count"] for d in board["detectionTrend"][:-1]) == 2
    assert (await get("/api/statistics/vehicle-distribution?gate=north")) == {
        "vehicleDistribution": {"car": 2},
        "total": 2,
    }
    assert (await get("/api/statistics/plate-types?gate=north"))["total"] == 2
    weekly = await get("/api/statistics/weekly-activity?gate=south&days=7")
    assert sum(d["count"] for d in weekly["weeklyActivity"]) == 2
    hourly = await get("/api/statistics/hourly-activity?gate=north&days=2")
    assert sum(h["count"] for h in hourly["hourlyActivity"]) == 2
    regions = await get("/api/plates/regions/summary?gate=north")
    assert sum(r["count"] for r in regions["regions"]) == 2
    # Without a gate the aggregate tables answer, and they agree with the per-gate counts.
    everyone = await get("/api/statistics/dashboard")
    assert everyone["totalDetections"] == 5
    per_gate = [(await get(f"/api/statistics/dashboard?gate={g}"))["totalDetections"] for g in ("north", "south")]
    assert sum(per_gate) + 1 == 5  # + the unnamed gate's plate


def test_open_repository_takes_the_identity_from_config(config):
    fleet = config.model_copy(
        update={"storage": config.storage.model_copy(update={"site": "depot 1", "gate": "north-2"})}
    )
    repo = open_repository(fleet)
    try:
        assert (repo.site, repo.gate) == ("depot 1", "north-2")
    finally:
        repo.db.close()


@pytest.mark.parametrize(
    "url",
    [
        "/detections?gate=n%00",
        "/detections?vehicleType=car%00",
        "/detections?plateType=Regular%00",
        "/detections?search=B1%00",
        "/api/statistics/dashboard?gate=n%00",
        "/api/statistics/hourly-activity?gate=n%00",
        "/api/plates/regions/summary?gate=n%00",
    ],
)
async def test_a_nul_in_a_query_text_is_refused_on_both_servers(client, url):
    """No stored text holds NUL (bodies refuse it); PostgreSQL refuses it in a query, which
    was a 500 there (SQLite: an empty answer). Both now answer 422, as for a body."""
    resp = await client.get(url)
    assert resp.status == 422
    [error] = (await resp.json())["detail"]
    assert error["type"] == "string_nul" and error["loc"] == ["query", url.split("?")[1].split("=")[0]]
