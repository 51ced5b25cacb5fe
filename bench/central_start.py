#!/usr/bin/env python3
"""A daemon without cameras (a fleet's central): time to answer, memory, first photo.

Starts ``alprd run`` with no cameras on a fresh SQLite file, from one or more source
trees in turn (``--tree``, e.g. a worktree of an older commit), and measures: seconds
until ``GET /detections`` answers 200, the process's resident memory then, the seconds
of the first ``POST /detect/image`` (a real photo) and the memory after it. Trees are
run alternately, ``--rounds`` times each, so a change in the machine's load hits all.

    python3 bench/central_start.py --tree . --tree /tmp/old --rounds 3
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from daemon import free_port, upload_request  # noqa: E402

PHOTO = REPO.parent / "shared" / "datasets" / "openalpr-eu" / "eu1.jpg"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return int(resp.status)
    except OSError:
        return 0


def post_photo(port: int) -> int:
    with urllib.request.urlopen(upload_request(port, PHOTO.read_bytes(), PHOTO.name), timeout=300) as resp:
        return int(resp.status)


def one_run(tree: Path, models: Path) -> tuple[float, float, float, float]:
    with tempfile.TemporaryDirectory(prefix="alprd-central-") as tmp:
        port = free_port()
        config = {
            "server": {"host": "127.0.0.1", "port": port},
            "storage": {"database": str(Path(tmp) / "alprd.db"), "outputs_dir": str(Path(tmp) / "outputs")},
            "inference": {"models_dir": str(models)},
            "cameras_dir": None,
            "cameras": {},
        }
        path = Path(tmp) / "alprd.yaml"
        path.write_text(yaml.safe_dump(config))
        env = {**os.environ, "PYTHONPATH": str(tree)}
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "alprd", "run", "-c", str(path)],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while get_status(f"http://127.0.0.1:{port}/detections") != 200:
                if proc.poll() is not None:
                    raise SystemExit(f"{tree}: alprd run exited with {proc.returncode}")
                time.sleep(0.05)
            ready_s, ready_mb = time.perf_counter() - started, rss_mb(proc.pid)
            t0 = time.perf_counter()
            if post_photo(port) != 200:
                raise SystemExit(f"{tree}: POST /detect/image failed")
            first_s, after_mb = time.perf_counter() - t0, rss_mb(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        return ready_s, ready_mb, first_s, after_mb


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tree", type=Path, action="append", help="alprd source tree (default: this one)")
    p.add_argument("--models", type=Path, default=REPO / "models", help="models_dir for every tree")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    trees = [t.resolve() for t in (args.tree or [REPO])]
    results: dict[Path, list[tuple[float, float, float, float]]] = {t: [] for t in trees}
    for _ in range(args.rounds):
        for tree in trees:
            results[tree].append(one_run(tree, args.models.resolve()))
    print(f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {args.rounds} rounds, medians:")
    for tree, rows in results.items():
        med = [statistics.median(col) for col in zip(*rows)]
        print(
            f"  {str(tree):40} answers after {med[0]:5.2f} s, RSS {med[1]:6.0f} MB; "
            f"first photo {med[2]:5.2f} s, RSS after it {med[3]:6.0f} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
