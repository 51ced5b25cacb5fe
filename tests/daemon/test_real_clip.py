"""A real clip (../shared/videos, read by path) over RTSP to the real daemon, checked over REST.

The UK clip (one car driving toward the camera, 4.7 s) is transcoded to H.264 Matroska
in tmp and served by the GStreamer RTSP server. The server plays it once per connection,
so the daemon reconnects and sees the same car again every ~5 s: after three plays exactly
one detection must be stored (the later sightings fall in the dedupe window, or continue
the same track), with its image, and nothing else. The daemon runs its default reader.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
import yaml
from conftest import encode_h264, free_port, start_daemon
from test_daemon import Collector, http_json, is_event, log_reader, notify_reader

REPO = Path(__file__).resolve().parents[2]
CLIP = REPO.parent / "shared" / "videos" / "uk_junction_approach.mp4"
PLATE = "LS15EBC"

pytestmark = pytest.mark.skipif(not CLIP.is_file(), reason="../shared/videos not present")


def write_config(tmp_path: Path, rtsp_url: str, api_port: int) -> Path:
    config = {
        "server": {"host": "127.0.0.1", "port": api_port},
        "storage": {"database": str(tmp_path / "data" / "alprd.db"), "outputs_dir": str(tmp_path / "outputs")},
        "inference": {"models_dir": str(REPO / "models")},
        "log_format": "json",
        "cameras_dir": None,
        "cameras": {
            "junction": {"source": rtsp_url, "location": "Junction", "reconnect_min_s": 0.5, "reconnect_max_s": 1}
        },
    }
    path = tmp_path / "alprd.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_real_clip_over_rtsp_gives_one_stored_event(tmp_path, rtsp_server):
    clip = encode_h264(CLIP, tmp_path / "uk.mkv")
    server = rtsp_server({"junction": clip})
    port = free_port()
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    config = write_config(tmp_path, server.url("junction"), port)
    proc = start_daemon(config, tmp_path, NOTIFY_SOCKET=str(tmp_path / "notify.sock"))
    alive = lambda: proc.poll() is None  # noqa: E731
    logs = Collector(log_reader(proc.stderr), alive)
    notes = Collector(notify_reader(notify), alive)
    try:
        notes.wait(lambda m: "READY=1" in m.split("\n"), 180, "READY=1")
        logs.wait(is_event("event.stored", plate=PLATE), 90, f"{PLATE} stored")
        # the clip ends, the daemon reconnects and the server plays it again: the same car,
        # twice more, within the dedupe window
        mark = logs.mark()
        logs.wait(is_event("capture.connected"), 30, "the clip played again", since=mark)
        second = logs.mark()
        logs.wait(is_event("capture.connected"), 30, "the clip played a third time", since=second)
        logs.wait(is_event("capture.disconnected"), 30, "the third play over", since=logs.mark())
        time.sleep(1.0)
        _, lines = http_json(port, "/api/detect/lines")
        line = lines[0]
        assert line["frames_detected"] > 0 and line["latest_plate"] == PLATE
        assert line["events_unsure_dropped"] == 0 and line["events_duplicates_merged"] >= 0

        status, body = http_json(port, f"/detections?limit=10&search={PLATE}")
        assert status == 200 and body["count"] == 1, body
        details = body["detections"][0]["detection_details"]
        assert details["plate_text"] == PLATE and details["location"] == "Junction"
        assert (tmp_path / body["detections"][0]["file_path"].lstrip("/")).is_file()
        _, everything = http_json(port, "/detections?limit=50")
        assert [d["detection_details"]["plate_text"] for d in everything["detections"]] == [PLATE]  # no extra
        finals = [e for e in logs.items if e.get("event") == "event.final"]
        assert [e["plate"] for e in finals] == [PLATE]
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(60)
        proc.stderr.close()
        notify.close()
        print("\n".join(json.dumps(e) for e in logs.items[-60:]))
