"""Gate daemon benchmark: N RTSP cameras (720p, 25 fps) against the real daemon.

For N in --cameras (default 1 2 4 8): a GStreamer RTSP server on 127.0.0.1 serves the
same rendered H.264 clip on N mount points, the daemon (``python -m alprd run``, from this
checkout) reads all of them, and after a warm-up this script samples for --seconds.
The clip is the --scene: ``gate`` (a vehicle with a distinct Indonesian plate every 5 s),
``busy`` (one every 2.5 s: always a vehicle in view) or ``idle`` (no vehicle; sensor
noise in every frame, as a real camera has). ``--motion off`` turns the motion gate off
(every frame due at detect_fps goes through the detectors, as before the gate had it);
``--regions on off`` runs each camera count with the plate detector on the motion regions
(``motion.regions``) and on the whole frame, one after the other. Sampled:

* analysed fps per camera (``/api/detect/lines`` fps_analysed, mean over the window),
* frames dropped per camera in the window (inference behind capture),
* preview latency p50/p95: frame read time -> ``event.preview`` (the daemon's log),
* CPU (% of one core, the daemon process) and peak RSS,
* the share of analysed frames the detectors ran on (the rest: no motion), and of those
  the share looked at in regions only (whole run, from the daemon's ``inference.stopped``).

    nice -n 10 python bench/daemon.py --cameras 1 2 4 8 --seconds 40
    nice -n 10 python bench/daemon.py --scene idle --cameras 1 8 --motion off

Needs the Debian GStreamer packages tools/test.sh installs and the models in place.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import psutil
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "daemon"))
from conftest import RtspServer, encode_h264, free_port, render_h264  # noqa: E402
from conftest import start_daemon as launch_daemon  # noqa: E402

from alprd.ops.sample_clip import VehiclePass  # noqa: E402

PLATES = [
    "B1234XYZ",
    "D4321AB",
    "AB77CD",
    "F1010GH",
    "L8080KM",
    "N5150PQ",
    "H2468RS",
    "AD1357TU",
    "E9001VW",
    "AG4242ZZ",
    "K3003AA",
    "W7007BB",
]


SCENE_PERIOD_S = {"gate": 5.0, "busy": 2.5}
IDLE_NOISE = 4  # +/- grey levels of sensor noise per pixel and frame in the idle scene


def render_clip(folder: Path, width: int, height: int, duration_s: float, scene: str = "gate") -> Path:
    """The benchmark clip of a scene (reused when one of this size and length exists)."""
    name = f"bench_{scene}_{width}x{height}_{int(duration_s)}s"
    if (folder / f"{name}.mkv").is_file():
        return folder / f"{name}.mkv"
    if scene == "idle":
        return encode_h264(_render_idle(folder / f"{name}.avi", width, height, duration_s), folder / f"{name}.mkv")
    period_s = SCENE_PERIOD_S[scene]
    passes = [VehiclePass(PLATES[i % len(PLATES)], 1.0 + period_s * i) for i in range(int(duration_s // period_s))]
    return render_h264(folder, name, passes, width=width, height=height, duration_s=duration_s)


def _render_idle(path: Path, width: int, height: int, duration_s: float, fps: float = 25.0) -> Path:
    """The empty road of the sample clips, with fresh sensor noise in every frame."""
    import cv2
    import numpy as np

    from alprd.ops.sample_clip import frames

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    rng = np.random.default_rng(1)
    try:
        for img in frames([], width, height, fps, duration_s):
            noise = rng.integers(-IDLE_NOISE, IDLE_NOISE + 1, size=img.shape[:2] + (1,), dtype=np.int16)
            writer.write(np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8))
    finally:
        writer.release()
    return path


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def write_config(
    folder: Path,
    urls: list[str],
    api_port: int,
    detect_fps: float,
    ocr_engine: str,
    inference: dict | None = None,
    motion: bool = True,
    regions: bool = True,
) -> Path:
    """The daemon's YAML; ``inference``: sections to set (``plate_detector``, ``vehicle_detector``)."""
    config = {
        "server": {"host": "127.0.0.1", "port": api_port},
        "storage": {"database": str(folder / "data" / "alprd.db"), "outputs_dir": str(folder / "outputs")},
        "inference": {
            "models_dir": str(REPO / "models"),
            "ocr": {"engine": ocr_engine},
            **(inference or {}),
        },
        "log_format": "json",
        "cameras_dir": None,
        "cameras": {
            f"cam{i + 1}": {
                "source": url,
                "location": f"Gate {i + 1}",
                "detect_fps": detect_fps,
                "dedupe_window_s": 60,
                "track_timeout_s": 1.0,
                "motion": {"enabled": motion, "regions": regions},
            }
            for i, url in enumerate(urls)
        },
    }
    path = folder / "alprd.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def get_json(port: int, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=20) as resp:
        return json.loads(resp.read())


def upload_request(port: int, jpeg: bytes, filename: str = "f.jpg") -> urllib.request.Request:
    """A ``POST /detect/image`` of one JPEG (multipart form, field ``file``)."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    )
    return urllib.request.Request(
        f"http://127.0.0.1:{port}/detect/image",
        data=head.encode() + jpeg + f"\r\n--{boundary}--\r\n".encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def try_get_json(port: int, path: str, stats: dict):
    """The JSON of ``path``, or None (counted) when the API did not answer in time."""
    started = time.monotonic()
    try:
        body = get_json(port, path)
    except OSError:
        stats["api_timeouts"] += 1
        return None
    stats["api_ms"].append((time.monotonic() - started) * 1000)
    return body


def run_once(
    n: int,
    clip: Path,
    seconds: float,
    warmup_s: float,
    detect_fps: float,
    work: Path,
    ocr_engine: str,
    inference: dict | None = None,
    motion: bool = True,
    regions: bool = True,
) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"daemon{n}_", dir=work))
    server = RtspServer(free_port(), {f"cam{i + 1}": clip for i in range(n)}).start()
    api_port = free_port()
    config = write_config(
        folder,
        [server.url(f"cam{i + 1}") for i in range(n)],
        api_port,
        detect_fps,
        ocr_engine,
        inference,
        motion,
        regions,
    )
    proc, notify, logs = start_daemon(config, folder)
    try:
        _wait_ready(notify, proc, logs)
        time.sleep(warmup_s)
        daemon = psutil.Process(proc.pid)
        daemon.cpu_percent(None)
        start_lines = {x["line_id"]: x for x in _retry(lambda: get_json(api_port, "/api/detect/lines"))}
        start_logs = len(logs)
        fps: dict[str, list[float]] = {cid: [] for cid in start_lines}
        rss_peak = 0
        api = {"api_timeouts": 0, "api_ms": []}
        load_start = os.getloadavg()[0]
        t_end = time.monotonic() + seconds
        while time.monotonic() < t_end:
            time.sleep(1.0)
            for line in try_get_json(api_port, "/api/detect/lines", api) or []:
                fps[line["line_id"]].append(line["fps_analysed"])
            rss_peak = max(rss_peak, daemon.memory_info().rss)
        cpu = daemon.cpu_percent(None)
        end_lines = {x["line_id"]: x for x in _retry(lambda: get_json(api_port, "/api/detect/lines"))}
        window = logs[start_logs:]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        server.kill()
        notify.close()
    time.sleep(0.5)  # the last log lines (inference.stopped) to be read
    stopped = [e for e in logs if e.get("event") == "inference.stopped"]
    detected_all = sum(e.get("detected", 0) for e in stopped)
    latencies = [e["latency_ms"] for e in window if e.get("event") == "event.preview"]
    per_cam_fps = {cid: statistics.mean(v) if v else 0.0 for cid, v in fps.items()}
    dropped = {cid: end_lines[cid]["frames_dropped"] - start_lines[cid]["frames_dropped"] for cid in start_lines}
    detected = sum(end_lines[c]["frames_detected"] - start_lines[c]["frames_detected"] for c in start_lines)
    skipped = sum(
        end_lines[c]["frames_skipped_no_motion"] - start_lines[c]["frames_skipped_no_motion"] for c in start_lines
    )
    return {
        "cameras": n,
        "motion_gate": motion,
        "regions": regions,
        "in_regions_share": round(sum(e.get("in_regions", 0) for e in stopped) / detected_all, 3)
        if detected_all
        else None,
        "detected_share": round(detected / (detected + skipped), 3) if detected + skipped else None,
        "cpu_percent_per_camera": round(cpu / n, 1),
        "analysed_fps_per_camera_mean": round(statistics.mean(per_cam_fps.values()), 2),
        "analysed_fps_per_camera_min": round(min(per_cam_fps.values()), 2),
        "fps_in_per_camera_mean": round(statistics.mean(x["fps_in"] for x in end_lines.values()), 1),
        "dropped_per_camera_per_s": round(statistics.mean(dropped.values()) / seconds, 2),
        "previews": len(latencies),
        "finals": sum(1 for e in window if e.get("event") == "event.final"),
        "preview_latency_ms_p50": _round(percentile(latencies, 0.5)),
        "preview_latency_ms_p95": _round(percentile(latencies, 0.95)),
        "cpu_percent_of_one_core": round(cpu, 1),
        "rss_peak_mb": round(rss_peak / 2**20, 1),
        "api_lines_ms_p95": _round(percentile(api["api_ms"], 0.95)),
        "api_timeouts": api["api_timeouts"],
        "load_average_1min_at_start": round(load_start, 2),
        "errors": [e for e in logs if e.get("level") == "error"][:3],
    }


def _retry(call, attempts: int = 5):
    for attempt in range(attempts):
        try:
            return call()
        except OSError:
            if attempt == attempts - 1:
                raise


def _wait_ready(notify: socket.socket, proc: subprocess.Popen, logs: list[dict], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            time.sleep(0.5)  # the log reader takes the last lines
            last = "\n".join(json.dumps(line) for line in logs[-5:])
            raise RuntimeError(f"the daemon exited with {proc.returncode} before READY=1; its last log lines:\n{last}")
        try:
            if b"READY=1" in notify.recv(4096):
                return
        except TimeoutError:
            continue
    raise RuntimeError("no READY=1")


def _round(v):
    return None if v is None else round(v, 1)


def start_daemon(config: Path, folder: Path) -> tuple[subprocess.Popen, socket.socket, list[dict]]:
    """``alprd run --config CONFIG`` of this checkout in ``folder`` with a NOTIFY_SOCKET
    there: the process, the socket (for ``_wait_ready``) and its JSON log lines as they come."""
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(folder / "notify.sock"))
    notify.settimeout(1.0)
    proc = launch_daemon(config, folder, NOTIFY_SOCKET=str(folder / "notify.sock"))  # the tests' launcher
    logs: list[dict] = []
    threading.Thread(target=_read_logs, args=(proc.stderr, logs), daemon=True).start()
    return proc, notify, logs


def _read_logs(stream, out: list) -> None:
    for line in stream:
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            out.append({"text": line.rstrip()})  # a traceback, or a message before logging is set up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--warmup", type=float, default=8.0)
    parser.add_argument("--detect-fps", type=float, default=5.0)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--ocr-engine", default="ppocr", help="inference.ocr.engine of the daemon")
    parser.add_argument("--plate-model", type=Path, help="inference.plate_detector.model of the daemon")
    parser.add_argument("--plate-size", type=int, help="inference.plate_detector.input_size of the daemon")
    parser.add_argument(
        "--vehicle-head", type=Path, help="inference.vehicle_detector.classifier (the head trained for --plate-model)"
    )
    parser.add_argument("--scene", choices=("gate", "busy", "idle"), default="gate", help="the clip (see above)")
    parser.add_argument("--motion", choices=("on", "off"), default="on", help="the cameras' motion gate")
    parser.add_argument(
        "--regions", choices=("on", "off"), nargs="+", default=["on"], help="motion.regions; both: side by side"
    )
    parser.add_argument(
        "--text-plates", choices=("on", "off"), default="off", help="inference.text_plates.enabled of the daemon"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    plate = {
        k: v
        for k, v in (("model", args.plate_model and str(args.plate_model.resolve())), ("input_size", args.plate_size))
        if v is not None
    }
    inference: dict = {"plate_detector": plate} if plate else {}
    if args.vehicle_head is not None:
        inference["vehicle_detector"] = {"classifier": str(args.vehicle_head.resolve())}
    if args.text_plates == "on":
        inference["text_plates"] = {"enabled": True}
    work = REPO / "bench" / "_work"
    work.mkdir(parents=True, exist_ok=True)
    clip = render_clip(work, args.width, args.height, args.warmup + args.seconds + 20, args.scene)
    results = []
    for n in args.cameras:
        for regions in args.regions:
            result = run_once(
                n,
                clip,
                args.seconds,
                args.warmup,
                args.detect_fps,
                work,
                args.ocr_engine,
                inference,
                args.motion == "on",
                regions == "on",
            )
            result["scene"] = args.scene
            results.append(result)
            print(json.dumps(result), flush=True)
    print(
        "\n| scene | motion gate | regions (share) | cameras | analysed fps/cam (mean, min) | detected share | "
        "fps in/cam | dropped/cam/s | previews | preview p50 / p95 ms | CPU % (1 core = 100) | CPU %/cam | "
        "peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['scene']} | {'on' if r['motion_gate'] else 'off'} | "
            f"{'on' if r['regions'] else 'off'} ({r['in_regions_share']}) | {r['cameras']} | "
            f"{r['analysed_fps_per_camera_mean']}, {r['analysed_fps_per_camera_min']} | {r['detected_share']} | "
            f"{r['fps_in_per_camera_mean']} | {r['dropped_per_camera_per_s']} | {r['previews']} | "
            f"{r['preview_latency_ms_p50']} / {r['preview_latency_ms_p95']} | "
            f"{r['cpu_percent_of_one_core']} | {r['cpu_percent_per_camera']} | {r['rss_peak_mb']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
