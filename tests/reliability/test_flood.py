"""The cameras and the event writer keep storing while the API is flooded: hundreds of open
connections (churned) plus clients hammering reads and uploads, on a server process with
256 file descriptors. Every camera event is stored with its images, every acknowledged upload
is there, the API answers only 200 or 503 (over its connection cap) and serves again after.

Before the connection cap (issue 15, defect 6) the same flood took every descriptor: camera
events failed with "Too many open files" (``max_connections`` at its ceiling shows it).
Before idle connections gave way at the cap, the idle sockets held it: nearly every GET and
upload got 503 for the whole flood (2 answered of 7,615; 0-2 uploads acknowledged).
"""

from __future__ import annotations

import http.client
import json
import os
import resource
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from pathlib import Path

import pytest
from reliability_helpers import jpeg, upload

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
EVENTS = 200
MAX_CONNECTIONS = 64
# The server's descriptors: its cap, plus connections accepted over it and not yet closed
# (asyncio accepts up to the listen backlog, 128, per loop pass; each closes within about
# three passes), plus the database, the cameras' and the writer's files. The unit gives
# 8192 for a cap of 256; this keeps the same margin shape on a small scale.
NOFILE = 1024
IDLE_SOCKETS = 1500


def _start(base_dir: Path, max_connections: int) -> tuple[subprocess.Popen, int]:
    port_file = base_dir / "port"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(base_dir / "server.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "flood_server.py"), str(base_dir), str(port_file)]
            + [str(EVENTS), str(max_connections), str(NOFILE)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=env,
        )
    end = time.monotonic() + 60
    while not port_file.exists():
        assert proc.poll() is None, (base_dir / "server.log").read_text()[-3000:]
        assert time.monotonic() < end, "the server did not start"
        time.sleep(0.05)
    return proc, int(port_file.read_text())


class Flood:
    """Idle connections (the oldest replaced every 0.2 s) and clients looping over GETs and
    uploads, each on a new connection; what they got back is counted."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.stop = threading.Event()
        self.statuses: Counter[int | str] = Counter()
        self.acknowledged: list[int] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._idle)]
        self._threads += [threading.Thread(target=self._reader, args=(p,)) for p in ("/api/detections", "/metrics")]
        self._threads += [threading.Thread(target=self._uploader, args=(i,)) for i in range(2)]

    def __enter__(self) -> Flood:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self._threads:
            t.join(60)

    def _count(self, status: int | str) -> None:
        with self._lock:
            self.statuses[status] += 1

    def _idle(self) -> None:
        held: deque[socket.socket] = deque()
        try:
            while not self.stop.is_set():
                while len(held) < IDLE_SOCKETS:
                    try:
                        held.append(socket.create_connection(("127.0.0.1", self.port), timeout=5))
                    except OSError:
                        self._count("connect failed")
                        break
                for _ in range(min(200, len(held))):
                    held.popleft().close()
                self.stop.wait(0.2)
        finally:
            for sock in held:
                sock.close()

    def _reader(self, path: str) -> None:
        while not self.stop.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                self._count(resp.status)
            except (OSError, http.client.HTTPException):
                self._count("connection dropped")
            finally:
                conn.close()

    def _uploader(self, seed: int) -> None:
        body = jpeg(160 + 16 * seed, 120)
        while not self.stop.is_set():
            answer = upload(self.port, body)  # None: not acknowledged (503 or dropped)
            if answer is not None:
                with self._lock:
                    self.acknowledged.append(answer["session_id"])


def flood_while_cameras_run(base_dir: Path, max_connections: int) -> tuple[dict, Flood, int]:
    """Start the server, flood it, start its cameras, wait for the writer's stats; returns
    the stats, the flood's counts and the status of a GET once the flood has stopped."""
    proc, port = _start(base_dir, max_connections)
    try:
        with Flood(port) as flood:
            time.sleep(1.0)  # the flood is under way before the first camera event
            (base_dir / "go").touch()
            stats_file = base_dir / "stats.json"
            end = time.monotonic() + 180
            while not stats_file.exists() and time.monotonic() < end and proc.poll() is None:
                time.sleep(0.1)
        stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
        after = 0
        end = time.monotonic() + 30
        while after != 200 and time.monotonic() < end:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", "/api/detections")
                after = conn.getresponse().status
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
            finally:
                conn.close()
    finally:
        proc.kill()
        proc.wait()
    return stats, flood, after


@pytest.fixture(autouse=True)
def _enough_descriptors_for_the_flood():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = IDLE_SOCKETS + 200
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"the flood needs {need} open files in the test process; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_cameras_keep_storing_while_the_api_is_flooded(tmp_path):
    stats, flood, after = flood_while_cameras_run(tmp_path, MAX_CONNECTIONS)
    log = (tmp_path / "server.log").read_text()
    print("writer:", stats, "API answers:", dict(flood.statuses), "uploads acknowledged:", len(flood.acknowledged))
    assert stats == {"submitted": EVENTS, "stored": EVENTS, "failed": 0, "without_images": 0}, log[-3000:]
    assert '"api.idle_connection_closed"' in log, "the flood never reached the connection cap"
    # the idle sockets at the cap gave way: the clients were served during the flood
    assert flood.statuses[200] > flood.statuses[503] and flood.acknowledged, flood.statuses
    assert {s for s in flood.statuses if isinstance(s, int)} <= {200, 503}, flood.statuses
    assert after == 200
    assert "Too many open files" not in log and '"level": "error"' not in log, log[-3000:]
    db = sqlite3.connect(tmp_path / "data" / "alprd.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        cameras = db.execute("SELECT count(*) FROM detection_session WHERE camera_id != ''").fetchone()[0]
        stored = {row[0] for row in db.execute("SELECT id FROM detection_session")}
    finally:
        db.close()
    assert cameras == EVENTS
    assert [s for s in flood.acknowledged if s not in stored] == []
