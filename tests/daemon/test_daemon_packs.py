"""`alprd run` with no country pack and with several: the daemon starts (no exit 78), serves
the packs' region table, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from conftest import free_port, start_daemon

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 180.0


def _get(port: int, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
        return json.loads(resp.read())


def _wait_for_api(proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"alprd run exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
        try:
            _get(port, "/api/plate/regions")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    pytest.fail("the API did not answer")


@pytest.mark.parametrize(
    ("regions", "has", "lacks"),
    [
        ({"pack": "none"}, set(), {"B"}),
        ({"packs": ["vn", "id"]}, {"59", "B"}, set()),
    ],
)
def test_run_with_no_pack_or_several(tmp_path: Path, regions: dict, has: set, lacks: set) -> None:
    port = free_port()
    config = {
        "server": {"host": "127.0.0.1", "port": port},
        "storage": {"database": str(tmp_path / "data" / "alprd.db"), "outputs_dir": str(tmp_path / "outputs")},
        "inference": {"models_dir": str(REPO / "models"), "device": "CPU"},
        "regions": regions,
        "log_format": "json",
        "cameras_dir": None,
    }
    path = tmp_path / "alprd.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = start_daemon(path, tmp_path)
    try:
        _wait_for_api(proc, port)
        codes = {r["code"] for r in _get(port, "/api/plate/regions")["regions"]}
        assert has <= codes and not lacks & codes
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stderr.close()
