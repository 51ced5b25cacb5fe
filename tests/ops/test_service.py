"""alprd service install|uninstall into a temporary root: the tree, the config, the unit."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from alprd.cli import main
from alprd.config import load_config
from alprd.ops import model_registry
from alprd.ops.model_fetch import status
from alprd.ops.service import alprd_executable, install, uninstall


@pytest.fixture
def root(tmp_path: Path) -> Path:
    if not shutil.which("systemd-sysusers"):
        pytest.fail("systemd-sysusers missing: tools/test.sh installs the systemd package")
    return tmp_path / "root"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_install_lays_out_user_config_data_models_and_unit(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["service", "install", "--root", str(root), "--offline"]) == 0
    out = capsys.readouterr().out
    assert "/etc/alprd/alprd.yaml: created" in out and "daemon-reload/enable skipped" in out
    passwd = (root / "etc/passwd").read_text().splitlines()
    assert any(line.startswith("alprd:") and line.endswith(":/var/lib/alprd:/usr/sbin/nologin") for line in passwd)
    groups = {line.split(":")[0]: line.split(":")[3] for line in (root / "etc/group").read_text().splitlines()}
    assert "alprd" in groups["video"].split(",") and "alprd" in groups["render"].split(",")
    for folder in ("etc/alprd", "etc/alprd/cameras", "var/lib/alprd", "var/lib/alprd/outputs"):
        assert _mode(root / folder) == 0o750, folder
    assert _mode(root / "etc/alprd/alprd.yaml") == 0o640
    assert (root / "etc/alprd/cameras/gate.yaml.example").is_file()

    config = load_config(root / "etc/alprd/alprd.yaml")
    state = Path("/var/lib/alprd")
    assert config.resolve(config.storage.database) == state / "alprd.db"
    assert config.resolve(config.storage.outputs_dir) == state / "outputs"
    assert config.resolve(config.inference.models_dir) == state / "models"
    assert config.resolve(config.cameras_dir) == root / "etc/alprd/cameras" and config.cameras == {}

    models = root / "var/lib/alprd/models"
    for name in ("plate-detector", "plate-ocr", "vehicle-type"):  # carried by the package: no network
        assert status(model_registry.find(name), models) == "ok", name
    assert status(model_registry.find("ppocr-rec"), models) == "missing"  # --offline

    unit = root / "etc/systemd/system/alprd.service"
    text = unit.read_text()
    assert f"ExecStart={alprd_executable()} run --config /etc/alprd/alprd.yaml" in text
    verify = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert verify.stderr == "" and verify.returncode == 0


def test_install_again_changes_nothing_and_keeps_edits(root: Path) -> None:
    install(root, offline=True)
    config = root / "etc/alprd/alprd.yaml"
    config.write_text(config.read_text().replace("port: 8000", "port: 8080"))
    again = install(root, offline=True)
    assert "/etc/alprd/alprd.yaml: kept" in again
    assert "/etc/systemd/system/alprd.service: unchanged" in again
    assert "/etc/sysusers.d/alprd.conf: unchanged" in again
    assert load_config(config).server.port == 8080
    assert sum(line.startswith("alprd:") for line in (root / "etc/passwd").read_text().splitlines()) == 1


def test_uninstall_keeps_config_and_data_unless_purged(root: Path) -> None:
    install(root, offline=True)
    (root / "var/lib/alprd/alprd.db").write_bytes(b"rows")
    report = uninstall(root)
    assert not (root / "etc/systemd/system/alprd.service").exists()
    assert not (root / "etc/sysusers.d/alprd.conf").exists()
    assert (root / "var/lib/alprd/alprd.db").read_bytes() == b"rows"
    assert (root / "etc/alprd/alprd.yaml").is_file()
    assert "/var/lib/alprd: kept (--purge removes it)" in report
    assert "/etc/systemd/system/alprd.service: absent" in uninstall(root)  # twice is fine
    uninstall(root, purge=True)
    assert not (root / "var/lib/alprd").exists() and not (root / "etc/alprd").exists()
