"""The real daemon against a real RTSP server: events, lists, images, REST, drops, sd_notify, SIGTERM.

One scenario, in order (the daemon's model compile is paid once):
1. clip A (two vehicles) over RTSP: exactly one final per pass, preview first, the
   right text and list status (one OCR confusion tolerated), images on disk, REST rows,
   a line test on the live frame; /api/events streamed each preview and stored detection
   and /metrics shows the camera; a gate action (a command) fired once for the whitelisted
   plate's pass (its preview; the final skipped as the same pass); SIGHUP adds a camera without touching the first;
2. the RTSP server is killed mid-stream and restarted with clip B: the drop is logged,
   the daemon reconnects and keeps reading;
3. the server is frozen (SIGSTOP): the stall is noticed within the read timeout;
4. SIGTERM while clip B's vehicle is being tracked: its final is still stored, exit 0;
   READY=1, WATCHDOG=1 and STOPPING=1 reached our NOTIFY_SOCKET.
"""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import sys
import threading
import time
import urllib.request
from contextlib import closing
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from conftest import free_port, render_h264, start_daemon

from alprd.ops.sample_clip import VehiclePass

REPO = Path(__file__).resolve().parents[2]
READ_TIMEOUT_S = 3.0
OCR_ENGINE = "ppocr"  # PP-OCRv4 recognition, put in place by 'alprd models fetch'; reads the rendered plates
PLATE_A1, PLATE_A2, PLATE_B = "B1234XYZ", "D4321AB", "AB77CD"
BLACKLISTED_AS = "D4321A8"  # one B<->8 confusion away from PLATE_A2


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("daemon-clips")
    a = render_h264(folder, "a", [VehiclePass(PLATE_A1, 8.0), VehiclePass(PLATE_A2, 14.0)], duration_s=70)
    b = render_h264(folder, "b", [VehiclePass(PLATE_B, 5.0)], duration_s=40)
    return a, b


class Collector:
    """Collects the daemon's JSON log lines, or datagrams of a NOTIFY_SOCKET, in a thread."""

    def __init__(self, read_item, alive=lambda: True) -> None:
        self.items: list = []
        self._read = read_item
        self._alive = alive
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._read()
            if item is None:
                return
            self.items.append(item)

    def mark(self) -> int:
        return len(self.items)

    def wait(self, predicate, timeout_s: float, what: str, since: int = 0):
        """The first item (from index ``since``) matching ``predicate``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = [x for x in list(self.items)[since:] if predicate(x)]
            if found:
                return found[0]
            if not self._alive():
                raise AssertionError(f"the daemon exited while waiting for {what}")
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def log_reader(stream):
    def read():
        line = stream.readline()
        if not line:
            return None
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            return {"event": "raw", "line": line.rstrip()}

    return read


def sse_reader(port: int):
    """The messages of GET /api/events as dicts (their JSON), read on a long-lived connection."""
    resp = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/events", timeout=120)
    assert resp.headers["Content-Type"] == "text/event-stream"

    def read():
        while True:
            line = resp.readline()
            if not line:
                return None  # the daemon ended the stream
            if line.startswith(b"data: "):
                return json.loads(line[6:])

    return read


def metric_samples(port: int) -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }


def notify_reader(sock: socket.socket):
    def read():
        try:
            return sock.recv(4096).decode()
        except OSError:
            return None

    return read


def is_event(name: str, **fields):
    return lambda e: e.get("event") == name and all(e.get(k) == v for k, v in fields.items())


def http_json(port: int, path: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, headers={"Content-Type": "application/json"} if data else {}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.loads(resp.read())


# The gate action's command: appends its arguments as one line to the file it is given.
APPEND_ARGS = "import sys; open(sys.argv[1], 'a').write(' '.join(sys.argv[2:]) + chr(10))"


def write_config(tmp_path: Path, rtsp_url: str, api_port: int) -> Path:
    config = {
        "server": {"host": "127.0.0.1", "port": api_port},
        "storage": {"database": str(tmp_path / "data" / "alprd.db"), "outputs_dir": str(tmp_path / "outputs")},
        "inference": {"models_dir": str(REPO / "models"), "ocr": {"engine": OCR_ENGINE}},
        "log_format": "json",
        "cameras_dir": None,
        "cameras": {
            "gate1": {
                "source": rtsp_url,
                "location": "Gate 1",
                "detect_fps": 5,
                "open_timeout_s": 5,
                "read_timeout_s": READ_TIMEOUT_S,
                "reconnect_min_s": 0.5,
                "reconnect_max_s": 2,
                "entry_direction": "right",
                "track_timeout_s": 1.0,
                "dedupe_window_s": 120,
            }
        },
        "actions": [
            {
                "name": "open-barrier",
                "when": {"list_status": ["whitelist"]},
                "command": [
                    sys.executable,
                    "-c",
                    APPEND_ARGS,
                    str(tmp_path / "barrier.log"),
                    "{event}",
                    "{plate_text}",
                ],
            }
        ],
    }
    path = tmp_path / "alprd.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_gate_daemon_end_to_end(tmp_path, clips, rtsp_server):
    clip_a, clip_b = clips
    server = rtsp_server({"gate": clip_a})
    api_port = free_port()
    config_path = write_config(tmp_path, server.url("gate").replace("rtsp://", "rtsp://op:pw123@"), api_port)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    proc = start_daemon(config_path, tmp_path, NOTIFY_SOCKET=str(tmp_path / "notify.sock"), WATCHDOG_USEC="2000000")
    alive = lambda: proc.poll() is None  # noqa: E731
    logs = Collector(log_reader(proc.stderr), alive)
    notes = Collector(notify_reader(notify), alive)
    try:
        run_scenario(proc, server, clip_b, api_port, logs, notes, tmp_path, config_path)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stderr.close()
        notify.close()
        print("\n".join(json.dumps(e) for e in logs.items[-80:]))  # shown when the test fails


def run_scenario(proc, server, clip_b, port, logs, notes, tmp_path, config_path):
    notes.wait(lambda m: "READY=1" in m.split("\n"), 180, "READY=1")
    # READY means the API socket is bound: it answers at once.
    status, lines = http_json(port, "/api/detect/lines")
    assert status == 200 and lines[0]["line_id"] == "gate1" and "pw123" not in json.dumps(lines)
    live = Collector(sse_reader(port))  # open all along, also at SIGTERM
    http_json(port, "/api/plate-status", {"plate_text": PLATE_A1, "status_type": "whitelist"})
    http_json(port, "/api/plate-status", {"plate_text": BLACKLISTED_AS, "status_type": "blacklist"})
    notes.wait(lambda m: m == "WATCHDOG=1", 10, "WATCHDOG=1")

    # 1. two vehicle passes -> one preview then one final each
    for plate in (PLATE_A1, PLATE_A2):
        logs.wait(is_event("event.final", plate=plate), 60, f"final event for {plate}")
    events = [(e["event"], e["plate"]) for e in logs.items if e.get("event") in ("event.preview", "event.final")]
    for plate in (PLATE_A1, PLATE_A2):
        kinds = [k for k, p in events if p == plate]
        assert kinds == ["event.preview", "event.final"], (plate, events)
    assert logs.wait(is_event("event.preview", plate=PLATE_A1), 1, "")["list_status"] == "whitelist"
    final_a2 = logs.wait(is_event("event.final", plate=PLATE_A2), 1, "")
    assert final_a2["list_status"] == "blacklist" and final_a2["direction"] == "entry"
    logs.wait(is_event("event.stored", plate=PLATE_A2), 10, "stored A2")

    status, body = http_json(port, "/detections?limit=10")
    rows = {d["detection_details"]["plate_text"]: d for d in body["detections"]}
    assert body["count"] == 2 and set(rows) == {PLATE_A1, PLATE_A2}
    assert rows[PLATE_A1]["detection_details"]["plate_status"] == "whitelist"
    assert rows[PLATE_A2]["detection_details"]["plate_status"] == "blacklist"
    assert rows[PLATE_A1]["detection_details"]["location"] == "Gate 1"
    for row in rows.values():
        for key in ("original_path", "annotated_path", "file_path"):
            assert (tmp_path / row[key].lstrip("/")).is_file(), row[key]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{row['original_path']}", timeout=10) as resp:
            assert resp.status == 200 and resp.read(2) == b"\xff\xd8"  # a JPEG
    _, lines = http_json(port, "/api/detect/lines")
    assert lines[0]["connected"] and lines[0]["fps_analysed"] > 0 and lines[0]["fps_in"] > 10
    assert lines[0]["latest_plate"] == PLATE_A2 and lines[0]["latest_plate_status"] == "blacklist"
    status, tested = http_json(port, "/api/detect/line/gate1/test")  # a real detection on the live frame
    check_live_events_and_metrics(port, live)
    check_gate_action(port, logs, tmp_path)
    assert status == 200 and tested["image_resolution"] == "640x360"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/detect/line/gate1/frame", timeout=10) as resp:
        frame = cv2.imdecode(np.frombuffer(resp.read(), np.uint8), cv2.IMREAD_COLOR)  # the camera's newest frame
    assert frame is not None and frame.shape[:2] == (360, 640)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/ui/", timeout=10) as resp:
        assert resp.headers.get_content_type() == "text/html" and b"main.js" in resp.read()  # the dashboard

    # SIGHUP: a camera added to the config starts, the running one is not touched
    config = yaml.safe_load(config_path.read_text())
    config["cameras"]["gate2"] = {"source": "rtsp://127.0.0.1:9/none", "location": "Gate 2", "open_timeout_s": 1}
    config_path.write_text(yaml.safe_dump(config))
    connects = len([e for e in logs.items if is_event("capture.connected", camera="gate1")(e)])
    proc.send_signal(signal.SIGHUP)
    reloaded = logs.wait(is_event("daemon.reloaded"), 15, "the reload")
    assert reloaded["added"] == ["gate2"] and reloaded["unchanged"] == ["gate1"] and not reloaded["restarted"]
    _, lines = http_json(port, "/api/detect/lines")
    assert {x["line_id"]: x["connected"] for x in lines} == {"gate1": True, "gate2": False}
    assert len([e for e in logs.items if is_event("capture.connected", camera="gate1")(e)]) == connects

    # 2. the camera drops mid-stream and comes back with another clip
    mark = logs.mark()
    server.kill()
    lost = logs.wait(
        lambda e: e.get("event") in ("capture.disconnected", "capture.stalled"),
        READ_TIMEOUT_S + 5,
        "the drop logged",
        since=mark,
    )
    assert lost["level"] == "warning"
    logs.wait(is_event("capture.reconnecting"), 5, "a reconnect attempt", since=mark)
    server.start({"gate": clip_b})
    logs.wait(is_event("capture.connected"), 30, "reconnected", since=mark)

    # 3. a frozen stream is noticed within its read timeout
    mark = logs.mark()
    server.freeze()
    # (the wait's deadline bounds how long noticing may take; the stall rule itself is
    # tested on a fake clock in tests/capture/test_reader.py)
    stalled = logs.wait(is_event("capture.stalled"), READ_TIMEOUT_S + 5, "the stall noticed", since=mark)
    assert stalled["waited_s"] >= READ_TIMEOUT_S * 0.85
    server.resume()
    logs.wait(is_event("capture.connected"), 30, "reconnected after the stall", since=mark)

    # 4. SIGTERM while clip B's vehicle is in view: its event is not lost
    logs.wait(is_event("event.preview", plate=PLATE_B), 60, f"preview of {PLATE_B}")
    live.wait(lambda m: (m["event"], m["plate_text"]) == ("preview", PLATE_B), 5, f"preview of {PLATE_B} streamed")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    time.sleep(0.3)
    assert "STOPPING=1" in "\n".join(notes.items)
    live._thread.join(10)  # the stream ended with the API, before the flushed final was stored
    assert not live._thread.is_alive() and ("detection", PLATE_B) not in [
        (m["event"], m["plate_text"]) for m in live.items
    ]
    names = [e.get("event") for e in logs.items]
    assert names.index("daemon.stopping") < names.index("daemon.stopped")
    final_b = next(i for i, e in enumerate(logs.items) if is_event("event.final", plate=PLATE_B)(e))
    assert names.index("daemon.stopping") < final_b  # in flight at SIGTERM, flushed on the way out
    finals = [e["plate"] for e in logs.items if e.get("event") == "event.final"]
    assert sorted(finals) == sorted([PLATE_A1, PLATE_A2, PLATE_B])  # exactly one per pass
    assert all("pw123" not in json.dumps(e) for e in logs.items)
    assert [e["line"] for e in logs.items if e["event"] == "raw"] == []  # stderr is pure JSON lines

    with closing(sqlite3.connect(tmp_path / "data" / "alprd.db")) as db:
        plates = [r[0] for r in db.execute("SELECT plate_text FROM plate ORDER BY id")]
        sessions = db.execute("SELECT COUNT(*) FROM detection_session").fetchone()[0]
    assert plates == [PLATE_A1, PLATE_A2, PLATE_B] and sessions == 3


def check_gate_action(port: int, logs: Collector, tmp_path: Path) -> None:
    """The whitelisted plate's pass ran the command once (its preview); its final was skipped."""
    fired = logs.wait(is_event("action.fired", plate=PLATE_A1), 10, "the action fired")
    logs.wait(is_event("action.skipped", plate=PLATE_A1, reason="duplicate"), 10, "the final skipped")
    print(f"gate action: preview -> command done in {fired['latency_ms']} ms (bus publish to exit)")
    assert (tmp_path / "barrier.log").read_text() == f"preview {PLATE_A1}\n"
    got = metric_samples(port)
    action = (("action", "open-barrier"),)
    assert got["alprd_action_fired_total", action] == 1 and got["alprd_action_failed_total", action] == 0
    assert got["alprd_action_skipped_total", (*action, ("reason", "duplicate"))] == 1


def check_live_events_and_metrics(port: int, live: Collector) -> None:
    """The SSE stream carried each pass (preview, then the stored detection); /metrics shows the camera."""
    for plate in (PLATE_A1, PLATE_A2):
        live.wait(lambda m, p=plate: m["event"] == "detection" and m["plate_text"] == p, 10, f"{plate} streamed")
    seen = [(m["event"], m["plate_text"]) for m in live.items]
    for plate in (PLATE_A1, PLATE_A2):
        assert [k for k, p in seen if p == plate] == ["preview", "detection"], seen
    a2 = next(m for m in live.items if m["event"] == "detection" and m["plate_text"] == PLATE_A2)
    assert (a2["camera_id"], a2["list_status"], a2["direction"], a2["location"]) == (
        "gate1",
        "blacklist",
        "entry",
        "Gate 1",
    )
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{a2['plate_image_url']}", timeout=10) as resp:
        assert resp.status == 200 and resp.read(2) == b"\xff\xd8"
    got = metric_samples(port)
    cam = (("camera", "gate1"),)
    assert got["alprd_camera_fps_in", cam] > 10 and got["alprd_camera_fps_analysed", cam] > 0
    assert got["alprd_inference_latency_seconds_count", cam] > 0
    assert got["alprd_events_total", (("kind", "detection"),)] == 2
    assert got["alprd_events_total", (("kind", "preview"),)] == 2
    assert got["alprd_live_clients", ()] == 1 and got["alprd_writer_queue_depth", ()] == 0
    assert got["alprd_database_size_bytes", ()] > 0


@pytest.mark.parametrize(("cameras", "hint"), [(1, "LATENCY"), (2, "THROUGHPUT")])
def test_the_daemons_models_get_the_hint_for_its_cameras(tmp_path, cameras, hint):
    """The composition root gives every model OpenVINO's hint for the cameras configured
    at start ('auto'): THROUGHPUT from two on."""
    from alprd.config import Config
    from alprd.daemon import _build_pipeline

    config = Config.model_validate(
        {
            "base_dir": tmp_path,
            "storage": {"database": str(tmp_path / "alprd.db")},
            "inference": {"models_dir": str(REPO / "models"), "device": "CPU"},
            "cameras_dir": None,
            "cameras": {f"gate{i}": {"source": f"rtsp://127.0.0.1:9/{i}"} for i in range(cameras)},
        }
    )
    pipeline = _build_pipeline(config)
    assert pipeline.plates._model.performance_hint == hint
    assert pipeline.vehicles._backend._model.performance_hint == hint
