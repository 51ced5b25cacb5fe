"""Webhooks against a real HTTP receiver on 127.0.0.1: signed, in order per camera, retried
with back-off (an injected clock and jitter), delivered from the outbox after a restart
and after ``kill -9``; the backlog shown by GET /api/webhooks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from web_factories import FixedPipeline, make_result

from alprd.bus import LiveEvent
from alprd.config import Config, WebhookConfig
from alprd.storage.files import StoredImages
from alprd.storage.live import detection_event
from alprd.storage.repository import Repository, open_repository
from alprd.storage.startup import open_storage
from alprd.web import keys
from alprd.web.app import create_app
from alprd.web.webhooks import SIGNATURE_HEADER, WebhookSender, backoff_s, signature

SECRET = "s3cret-key"
REPO_ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    """An HTTP receiver that answers 500 to its first ``fail`` requests, then 200; it keeps
    every request's body and whether its signature was right."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.requests = 0
        self.accepted: list[dict] = []
        self.bad_signatures = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if request.headers.get(SIGNATURE_HEADER) != want:
            self.bad_signatures += 1
        self.requests += 1
        if self.requests <= self.fail:
            return web.Response(status=500, text="receiver down")
        self.accepted.append(json.loads(body))
        return web.Response(status=204)

    def plates(self, camera: str) -> list[str]:
        return [e["plate_text"] for e in self.accepted if e["camera_id"] == camera]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def receiver(aiohttp_server):
    async def start(fail: int = 0) -> tuple[Receiver, str]:
        rec = Receiver(fail)
        app = web.Application()
        app.router.add_post("/hook", rec.handle)
        server = await aiohttp_server(app)
        return rec, str(server.make_url("/hook"))

    return start


def hooked(config: Config, url: str, **extra) -> Config:
    hook = WebhookConfig(url=url, name="barrier", secret=SECRET, **extra)
    return config.model_copy(update={"webhooks": (hook,)})


def store(repository: Repository, text: str, camera: str) -> int:
    return repository.save_image_result(
        make_result((text, "car")),
        StoredImages(),
        location="Gate 1",
        detected_at=datetime(2026, 12, 1, 12, 0, 0),
        processing_time_s=0.1,
        camera_id=camera,
        source="camera",
    )


async def run_db(fn, *args):
    return fn(*args)


@pytest.mark.parametrize(
    ("attempts", "jitter", "want_s"),
    [(1, 1.0, 1.0), (2, 1.0, 2.0), (3, 1.0, 4.0), (3, 0.0, 2.0), (10, 1.0, 60.0), (10, 0.5, 45.0)],
)
def test_backoff_doubles_up_to_the_cap_scaled_by_jitter(attempts, jitter, want_s):
    assert backoff_s(attempts, 1.0, 60.0, jitter) == pytest.approx(want_s)


def test_signature_is_hmac_sha256_of_the_raw_body():
    body = b'{"event":"detection"}'
    assert signature("k" * 8, body) == "sha256=" + hmac.new(b"k" * 8, body, hashlib.sha256).hexdigest()
    assert signature("k" * 8, body) != signature("k" * 9, body)


def test_outbox_rows_commit_with_the_detection_or_not_at_all(repository, monkeypatch):
    repository.outbox_webhooks = ("a", "b")
    session_id = store(repository, "B1234CD", "cam1")
    rows = repository.db.execute_sql("SELECT webhook, session_id, payload FROM webhook_outbox ORDER BY id").fetchall()
    assert [(r[0], r[1]) for r in rows] == [("a", session_id), ("b", session_id)]
    payload = json.loads(rows[0][2])
    assert payload["event"] == "detection" and payload["plate_text"] == "B1234CD" and payload["camera_id"] == "cam1"

    def broken(self, session_id):
        raise RuntimeError("crash while writing the outbox")

    monkeypatch.setattr(Repository, "_enqueue_detection", broken)
    with pytest.raises(RuntimeError):
        store(repository, "B9999ZZ", "cam1")
    sessions = repository.db.execute_sql("SELECT COUNT(*) FROM detection_session").fetchone()[0]
    assert sessions == 1  # the detection rolled back with its outbox rows


def test_the_listener_hears_of_rows_once_their_transaction_committed(repository):
    heard: list[bool] = []
    repository.outbox_listener = lambda: heard.append(repository.db.in_transaction())
    store(repository, "A1", "east")
    assert heard == []  # no detection webhook: nothing to hear
    repository.outbox_webhooks = ("barrier",)
    store(repository, "A2", "east")
    repository.save_image_result_and_read(
        make_result(("A3", "car")),
        StoredImages(),
        location="Gate 1",
        detected_at=datetime(2026, 12, 1, 12, 0, 0),
        processing_time_s=0.1,
    )
    assert heard == [False, False]  # once per save, after the outer transaction
    assert [r.webhook for r in repository.outbox_heads("barrier")] == ["barrier", "barrier"]  # cameras east and ''


async def test_a_failing_receiver_gets_every_event_in_order_per_camera_after_back_off(receiver, repository):
    rec, url = await receiver(fail=3)
    repository.outbox_webhooks = ("barrier",)
    for text, camera in [("A1", "east"), ("B1", "west"), ("A2", "east"), ("B2", "west"), ("A3", "east")]:
        store(repository, text, camera)
    clock = FakeClock()
    hook = WebhookConfig(url=url, name="barrier", secret=SECRET, retry_initial_s=2.0, retry_max_s=30.0)
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(hook, repository, http, run_db, clock=clock, random=lambda: 1.0)
        assert await sender.deliver_due() == 0  # east and west heads both get 500
        assert rec.requests == 2
        assert sender.next_try_in_s() == 1.0  # the poll interval: back-off (2 s) is longer
        assert await sender.deliver_due() == 0 and rec.requests == 2  # backed off: nothing sent
        clock.now += 2.0
        assert await sender.deliver_due() == 1  # third failure (east), west delivered
        clock.now += 4.0  # east's second back-off; west's next row is due at once
        for _ in range(10):
            if not repository.outbox_heads("barrier"):
                break
            await sender.deliver_due()
            clock.now += 30.0
    assert rec.plates("east") == ["A1", "A2", "A3"]
    assert rec.plates("west") == ["B1", "B2"]
    assert rec.bad_signatures == 0 and rec.requests == 3 + 5
    [status] = repository.outbox_backlog(("barrier",))
    assert (status.backlog, status.delivered, status.failed) == (0, 5, 3)
    assert status.last_error == "HTTP 500"


async def test_a_receiver_that_is_down_keeps_the_row_and_records_the_error(repository, unused_tcp_port):
    repository.outbox_webhooks = ("barrier",)
    store(repository, "A1", "east")
    hook = WebhookConfig(url=f"http://127.0.0.1:{unused_tcp_port}/hook", name="barrier", secret=SECRET)
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(hook, repository, http, run_db, clock=FakeClock(), random=lambda: 0.0)
        assert await sender.deliver_due() == 0
    [row] = repository.outbox_heads("barrier")
    assert row.attempts == 1
    [status] = repository.outbox_backlog(("barrier",))
    assert status.backlog == 1 and "ClientConnectorError" in status.last_error


async def wait_for(condition, what: str) -> None:
    for _ in range(400):  # a bound on waiting, not a timing assert
        if condition():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"never happened: {what}")


async def hook_once(client, ready, what: str) -> dict:
    """GET /api/webhooks until its one webhook is ``ready``; that webhook. The receiver counts
    a request before it answers, and the sender records the answer after it: the API shows
    it a moment after the receiver saw it."""
    for _ in range(400):  # a bound on waiting, not a timing assert
        [hook] = (await (await client.get("/api/webhooks")).json())["webhooks"]
        if ready(hook):
            return hook
        await asyncio.sleep(0.025)
    raise AssertionError(f"never shown by /api/webhooks: {what}: {hook}")


async def test_delivery_resumes_after_a_restart_and_the_api_shows_the_backlog(receiver, config, aiohttp_client):
    rec, url = await receiver(fail=10**6)  # down for the whole first run
    cfg = hooked(config, url)
    repository = open_repository(cfg)
    client = await aiohttp_client(create_app(cfg, repository=repository))
    store(repository, "A1", "east")
    store(repository, "A2", "east")
    await wait_for(lambda: rec.requests >= 1, "a first attempt")
    hook = await hook_once(client, lambda h: h["failed"] >= 1, "the failed attempt")
    assert hook["name"] == "barrier" and hook["backlog"] == 2 and hook["failed"] >= 1
    assert hook["last_error"] == "HTTP 500" and hook["delivered"] == 0
    await client.close()  # the daemon stops (or dies) with its events undelivered
    repository.db.close()

    rec.fail = 0  # the receiver recovers; a new daemon opens the same database
    repository = open_repository(cfg)
    client = await aiohttp_client(create_app(cfg, repository=repository))
    await wait_for(lambda: len(rec.accepted) == 2, "both events delivered")
    assert rec.plates("east") == ["A1", "A2"] and rec.bad_signatures == 0
    hook = await hook_once(client, lambda h: h["backlog"] == 0, "the empty backlog")
    assert hook["delivered"] == 2
    await client.close()
    repository.db.close()


_KILLED_WRITER = """
import os, signal, sys
from datetime import datetime
from alprd.config import load_config
from alprd.storage.files import StoredImages
from alprd.storage.live import detection_event
from alprd.storage.repository import open_repository
sys.path.insert(0, "tests/web")
from web_factories import make_result
repo = open_repository(load_config(sys.argv[1]))
for text in ("K1", "K2", "K3"):
    repo.save_image_result(make_result((text, "car")), StoredImages(), location="Gate", camera_id="east",
                           detected_at=datetime.now(), processing_time_s=0.1, source="camera")
os.kill(os.getpid(), signal.SIGKILL)
"""


async def test_events_stored_before_a_kill_9_are_delivered_by_the_next_start(receiver, tmp_path, aiohttp_client):
    rec, url = await receiver()
    main = tmp_path / "alprd.yaml"
    main.write_text(
        f"storage: {{database: data/alprd.db, outputs_dir: outputs}}\ncameras_dir: null\n"
        f"webhooks:\n  - {{url: '{url}', name: barrier, secret: {SECRET}}}\n"
    )
    proc = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(main)], cwd=REPO_ROOT, capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    from alprd.config import load_config

    cfg = load_config(main)
    repository = open_repository(cfg)
    assert len(repository.outbox_heads("barrier")) == 1  # one camera: its oldest row
    client = await aiohttp_client(create_app(cfg, repository=repository))
    await wait_for(lambda: len(rec.accepted) == 3, "the three events")
    assert rec.plates("east") == ["K1", "K2", "K3"]
    await client.close()
    repository.db.close()


async def test_an_uploaded_detection_is_posted_with_its_images(receiver, config, aiohttp_client):
    rec, url = await receiver()
    cfg = hooked(config, url, include_image=True)
    repository = open_repository(cfg)
    client = await aiohttp_client(create_app(cfg, repository=repository, pipeline=FixedPipeline()))
    import cv2
    import numpy as np

    jpeg = cv2.imencode(".jpg", np.full((240, 320, 3), 90, np.uint8))[1].tobytes()
    form = aiohttp.FormData()
    form.add_field("file", jpeg, filename="car.jpg", content_type="image/jpeg")
    resp = await client.post("/detect/image", data=form)
    assert resp.status == 200, await resp.text()
    session_id = (await resp.json())["session_id"]
    await wait_for(lambda: len(rec.accepted) == 1, "the upload's event")
    [event] = rec.accepted
    assert event["event"] == "detection" and event["session_id"] == session_id
    assert event["plate_text"] == "B123ABC" and event["vehicle_type"] == "car"
    assert event["plate_image_url"].startswith("/outputs/")
    served = await client.get(event["plate_image_url"])
    assert served.status == 200
    assert base64.b64decode(event["plate_image_base64"]) == await served.read()
    await client.close()
    repository.db.close()


async def test_a_preview_is_sent_once_and_a_lost_one_is_counted(receiver, repository):
    rec, url = await receiver(fail=1)
    hook = WebhookConfig(url=url, secret=SECRET, events=("preview",))
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(hook, repository, http, run_db)
        for text in ("P1", "P2"):
            sender.offer_preview({"event": "preview", "plate_text": text, "camera_id": "east"})
            await wait_for(lambda: not sender._previews, "the preview's POST")
    assert rec.requests == 2 and rec.plates("east") == ["P2"]
    assert (sender.previews_sent, sender.previews_failed) == (1, 1)


def test_start_up_drops_the_rows_of_webhooks_no_longer_configured(config):
    repository = open_repository(config)
    repository.outbox_webhooks = ("old", "barrier")
    store(repository, "A1", "east")
    repository.db.close()
    repository, _ = open_storage(hooked(config, "http://127.0.0.1:9/hook"))  # only 'barrier' now
    rows = repository.db.execute_sql("SELECT webhook FROM webhook_outbox").fetchall()
    assert rows == [("barrier",)]
    repository.db.close()


async def test_previews_on_the_bus_are_posted_and_detections_only_from_the_outbox(receiver, config, aiohttp_client):
    rec, url = await receiver()
    cfg = hooked(config, url, events=("detection", "preview"))
    repository = open_repository(cfg)
    client = await aiohttp_client(create_app(cfg, repository=repository))
    bus = client.app[keys.BUS]
    preview = LiveEvent("preview", "P1", 0.9, "whitelist", "east", "Gate 1", "entry", 1_796_000_000.0, "car")
    await asyncio.to_thread(bus.publish, preview)  # from another thread, as the inference threads publish
    await wait_for(lambda: len(rec.accepted) == 1, "the preview")
    session_id = store(repository, "D1", "east")
    session = await asyncio.to_thread(repository.get_session, session_id)
    await asyncio.to_thread(bus.publish, detection_event(session))  # the writer announces it too
    await wait_for(lambda: len(rec.accepted) == 2, "the detection")
    hook = await hook_once(client, lambda h: h["backlog"] == 0, "the empty backlog")
    assert hook["delivered"] == 1  # the detection, from the outbox; the preview has no row
    await client.close()  # no POST is in flight any more: what arrived is all there is
    assert [(e["event"], e["plate_text"]) for e in rec.accepted] == [("preview", "P1"), ("detection", "D1")]
    assert rec.accepted[0] == preview.as_json() and rec.bad_signatures == 0
    repository.db.close()
