"""The event writer announces each stored session on the bus, as the REST API serves it."""

from datetime import datetime

import numpy as np
import pytest

from alprd.bus import EventBus, LiveEvent, preview_event
from alprd.domain.messages import Box, Detection, Frame, OcrResult, PlateEvent, PlateRead
from alprd.domain.packs import load_pack
from alprd.storage.db import open_database
from alprd.storage.files import ImageStore
from alprd.storage.repository import Repository
from alprd.storage.writer import EventWriter


@pytest.fixture
def repo(database_target):
    db = open_database(database_target)
    yield Repository(db, load_pack("id"))
    db.close()


def plate_event(text: str, kind: str = "final") -> PlateEvent:
    image = np.random.default_rng(3).integers(0, 255, (240, 320, 3), dtype=np.uint8)
    car = Detection(Box(60, 40, 260, 220), 0.9, "car")
    read = PlateRead(Detection(Box(100, 100, 200, 130), 0.9, "plate"), OcrResult(text, 0.93), vehicle=car)
    t = datetime(2026, 5, 4, 10, 20, 30).timestamp()
    return PlateEvent(
        "gate1",
        7,
        kind,
        text,
        0.93,
        read,
        Frame("gate1", 1, t, image),
        t - 2,
        t,
        5,  # type: ignore[arg-type]
        direction="entry",
        list_status="whitelist",
        location="Gate A",
    )


def test_the_writer_publishes_each_stored_event_as_a_detection(repo, tmp_path):
    bus, seen = EventBus(), []
    bus.subscribe(seen.append)
    writer = EventWriter(repo, ImageStore(tmp_path / "outputs"), None, bus=bus).start()
    assert writer.submit(plate_event("B1234XYZ"))
    writer.close()
    assert writer.stored == 1 and len(seen) == 1
    live = seen[0]
    stored = repo.latest_session()
    assert stored is not None
    assert (live.event, live.session_id, live.plate_text, live.camera_id) == (
        "detection",
        stored.id,
        "B1234XYZ",
        "gate1",
    )
    assert (live.direction, live.location, live.vehicle_type) == ("entry", "Gate A", "car")
    assert live.time_s == stored.detected_at.timestamp()
    assert live.original_image_url == "/" + stored.original_path
    assert live.plate_image_url.startswith("/outputs/") and (tmp_path / live.plate_image_url[1:]).is_file()
    assert bus.published() == {"preview": 0, "detection": 1}


def test_a_failing_subscriber_does_not_stop_the_others():
    bus, seen = EventBus(), []

    def broken(_event: LiveEvent) -> None:
        raise RuntimeError("sink down")

    bus.subscribe(broken)
    unsubscribe = bus.subscribe(seen.append)
    event = preview_event(plate_event("D77AB", "preview"))
    bus.publish(event)
    unsubscribe()
    bus.publish(event)
    assert seen == [event]
    assert event.as_json()["event"] == "preview" and event.as_json()["vehicle_type"] == "car"
    assert event.as_json()["time"] == "2026-05-04 10:20:30"
