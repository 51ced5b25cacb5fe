"""Slow, idle and aborting clients cannot hold the API: header and body timeouts, a cap on
open connections, and aborted uploads that neither keep memory nor log tracebacks.

Deadlines below are generous upper bounds (the configured timeouts are 0.5-1 s, aiohttp's
default was an hour); nothing asserts how fast anything is.
"""

from __future__ import annotations

import gc
import io
import json
import socket
import struct
import sys
import time
from pathlib import Path

import pytest
import structlog
from live import LiveApi, get, read_all, status_of
from prometheus_client.parser import text_string_to_metric_families
from reliability_helpers import StubPipeline, jpeg, make_config

from alprd.log import configure_logging
from alprd.storage.repository import open_repository
from alprd.web.app import create_app

FAST = {"idle_timeout_s": 0.5, "body_timeout_s": 1.0, "max_connections": 8}


@pytest.fixture
def api(tmp_path: Path):
    cfg = make_config(tmp_path, **FAST)
    repo = open_repository(cfg)
    with LiveApi(create_app(cfg, repository=repo, pipeline=StubPipeline()), cfg.server) as live:
        yield live
    repo.db.close()


def _closed_within(sock: socket.socket, deadline_s: float) -> bool:
    """Drip a header byte every 0.1 s until the server hangs up (True) or the deadline passes."""
    end = time.monotonic() + deadline_s
    sock.settimeout(0.1)
    while time.monotonic() < end:
        try:
            sock.send(b"X")
            if sock.recv(1024) == b"":
                return True
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return True
    return False


def test_slowloris_headers_are_cut_off(api):
    with api.connect() as sock:
        sock.sendall(b"GET /api/plate-status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert _closed_within(sock, deadline_s=30)
    assert status_of(api.request(get("/api/plate-status"))) == 200


def test_an_idle_connection_is_closed(api):
    with api.connect(timeout_s=30) as sock:
        assert read_all(sock) == b""  # the server hung up without a request


def test_a_slow_body_gets_408(api):
    with api.connect(timeout_s=30) as sock:
        sock.sendall(
            b"POST /api/locations/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"name": '
        )
        answer = read_all(sock)
    assert status_of(answer) == 408


def test_a_slow_upload_gets_408(api):
    body = jpeg(320, 240)
    with api.connect(timeout_s=30) as sock:
        sock.sendall(
            b"POST /detect/image HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            b'Content-Length: %d\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n%s" % (len(body) + 200, body[:100])
        )
        answer = read_all(sock)
    assert status_of(answer) == 408


def _wait_open(live: LiveApi, count: int) -> None:
    """Until the server has accepted ``count`` connections (a deadline, not a measurement)."""
    end = time.monotonic() + 30
    while live.runner.open_connections != count:
        assert time.monotonic() < end, (live.runner.open_connections, count)
        time.sleep(0.01)


def _is_closed(sock: socket.socket) -> bool:
    """Whether the server has hung up on ``sock``, waiting up to its timeout for it."""
    return read_all(sock) == b""


def _still_open(sock: socket.socket) -> bool:
    """No hang-up (and no data) waiting on ``sock`` right now."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except ConnectionResetError:
        return False
    finally:
        sock.setblocking(True)


@pytest.fixture
def patient_api(tmp_path: Path):
    """The cap of 8, with an idle timeout (an hour) that never fires during a test: only the
    cap can close an idle connection here."""
    cfg = make_config(tmp_path, idle_timeout_s=3600, max_connections=FAST["max_connections"])
    repo = open_repository(cfg)
    with LiveApi(create_app(cfg, repository=repo, pipeline=StubPipeline()), cfg.server) as live:
        yield live
    repo.db.close()


def test_idle_sockets_at_the_cap_give_way_to_a_request(patient_api):
    """Sockets that never send a request fill the cap: a real request is still served, at
    once, and the oldest idle socket is the one closed for it."""
    idle = []
    try:
        for n in range(FAST["max_connections"]):
            idle.append(patient_api.connect())
            _wait_open(patient_api, n + 1)
        assert status_of(patient_api.request(get("/api/plate-status"))) == 200
        assert _is_closed(idle[0])
        assert all(_still_open(sock) for sock in idle[1:])
        assert patient_api.runner.evicted_connections == 1
        assert patient_api.runner.refused_connections == 0
    finally:
        for sock in idle:
            sock.close()
    counted = _connection_metrics(patient_api)  # in /metrics too
    assert counted["evicted"] >= 1 and counted["refused"] == 0


def test_the_longest_idle_keep_alive_connection_gives_way_first(patient_api):
    """Idle counts from the last answer on a kept-alive connection, not from when it opened."""
    kept = patient_api.connect()
    idle = [patient_api.connect()]
    try:
        _wait_open(patient_api, 2)
        kept.sendall(b"GET /api/plate-status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # keep-alive
        assert status_of(kept.recv(65536)) == 200
        for n in range(2, FAST["max_connections"]):
            idle.append(patient_api.connect())
            _wait_open(patient_api, n + 1)
        assert status_of(patient_api.request(get("/api/plate-status"))) == 200
        assert _is_closed(idle[0])  # opened after `kept`, but idle since before its answer
        assert _still_open(kept) and all(_still_open(sock) for sock in idle[1:])
    finally:
        for sock in [kept, *idle]:
            sock.close()


def _live_stream(live: LiveApi) -> socket.socket:
    """A connection inside a request that lasts: the live events stream, answered."""
    sock = live.connect()
    sock.sendall(b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    seen = b""
    while b"retry:" not in seen:
        chunk = sock.recv(4096)
        assert chunk, seen
        seen += chunk
    assert status_of(seen) == 200, seen
    return sock


def test_connections_over_the_cap_get_503_when_all_are_in_requests_and_the_api_recovers(patient_api):
    streams = [_live_stream(patient_api) for _ in range(FAST["max_connections"] - 1)]
    idle = patient_api.connect()
    try:
        _wait_open(patient_api, FAST["max_connections"])
        assert status_of(patient_api.request(get("/api/plate-status"))) == 200  # the idle one gave way
        assert _is_closed(idle)
        streams.append(_live_stream(patient_api))  # now every open connection is in a request
        answer = patient_api.request(get("/api/plate-status"))
        assert status_of(answer) == 503 and b"too many" in answer
        assert all(_still_open(sock) for sock in streams)
        assert patient_api.runner.refused_connections == 1
    finally:
        for sock in [*streams, idle]:
            sock.close()
    end = time.monotonic() + 30
    while status_of(patient_api.request(get("/api/plate-status"))) != 200:
        assert time.monotonic() < end, "the API did not recover after the streams closed"
        time.sleep(0.05)
    assert _connection_metrics(patient_api)["refused"] >= 1  # counted in /metrics too


def _connection_metrics(live: LiveApi) -> dict[str, float]:
    """alprd_api_connections_{refused,evicted} from the live /metrics."""
    body = live.request(get("/metrics"))
    text = body.split(b"\r\n\r\n", 1)[1].decode()
    samples = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
    return {k: samples[f"alprd_api_connections_{k}_total"] for k in ("evicted", "refused")}


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


def _aborted_upload(port: int, total_bytes: int, sent_bytes: int) -> None:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (
        b"POST /detect/image HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        b'Content-Length: %d\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" % total_bytes
    )
    sock.sendall(head + b"\xff" * sent_bytes)
    time.sleep(0.05)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, as a dropped link
    sock.close()


def test_aborted_uploads_hold_no_memory_and_log_no_traceback(tmp_path, monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    configure_logging("json")
    cfg = make_config(tmp_path, max_upload_mb=40, body_timeout_s=30)
    repo = open_repository(cfg)
    try:
        with LiveApi(create_app(cfg, repository=repo, pipeline=StubPipeline()), cfg.server) as live:
            rss = []
            for _round in range(3):
                for _ in range(8):
                    _aborted_upload(live.port, 30 * 2**20, 12 * 2**20)
                time.sleep(0.5)
                rss.append(_rss_mb())
            assert status_of(live.request(get("/api/plate-status"))) == 200
    finally:
        structlog.reset_defaults()
        repo.db.close()
    gc.collect()
    print("RSS after each round of 8 aborted 12 MB uploads (MB):", [round(x) for x in rss])
    assert rss[-1] - rss[0] < 48, rss  # three rounds of 96 MB sent; nothing piles up
    logged = out.getvalue()
    assert "Traceback" not in logged and '"level": "error"' not in logged, logged[-2000:]


def test_requests_the_http_parser_refuses_get_json_errors(api):
    for raw in (
        b"GET /api/plate-status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n",
        b"NOT-HTTP\r\n\r\n",
        b"GET /api/plate-status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n",
    ):
        answer = api.request(raw)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert status_of(answer) == 400, answer[:200]
        assert b"application/json" in head.lower() and json.loads(body)["detail"], answer[:300]
