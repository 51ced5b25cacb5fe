"""Helpers of the dashboard tests: the real web app on 127.0.0.1 in its own thread, and
Debian's headless Chromium driven by Selenium (chromedriver from the same package)."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from aiohttp import web

from alprd.config import ServerConfig
from alprd.web.server import start_api

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DESKTOP = (1440, 900)
PHONE = (390, 844)


class LiveServer:
    """``app`` served on 127.0.0.1 (a free port) by the daemon's own ``start_api``."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="ui-test-server", daemon=True)
        self.runner: web.AppRunner | None = None
        self.base = ""

    def __enter__(self) -> LiveServer:
        self.thread.start()
        self.runner = asyncio.run_coroutine_threadsafe(
            start_api(self.app, ServerConfig(host="127.0.0.1"), port=0), self.loop
        ).result(30)
        port = self.runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def request(self, method: str, path: str, *, key: str = "", body: bytes | None = None, content_type: str = ""):
        headers = {"X-API-Key": key} if key else {}
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())

    def upload(self, image: bytes, *, location: str = "Gate 1", key: str = "") -> dict[str, Any]:
        """POST /detect/image as a multipart form, as a client would."""
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="location"\r\n\r\n{location}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="car.jpg"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + image
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request(
            "POST", "/detect/image", key=key, body=body, content_type=f"multipart/form-data; boundary={boundary}"
        )


def chromium_driver():
    """Headless Chromium with its console and network logs kept; skips when not installed."""
    if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
        pytest.skip("Debian's chromium and chromium-driver are not installed (tools/test.sh installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    return webdriver.Chrome(options=options, service=service)


def requested_urls(driver) -> list[str]:
    """Every URL the page asked the network for (the DevTools performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def console_errors(driver, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """Console errors and warnings (a failed request, a script error, a CSP violation)."""
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] in ("SEVERE", "WARNING") and not any(a in e["message"] for a in allowed)
    ]


def set_viewport(driver, size: tuple[int, int]) -> None:
    """Emulate a screen of ``size`` CSS px (a phone when narrow: touch, mobile viewport)."""
    mobile = size[0] < 700
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": mobile},
    )


def save_screenshot(driver, path: Path, *, max_width: int = 1100) -> Path:
    """A PNG of the viewport, scaled to ``max_width`` so the docs stay small."""
    png = np.frombuffer(driver.get_screenshot_as_png(), np.uint8)
    image = cv2.imdecode(png, cv2.IMREAD_COLOR)
    if image.shape[1] > max_width:
        scale = max_width / image.shape[1]
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        from PIL import Image  # the training extra: 256 colours make the PNGs a third the size
    except ImportError:
        cv2.imwrite(str(path), image, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        return path
    rgb = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    rgb.quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path
