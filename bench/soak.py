"""Soak: the real daemon with N RTSP cameras, API reads and uploads for a long time.

Every --sample-s the daemon's RSS and open files are sampled; at the end (SIGTERM, clean
stop) every ``event.final`` the daemon logged is looked up in the database (0 lost is the
goal) and every acknowledged upload too. RSS and open files should stay flat.

    nice -n 10 python bench/soak.py --cameras 8 --minutes 30      # the issue-15 soak
    nice -n 10 python bench/soak.py --cameras 1 --minutes 2       # a smoke run

Needs what bench/daemon.py needs (GStreamer RTSP server packages, models in place).
"""

from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import cv2
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemon import (  # noqa: E402
    REPO,
    RtspServer,
    _wait_ready,
    free_port,
    render_clip,
    start_daemon,
    upload_request,
    write_config,
)

READS = ("/detections?limit=50", "/api/detect/lines", "/api/statistics/dashboard", "/api/plate-status")


def api_reader(port: int, stop: threading.Event, stats: dict) -> None:
    i = 0
    while not stop.is_set():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{READS[i % len(READS)]}", timeout=20) as resp:
                resp.read()
            stats["reads_ok"] += 1
        except urllib.error.HTTPError as exc:
            stats["reads_5xx" if exc.code >= 500 else "reads_4xx"] += 1
        except OSError:
            stats["reads_failed"] += 1
        i += 1
        stop.wait(0.05)


def uploader(port: int, jpeg: bytes, stop: threading.Event, stats: dict, every_s: float) -> None:
    while not stop.wait(every_s):
        req = upload_request(port, jpeg)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                stats["upload_ids"].append(json.loads(resp.read())["session_id"])
        except urllib.error.HTTPError as exc:
            stats["uploads_5xx" if exc.code >= 500 else "uploads_4xx"] += 1
        except OSError:
            stats["uploads_failed"] += 1


def first_frame_jpeg(clip: Path, at_s: float = 3.0) -> bytes:
    cap = cv2.VideoCapture(str(clip))
    cap.set(cv2.CAP_PROP_POS_MSEC, at_s * 1000)
    ok, frame = cap.read()
    cap.release()
    assert ok, f"cannot read {clip}"
    return cv2.imencode(".jpg", frame)[1].tobytes()


def soak(
    cameras: int, minutes: float, sample_s: float, upload_every_s: float, work: Path, text_plates: bool = False
) -> dict:
    seconds = minutes * 60
    clip = render_clip(work, 1280, 720, 60.0)  # the RTSP server loops it
    folder = Path(tempfile.mkdtemp(prefix="soak_", dir=work))
    server = RtspServer(free_port(), {f"cam{i + 1}": clip for i in range(cameras)}).start()
    port = free_port()
    inference = {"text_plates": {"enabled": True}} if text_plates else None
    config = write_config(folder, [server.url(f"cam{i + 1}") for i in range(cameras)], port, 5.0, "plate", inference)
    proc, notify, logs = start_daemon(config, folder)
    stats = {k: 0 for k in ("reads_ok", "reads_4xx", "reads_5xx", "reads_failed")}
    stats |= {"uploads_4xx": 0, "uploads_5xx": 0, "uploads_failed": 0, "upload_ids": []}
    samples: list[tuple[float, float, int]] = []
    stop = threading.Event()
    try:
        _wait_ready(notify, proc, logs)
        daemon = psutil.Process(proc.pid)
        workers = [
            threading.Thread(target=api_reader, args=(port, stop, stats), daemon=True),
            threading.Thread(
                target=uploader, args=(port, first_frame_jpeg(clip), stop, stats, upload_every_s), daemon=True
            ),
        ]
        for w in workers:
            w.start()
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            samples.append((time.monotonic() - started, daemon.memory_info().rss / 2**20, daemon.num_fds()))
            time.sleep(sample_s)
        stop.set()
        for w in workers:
            w.join(90)
    finally:
        stop.set()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        server.kill()
        notify.close()
    finals = [e for e in logs if e.get("event") == "event.final"]
    db = sqlite3.connect(folder / "data" / "alprd.db")
    camera_rows = db.execute("SELECT COUNT(*) FROM detection_session WHERE source = 'camera'").fetchone()[0]
    stored_ids = {r[0] for r in db.execute("SELECT id FROM detection_session")}
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    rss = [s[1] for s in samples]
    fds = [s[2] for s in samples]
    third = max(1, len(samples) // 3)
    return {
        "cameras": cameras,
        "minutes": minutes,
        "exit_code": proc.returncode,
        "events_final": len(finals),
        "events_stored": camera_rows,
        "events_lost": len(finals) - camera_rows,
        "uploads_acknowledged": len(stats["upload_ids"]),
        "uploads_lost": sum(1 for i in stats["upload_ids"] if i not in stored_ids),
        **{k: v for k, v in stats.items() if k != "upload_ids"},
        "rss_mb_first_third_max": round(max(rss[:third]), 1) if rss else None,
        "rss_mb_last_third_max": round(max(rss[-third:]), 1) if rss else None,
        "open_files_first_third_max": max(fds[:third]) if fds else None,
        "open_files_last_third_max": max(fds[-third:]) if fds else None,
        "rss_mb_max_by_minute": _max_by_minute(samples, 1),
        "open_files_max_by_minute": _max_by_minute(samples, 2),
        "integrity_check": integrity,
        "errors": [e for e in logs if e.get("level") == "error"][:3],
    }


def _max_by_minute(samples: list[tuple[float, float, int]], column: int) -> list[float]:
    """The largest sample of each minute (of RSS or open files): flat, or where it climbs."""
    by_minute: dict[int, float] = {}
    for sample in samples:
        minute = int(sample[0] // 60)
        by_minute[minute] = max(by_minute.get(minute, 0.0), float(sample[column]))
    return [round(by_minute[m], 1) for m in sorted(by_minute)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--sample-s", type=float, default=10.0)
    parser.add_argument("--upload-every-s", type=float, default=2.0)
    parser.add_argument("--text-plates", choices=("on", "off"), default="off", help="inference.text_plates.enabled")
    args = parser.parse_args(argv)
    work = REPO / "bench" / "_work"
    work.mkdir(parents=True, exist_ok=True)
    result = soak(args.cameras, args.minutes, args.sample_s, args.upload_every_s, work, args.text_plates == "on")
    print(json.dumps(result, indent=2))
    return 0 if result["events_lost"] == 0 and result["uploads_lost"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
