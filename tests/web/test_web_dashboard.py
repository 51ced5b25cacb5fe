"""The dashboard (/ui/) in Debian's headless Chromium against the real web app on 127.0.0.1:
real plate reading (OpenVINO on CPU) of real photos, live events over SSE, list editing,
history filters, camera frames, statistics; no console error, no request leaves the box.

``ALPRD_UI_SCREENSHOTS=docs/ui`` writes the views' screenshots there (README links them).
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import openvino as ov
import pytest
from browser import (
    DESKTOP,
    PHONE,
    LiveServer,
    chromium_driver,
    console_errors,
    requested_urls,
    save_screenshot,
    set_viewport,
)
from web_factories import make_result

from alprd.bus import LiveEvent
from alprd.config import Config, InferenceConfig, PpOcrConfig, ServerConfig
from alprd.domain.messages import CameraState, Frame, ImageResult
from alprd.errors import NotFoundError
from alprd.vision.pipeline import ImagePipeline
from alprd.web import keys
from alprd.web.app import create_app

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
LIVE_WAIT_S = 2.0  # an uploaded detection must be on the live view this soon after its POST returns
UI_WAIT_S = 10.0  # other waits: page loads, API round trips in a busy CI machine


@pytest.fixture(scope="module")
def pipeline() -> ImagePipeline:
    config = Config(inference=InferenceConfig(device="CPU", models_dir=MODELS_DIR, ocr=PpOcrConfig(engine="ppocr")))
    return ImagePipeline.from_config(config, ov.Core())


class Cameras:
    """Two gate lines as GateLines reports them: one streaming (a real photo as its frame), one failing."""

    def __init__(self, frame_path: Path) -> None:
        now = time.time()
        self.frame = Frame("gate1", 42, now, cv2.imread(str(frame_path)))
        self._states = [
            CameraState("gate1", "Entry", "Gate 1", "rtsp://cam1/stream", True, 12.5, 5.0, 3, last_frame_s=now),
            CameraState(
                "gate2", "Exit", "Gate 2", "rtsp://cam2/stream", False, 0.0, 0.0, 0, last_error="connection refused"
            ),
        ]

    def states(self) -> list[CameraState]:
        return list(self._states)

    async def test_line(self, line_id: str) -> tuple[CameraState, ImageResult]:
        raise NotFoundError(f"Line {line_id} not found")

    def latest_frame(self, line_id: str) -> Frame | None:
        if line_id not in ("gate1", "gate2"):
            raise NotFoundError(f"Line {line_id} not found")
        return self.frame if line_id == "gate1" else None


def _wait(driver, condition, timeout_s: float = UI_WAIT_S):
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    # An element the page replaced between finding and reading it (a preview's card taken by
    # its stored detection) is "not yet": the next poll finds the new one.
    ignored = (StaleElementReferenceException,)
    try:
        return WebDriverWait(driver, timeout_s, poll_frequency=0.05, ignored_exceptions=ignored).until(condition)
    except TimeoutException:
        raise AssertionError(f"not within {timeout_s} s; browser console: {driver.get_log('browser')}") from None


def _css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def _text(driver, selector: str) -> str:
    """The text of the first element ``selector`` finds, read again where the page replaced
    the element while it was read (the cameras view redraws its lines every few seconds)."""
    return str(_wait(driver, lambda d: _css(d, selector)[0].text))


def _show(driver, view: str) -> None:
    _css(driver, f'nav a[data-tab="{view}"]')[0].click()
    _wait(driver, lambda d: _css(d, f"#view-{view}")[0].is_displayed())


def _image_loaded(driver, img) -> bool:
    return bool(driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img))


def _image_at(driver, selector: str) -> bool:
    """The first element ``selector`` finds is an image that has loaded (False while none is there)."""
    found = _css(driver, selector)
    return bool(found) and _image_loaded(driver, found[0])


def _plate_of(body: dict) -> str:
    plates = [x["plate"]["plate_text"] for x in body["list_vehicle_and_plate_information"] if x["plate"]]
    assert plates and plates[0], body
    return plates[0]


def _screens(driver, name: str, out: Path) -> None:
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        set_viewport(driver, size)
        time.sleep(0.2)  # let the layout settle before the picture (not a test assertion)
        path = save_screenshot(driver, out / f"{name}-{label}.png")
        assert path.stat().st_size > 5_000  # a real picture, not a blank page
    set_viewport(driver, DESKTOP)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    wanted = os.environ.get("ALPRD_UI_SCREENSHOTS")
    return Path(wanted) if wanted else tmp_path / "shots"


def _seed_month(seed) -> None:
    """Earlier traffic, spread over 20 days and the day's hours: varied vehicle types."""
    now = datetime.now().replace(minute=0, second=0, microsecond=0)
    kinds = ("car", "car", "car", "truck", "motorcycle", "bus")
    for i in range(60):
        when = now - timedelta(days=(i * 7) % 20, hours=(i * 5) % 24)
        seed(make_result((f"B{1000 + i}XY", kinds[i % len(kinds)])), when=when)


def test_dashboard_live_lists_history_cameras_stats(config, repository, pipeline, datasets_dir, shots, seed):
    eu = datasets_dir / "openalpr-eu"
    cameras = Cameras(eu / "eu2.jpg")
    app = create_app(config, repository=repository, pipeline=pipeline, lines=cameras, live_keepalive_s=1.0)
    with LiveServer(app) as server:
        driver = chromium_driver()
        try:
            set_viewport(driver, DESKTOP)
            driver.get(server.base + "/ui/")
            _wait(driver, lambda d: _css(d, "#link")[0].text == "live")  # the SSE stream is open

            # An uploaded detection appears on the live view, its crop shown, status colour unknown.
            body = server.upload((eu / "eu1.jpg").read_bytes())
            posted = time.monotonic()
            plate = _plate_of(body)
            card_css = f'#live-list li[data-kind="detection"][data-plate="{plate}"]'
            _wait(driver, lambda d: _css(d, card_css), LIVE_WAIT_S)
            seen_s = time.monotonic() - posted
            card = _css(driver, card_css)[0]
            assert "unknown" in card.get_attribute("class").split()
            _wait(driver, lambda d: _image_loaded(d, card.find_element("css selector", "img.crop")))
            assert driver.execute_script("return document.body.dataset.beeps") is None  # no blacklist yet

            # Lists: blacklist the plate through the form; the API has it.
            _show(driver, "lists")
            form = _css(driver, "#list-form")[0]
            form.find_element("name", "plate_text").send_keys(plate)
            form.find_element("css selector", 'option[value="blacklist"]').click()
            form.find_element("css selector", "button[type=submit]").click()
            row_css = f'#list-rows tr[data-plate="{plate}"]'
            _wait(driver, lambda d: _css(d, f'{row_css}[data-status="blacklist"]'))
            statuses = server.request("GET", "/api/plate-status")["plate_statuses"]
            assert {"plate_text": plate, "status": "blacklist"} in statuses
            _css(driver, "#list-sync")[0].click()  # the stored detection takes the new list on
            _wait(driver, lambda d: _css(d, "#list-message")[0].text.startswith("Stored plates now"))
            stored = server.request("GET", f"/detections?search={plate}")["detections"]
            assert stored and {x["detection_details"]["plate_status"] for x in stored} == {"blacklist"}

            # The same car again: a red card and a beep.
            _show(driver, "live")
            server.upload((eu / "eu1.jpg").read_bytes())
            _wait(driver, lambda d: len(_css(d, card_css)) == 2, LIVE_WAIT_S)
            assert "blacklist" in _css(driver, card_css)[0].get_attribute("class").split()
            assert driver.execute_script("return document.body.dataset.beeps") == "1"
            _screens(driver, "live", shots)

            # Lists: move the entry to the whitelist, then remove it.
            _show(driver, "lists")
            _css(driver, f"{row_css} button.move")[0].click()
            _wait(driver, lambda d: _css(d, f'{row_css}[data-status="whitelist"]'))
            statuses = server.request("GET", "/api/plate-status")["plate_statuses"]
            assert {"plate_text": plate, "status": "whitelist"} in statuses
            _screens(driver, "lists", shots)
            _css(driver, f"{row_css} button.remove")[0].click()
            _wait(driver, lambda d: not _css(d, row_css))
            assert plate not in [x["plate_text"] for x in server.request("GET", "/api/plate-status")["plate_statuses"]]

            # History: a third car, then filter by the first plate; then by a plate never seen.
            other = _plate_of(server.upload((eu / "eu3.jpg").read_bytes(), location="Gate 2"))
            _show(driver, "history")
            everything = server.request("GET", "/detections")["count"]
            _wait(driver, lambda d: len(_css(d, "#history-rows tr")) == everything)
            search = _css(driver, '#history-form input[name="search"]')[0]
            search.send_keys(plate)
            search.submit()
            expected = server.request("GET", f"/detections?search={plate}")["count"]
            assert 2 <= expected < everything or other == plate
            _wait(driver, lambda d: len(_css(d, "#history-rows tr")) == expected)
            rows = _css(driver, "#history-rows tr")
            assert all(plate in r.get_attribute("data-plate") for r in rows)
            _screens(driver, "history", shots)
            search.clear()
            search.send_keys("QQ0000QQ")
            search.submit()
            _wait(driver, lambda d: not _css(d, "#history-rows tr"))
            assert _css(driver, "#history-count")[0].text == "no detections match"

            # A detection's images: the detail dialog with the plate crop, annotated and original images.
            search.clear()
            search.send_keys(plate)
            search.submit()
            _wait(driver, lambda d: len(_css(d, "#history-rows tr")) == expected)
            _css(driver, "#history-rows tr")[0].click()
            _wait(driver, lambda d: _css(d, "#detail")[0].get_attribute("open") is not None)
            _wait(driver, lambda d: _css(d, "#detail-title")[0].text == plate)
            for img in ("#detail-plate", "#detail-annotated", "#detail-original"):
                _wait(driver, lambda d, img=img: _image_at(d, img))
            _screens(driver, "detail", shots)
            _css(driver, '#detail button[value="close"]')[0].click()

            # Cameras: the streaming one with its frame and fps, the failing one with its error.
            _show(driver, "cameras")
            _wait(driver, lambda d: _image_at(d, '[data-line="gate1"] img.frame'))
            assert "12.5 / 5.0" in _text(driver, '[data-line="gate1"]')
            assert "connection refused" in _text(driver, '[data-line="gate2"]')
            _screens(driver, "cameras", shots)

            # Statistics: a month of earlier detections (stored as the API stores them), then the
            # totals as the API counts them, one bar per hour of the day, one dot per day.
            _seed_month(seed)
            _show(driver, "stats")
            stats = server.request("GET", "/api/statistics/dashboard?days=30")
            _wait(driver, lambda d: len(_css(d, "#chart-hourly rect.bar")) == 24)
            totals = [t.text.split("\n")[0] for t in _css(driver, "#stat-totals .total")]
            assert totals[0] == str(stats["totalDetections"]) and stats["totalDetections"] >= 63
            assert len(_css(driver, "#chart-trend circle.dot")) == 30
            assert len(_css(driver, "#chart-vehicles rect.bar")) == len(stats["vehicleDistribution"])
            _screens(driver, "stats", shots)

            # A camera's preview, then the same pass stored: one card, the stored one in its place.
            _show(driver, "live")
            bus = app[keys.BUS]
            seen = dict(camera_id="gate1", location="Gate 1", direction="entry", vehicle_type="car")
            bus.publish(LiveEvent("preview", "D777ZZ", 0.91, "whitelist", time_s=time.time(), **seen))
            pass_css = '#live-list li[data-plate="D777ZZ"]'
            _wait(driver, lambda d: [c.get_attribute("data-kind") for c in _css(d, pass_css)] == ["preview"])
            session = server.request("GET", "/detections?limit=1")["detections"][0]["session_id"]
            bus.publish(
                LiveEvent("detection", "D777ZZ", 0.95, "whitelist", time_s=time.time(), session_id=session, **seen)
            )
            _wait(driver, lambda d: [c.get_attribute("data-kind") for c in _css(d, pass_css)] == ["detection"])
            assert _css(driver, "#live-list li")[0].get_attribute("data-plate") == "D777ZZ"

            assert console_errors(driver) == []
            off_box = [u for u in requested_urls(driver) if not u.startswith((server.base + "/", "blob:", "data:"))]
            assert off_box == []
        finally:
            driver.quit()
    print(f"live card shown {seen_s * 1000:.0f} ms after the upload's response")


def test_dashboard_asks_for_the_key_once(config, repository, pipeline, datasets_dir):
    keyed = config.model_copy(update={"server": ServerConfig(api_key="write-secret", read_key="read-secret")})
    app = create_app(keyed, repository=repository, pipeline=pipeline, live_keepalive_s=1.0)
    with LiveServer(app) as server:
        driver = chromium_driver()
        try:
            driver.get(server.base + "/ui/")
            _wait(driver, lambda d: _css(d, "#key-dialog")[0].get_attribute("open") is not None)
            _css(driver, "#key-input")[0].send_keys("read-secret")  # reads need no more
            _css(driver, '#key-dialog button[value="save"]')[0].click()
            _wait(driver, lambda d: _css(d, "#link")[0].text == "live", UI_WAIT_S)  # SSE with the key
            body = server.upload((datasets_dir / "openalpr-eu" / "eu1.jpg").read_bytes(), key="write-secret")
            card_css = f'#live-list li[data-plate="{_plate_of(body)}"]'
            _wait(driver, lambda d: _css(d, card_css), LIVE_WAIT_S)
            _wait(driver, lambda d: _image_at(d, f"{card_css} img.crop"))  # fetched with the key
            driver.refresh()  # asked once: the key is remembered; the page opens on the stored detection
            _wait(driver, lambda d: _css(d, "#link")[0].text == "live")
            assert _css(driver, "#key-dialog")[0].get_attribute("open") is None
            stored_css = f'#live-list li[data-kind="stored"][data-plate="{_plate_of(body)}"]'
            _wait(driver, lambda d: _image_at(d, f"{stored_css} img.crop"))
            assert console_errors(driver, allowed=("401",)) == []
        finally:
            driver.quit()
