"""The unit file passes ``systemd-analyze verify`` with empty stderr, and says what it must."""

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "alprd" / "ops" / "alprd.service"
INSTALLED_EXEC = "/opt/alprd/venv/bin/alprd"


def _alprd_executable() -> str:
    local = Path(sys.executable).with_name("alprd")
    found = str(local) if local.exists() else shutil.which("alprd")
    if not found:
        pytest.fail("the alprd console script is not installed (pip install -e .)")
    return found


def _verify(path: Path) -> subprocess.CompletedProcess:
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.fail("systemd-analyze missing: tools/test.sh installs the systemd package")
    return subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True, timeout=60)


def test_unit_verifies_clean(tmp_path):
    # verify checks that ExecStart exists: point it at this machine's alprd script.
    unit = tmp_path / "alprd.service"
    unit.write_text(UNIT.read_text().replace(INSTALLED_EXEC, _alprd_executable()))
    result = _verify(unit)
    assert result.stderr == "" and result.returncode == 0


def test_verify_catches_mistakes(tmp_path):
    unit = tmp_path / "alprd.service"
    unit.write_text(UNIT.read_text().replace(INSTALLED_EXEC, _alprd_executable()) + "\n[Service]\nWatchdogSecs=5\n")
    assert "Unknown key" in _verify(unit).stderr


def test_unit_settings():
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    text = UNIT.read_text()
    parser.read_string(text)
    svc = parser["Service"]
    assert svc["Type"] == "notify" and svc["Restart"] == "on-failure"
    assert svc["RestartPreventExitStatus"] == "78" and int(svc["WatchdogSec"]) > 0
    assert svc["StateDirectory"] == "alprd" and svc["ProtectSystem"] == "strict"
    assert svc["ExecStart"].startswith(INSTALLED_EXEC + " run --config ")
    assert "video" in svc["SupplementaryGroups"] and "render" in svc["SupplementaryGroups"]
    devices = [line for line in text.splitlines() if line.startswith("DeviceAllow=")]
    assert devices == ["DeviceAllow=char-video4linux rw", "DeviceAllow=char-drm rw"]
    assert not any(line.startswith("MemoryDenyWriteExecute") for line in text.splitlines())
    # room for every API connection the server accepts, and the cameras and files beside them
    from alprd.config import ServerConfig

    assert int(svc["LimitNOFILE"]) >= 4 * ServerConfig().max_connections
