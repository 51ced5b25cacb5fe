"""Gemini verifier against a local fake HTTP server on 127.0.0.1 (never Google)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pytest

from alprd.config import GeminiConfig
from alprd.domain.messages import OcrResult
from alprd.vision.gemini import (
    Breaker,
    GeminiError,
    GeminiVerifier,
    build_request,
    encode_crop,
    merge,
    parse_response,
)

LOCAL = OcrResult("B1Z34XY", 0.41, (0.9, 0.9, 0.2, 0.9, 0.9, 0.9, 0.9), (("B1Z34XY", 0.41), ("B1234XY", 0.3)), "ppocr")


def answer(text: str) -> dict:
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}}]}


class FakeGemini(BaseHTTPRequestHandler):
    """Answers by the scenario the test set on the server; records each request."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        server = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server.requests.append((self.path, self.headers, json.loads(body)))
        status, payload, delay = server.scenario
        if isinstance(delay, threading.Event):
            delay.wait(10)  # hold the answer until the test releases it
        else:
            time.sleep(delay)
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def fake() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGemini)
    server.requests, server.scenario = [], (200, answer('{"plate": "B 1234 XY", "confidence": 0.97}'), 0.0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def verifier(server: ThreadingHTTPServer, timeout_s: float = 2.0) -> GeminiVerifier:
    config = GeminiConfig(
        enabled=True,
        api_key_env="ALPRD_TEST_GEMINI_KEY",
        model="gemini-test",
        base_url=f"http://127.0.0.1:{server.server_port}",
        timeout_s=timeout_s,
    )
    made = GeminiVerifier.from_config(config, {"ALPRD_TEST_GEMINI_KEY": "k-123"})
    assert made is not None
    return made


def crop() -> np.ndarray:
    img = np.full((60, 240, 3), 255, np.uint8)
    cv2.putText(img, "B 1234 XY", (8, 45), cv2.FONT_HERSHEY_DUPLEX, 1.3, (0, 0, 0), 3)
    return img


def test_a_cloud_read_replaces_the_unsure_local_one(fake: ThreadingHTTPServer) -> None:
    result = verifier(fake)(crop(), LOCAL)
    assert result.text == "B1234XY" and result.confidence == pytest.approx(0.97)
    assert result.engine == "ppocr+gemini"
    assert result.candidates[0] == ("B1234XY", 0.97) and ("B1Z34XY", 0.41) in result.candidates
    ((path, headers, body),) = fake.requests
    assert path == "/v1beta/models/gemini-test:generateContent"
    assert headers.get("x-goog-api-key") == "k-123"  # header names are case-insensitive
    parts = body["contents"][0]["parts"]
    assert "B1Z34XY" in parts[0]["text"]
    jpeg = np.frombuffer(base64.b64decode(parts[1]["inline_data"]["data"]), np.uint8)
    assert cv2.imdecode(jpeg, cv2.IMREAD_COLOR).shape == (60, 240, 3)
    assert body["generationConfig"]["responseMimeType"] == "application/json"


@pytest.mark.parametrize(
    "scenario",
    [
        (500, {"error": {"code": 500, "message": "internal"}}, 0.0),
        (429, {"error": {"code": 429, "message": "quota"}}, 0.0),
        (200, b"<html>not json</html>", 0.0),
        (200, answer("I think it says B1234XY"), 0.0),
        (200, {"candidates": []}, 0.0),
    ],
)
def test_failures_keep_the_local_read(fake: ThreadingHTTPServer, scenario: tuple) -> None:
    fake.scenario = scenario
    assert verifier(fake)(crop(), LOCAL) == LOCAL
    assert len(fake.requests) == 1


def test_a_timeout_keeps_the_local_read_before_the_server_answers(fake: ThreadingHTTPServer) -> None:
    release = threading.Event()  # the server holds its (different) answer until this is set
    fake.scenario = (200, answer('{"plate": "B1234XY"}'), release)
    try:
        # Only a client that gives up at its timeout can return while the answer is held.
        assert verifier(fake, timeout_s=0.3)(crop(), LOCAL) == LOCAL
        assert len(fake.requests) == 1
    finally:
        release.set()


def test_nothing_listening_keeps_the_local_read() -> None:
    v = GeminiVerifier("k", base_url="http://127.0.0.1:9", timeout_s=0.5)
    assert v(crop(), LOCAL) == LOCAL


def test_from_config_needs_enabled_and_a_key() -> None:
    assert GeminiVerifier.from_config(GeminiConfig(enabled=False), {"GEMINI_API_KEY": "k"}) is None
    assert GeminiVerifier.from_config(GeminiConfig(enabled=True), {}) is None
    made = GeminiVerifier.from_config(GeminiConfig(enabled=True, timeout_s=3), {"GEMINI_API_KEY": "k"})
    assert made is not None and made.timeout_s == 3
    assert made.url == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ('{"plate": "b 1234-xy", "confidence": 0.8}', ("B1234XY", 0.8)),
        ('```json\n{"plate": "AB12"}\n```', ("AB12", 0.9)),
        ('{"plate": "", "confidence": 2}', ("", 1.0)),
    ],
)
def test_parse_response(text: str, parsed: tuple[str, float]) -> None:
    assert parse_response(answer(text)) == parsed


def test_parse_response_rejects_bad_answers() -> None:
    for body in ({}, answer("[1, 2]"), answer('{"confidence": 1}')):
        with pytest.raises(GeminiError):
            parse_response(body)


def test_merge() -> None:
    assert merge(LOCAL, "", 0.9) is LOCAL
    same = merge(LOCAL, "B1Z34XY", 0.95)
    assert same.text == LOCAL.text and same.confidence == 0.95 and same.char_confidences == LOCAL.char_confidences


def test_request_and_crop_encoding() -> None:
    wide = np.zeros((100, 1280, 3), np.uint8)
    decoded = cv2.imdecode(np.frombuffer(base64.b64decode(encode_crop(wide)), np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (50, 640, 3)
    body = build_request("QUJD", "X1")
    assert body["generationConfig"]["temperature"] == 0 and "X1" in body["contents"][0]["parts"][0]["text"]


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


def test_a_failure_pauses_cloud_calls_for_the_cooldown(fake: ThreadingHTTPServer) -> None:
    clock = FakeClock()
    v = replace(verifier(fake), breaker=Breaker(30.0, clock))
    fake.scenario = (503, {"error": {"code": 503}}, 0.0)
    assert v(crop(), LOCAL) == LOCAL and len(fake.requests) == 1
    fake.scenario = (200, answer('{"plate": "B1234XY", "confidence": 0.95}'), 0.0)
    clock.now_s += 29.0
    assert v(crop(), LOCAL) == LOCAL and len(fake.requests) == 1  # paused: not asked
    clock.now_s += 2.0
    assert v(crop(), LOCAL).text == "B1234XY" and len(fake.requests) == 2
    assert v.breaker.allows()
