"""Fleet mode, the central daemon: one API over every gate's rows (no cameras of its own),
and images left on the gate that took them: the central answers an image another gate
stored with a redirect to that gate (``storage.gate_urls``). Both servers."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

from web_factories import make_result

from alprd.storage.files import ImageStore
from alprd.web.app import create_app
from tests.storage.test_retention import event

GATE_URLS = {"north": "http://north.lan:8000", "south": "https://south.lan/alprd/"}


def _store_at_gate(repository, gate_root: Path, gate: str, text: str, when: datetime) -> None:
    """A gate's event writer: images on the gate's own disk, rows in the shared database."""
    store = ImageStore(gate_root / "outputs")
    e = event(text, when)
    images = store.save_result(e.frame.image, e.result(), annotated=None, when=when)
    repository.site, repository.gate = "depot", gate
    repository.save_event(e, images, uuid.uuid4().hex)
    store.settle(images)


def _image_urls(value) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith("/outputs/") else []
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [url for item in items for url in _image_urls(item)]


async def test_the_central_lists_every_gate_and_sends_images_to_their_gate(
    aiohttp_client, config, repository, seed, tmp_path
):
    now = datetime.now().replace(microsecond=0)
    _store_at_gate(repository, tmp_path / "north", "north", "B1AA", now - timedelta(minutes=2))
    _store_at_gate(repository, tmp_path / "south", "south", "D2BB", now - timedelta(minutes=1))
    repository.gate = ""  # the central's own upload: its image is on the central's disk
    seed(make_result(("F3CC", "car")), when=now)
    storage = config.storage.model_copy(update={"gate_urls": GATE_URLS})
    central = await aiohttp_client(create_app(config.model_copy(update={"storage": storage}), repository=repository))

    page = await (await central.get("/detections")).json()
    assert [d["detection_details"]["plate_text"] for d in page["detections"]] == ["F3CC", "D2BB", "B1AA"]
    north = await (await central.get("/detections?gate=north")).json()
    assert [d["detection_details"]["plate_text"] for d in north["detections"]] == ["B1AA"]

    for detection, gate in zip(page["detections"], ("", "south", "north"), strict=True):
        urls = _image_urls(detection)
        assert urls, detection
        for url in urls:
            resp = await central.get(url, allow_redirects=False)
            if not gate:
                assert resp.status == 200 and (tmp_path / url.lstrip("/")).is_file()
                continue
            assert resp.status == 302
            assert resp.headers["Location"] == GATE_URLS[gate].rstrip("/") + url
            assert (tmp_path / gate / url.lstrip("/")).is_file()  # where the gate serves it from

    assert (await central.get("/outputs/plates/crops/nobody_p1.jpg", allow_redirects=False)).status == 404
    assert (await central.get("/outputs/../data/alprd.db", allow_redirects=False)).status == 404
    assert (await central.get("/outputs/a%00b.jpg", allow_redirects=False)).status == 404  # PostgreSQL: was 500

    documented = (await (await central.get("/openapi.json")).json())["paths"]
    assert sorted(documented["/outputs/{path}"]["get"]["responses"]) == ["200", "302", "404", "422"]
    assert documented["/outputs/{path}"]["get"]["responses"]["302"]["headers"]["Location"]["required"] is True
    assert "302" not in documented["/static/{path}"]["get"]["responses"]  # served by every daemon itself


async def test_without_gate_urls_another_gates_image_is_not_found(client, repository, tmp_path):
    _store_at_gate(repository, tmp_path / "north", "north", "B1AA", datetime.now())
    page = await (await client.get("/detections")).json()
    urls = _image_urls(page["detections"][0])
    assert urls and [(await client.get(u, allow_redirects=False)).status for u in urls] == [404] * len(urls)
    documented = (await (await client.get("/openapi.json")).json())["paths"]["/outputs/{path}"]["get"]
    assert "302" not in documented["responses"]  # a daemon that never redirects does not say it might
