from pathlib import Path

import pytest

from alprd.cli import main
from alprd.config import load_config
from alprd.errors import EXIT_CONFIG, ConfigError

REPO = Path(__file__).resolve().parent.parent


def test_default_config_is_valid():
    config = load_config(REPO / "config" / "alprd.yaml")
    assert config.server.port == 8000
    assert config.regions.pack == "id"


@pytest.mark.parametrize(
    "text, needle",
    [
        ("server:\n  port: 99999\n", "line 2: server.port"),
        ("server:\n  colour: red\n", "line 2: server.colour"),
        ("cameras:\n  g1:\n    source: x\n    detect_fps: -1\n", "line 4: cameras.g1.detect_fps"),
        ("server: [\n", "invalid YAML"),
        ("- a\n- b\n", "must be a mapping"),
    ],
)
def test_bad_config_names_file_line_and_field(tmp_path, text, needle):
    path = tmp_path / "alprd.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert needle in str(info.value)


def test_camera_files_are_loaded_and_checked(tmp_path):
    (tmp_path / "cameras").mkdir()
    (tmp_path / "cameras" / "gate1.yaml").write_text("source: rtsp://127.0.0.1/x\nlocation: Gate 1\n")
    (tmp_path / "alprd.yaml").write_text("cameras_dir: cameras\n")
    config = load_config(tmp_path / "alprd.yaml")
    assert config.cameras["gate1"].location == "Gate 1"
    (tmp_path / "cameras" / "gate2.yaml").write_text("source: x\nroi: [[0, 0], [1, 1]]\n")
    with pytest.raises(ConfigError, match=r"gate2.yaml: line 2: roi"):
        load_config(tmp_path / "alprd.yaml")


def test_a_camera_file_name_must_be_a_camera_id(tmp_path):
    (tmp_path / "cameras").mkdir()
    (tmp_path / "cameras" / "gate 1.yaml").write_text("source: rtsp://127.0.0.1/x\n")
    (tmp_path / "alprd.yaml").write_text("cameras_dir: cameras\n")
    with pytest.raises(ConfigError, match=r"gate 1\.yaml: line 1: the file name is the camera id"):
        load_config(tmp_path / "alprd.yaml")


def test_check_config_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text("server:\n  port: 8080\n")
    assert main(["check-config", "--config", str(good)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("storage:\n  retention_days: 0\n")
    assert main(["check-config", "--config", str(bad)]) == EXIT_CONFIG
    assert "line 2: storage.retention_days" in capsys.readouterr().err
    assert main(["check-config", "--config", str(tmp_path / "missing.yaml")]) == EXIT_CONFIG


@pytest.mark.parametrize(
    ("regions", "codes"),
    [
        ("", ("id",)),  # the default
        ("regions:\n  pack: sk\n", ("sk",)),
        ("regions:\n  pack: none\n", ()),  # no re-ranking, no regions
        ("regions:\n  packs: [id, my, sg]\n", ("id", "my", "sg")),  # ranked in this order
        ("regions:\n  packs: []\n", ()),
    ],
)
def test_regions_packs(tmp_path, regions, codes):
    path = tmp_path / "alprd.yaml"
    path.write_text(regions)
    assert load_config(path).regions.codes == codes
    assert main(["check-config", "--config", str(path)]) == 0


@pytest.mark.parametrize(
    ("regions", "needle"),
    [
        ("regions:\n  pack: xx\n", "line 2: regions.pack: Value error, unknown country pack 'xx'"),
        ("regions:\n  packs: [id, xx]\n", "line 2: regions.packs: Value error, unknown country pack 'xx'"),
        ("regions:\n  packs: [id, none]\n", "'none' is not a pack"),
        ("regions:\n  packs: [id, id]\n", "listed twice"),
        ("regions:\n  pack: id\n  packs: [my]\n", "set regions.pack or regions.packs, not both"),
    ],
)
def test_bad_regions_are_config_errors(tmp_path, capsys, regions, needle):
    path = tmp_path / "alprd.yaml"
    path.write_text(regions)
    assert main(["check-config", "--config", str(path)]) == EXIT_CONFIG
    assert needle in capsys.readouterr().err
