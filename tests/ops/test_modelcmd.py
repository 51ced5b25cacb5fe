"""alprd models: pinned sources fetched and hash-checked (local HTTP server, mirror, wheel)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
import zipfile
from pathlib import Path

import numpy as np
import openvino as ov
import pytest

from alprd.cli import main
from alprd.errors import ModelError
from alprd.ops import model_registry
from alprd.ops.model_export import (
    calibration_images,
    export_ir,
    quantize_model,
    yolo_head_ignored_patterns,
)
from alprd.ops.model_fetch import (
    digest_matches,
    fetch,
    fetch_url_file,
    fetch_wheel_file,
    file_digest,
    status,
)
from alprd.ops.model_registry import Committed, UrlFile, WheelFile
from tests.thirdparty import OMZ, needs_omz

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS = REPO_ROOT / "models"
XML = OMZ / "vehicle-detection-0200.xml"


@pytest.fixture(scope="module")
def omz_server():
    """The shared copies of Intel's files served over HTTP, as a publisher would."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(OMZ))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _copy_item(name: str) -> UrlFile:
    """A registry entry whose publisher hash is that of the shared copy."""
    return UrlFile(f"https://example.invalid/x/{name}", Path("v") / name, "sha256:" + file_digest(OMZ / name))


@pytest.mark.parametrize(
    ("digest", "ok"),
    [
        ("sha256:" + hashlib.sha256(b"abc").hexdigest(), True),
        (hashlib.sha256(b"abc").hexdigest(), True),
        ("sha384:" + hashlib.sha384(b"abc").hexdigest(), True),
        ("sha256:" + "0" * 64, False),
    ],
)
def test_digest_matches(tmp_path: Path, digest: str, ok: bool) -> None:
    (tmp_path / "f").write_bytes(b"abc")
    assert digest_matches(tmp_path / "f", digest) is ok


@needs_omz
def test_fetch_downloads_and_checks_then_leaves_it(omz_server: str, tmp_path: Path) -> None:
    item = _copy_item(XML.name)
    got = fetch_url_file(item, tmp_path, base_url=omz_server)
    assert got.how == "downloaded" and got.dest.read_bytes() == XML.read_bytes()
    assert fetch_url_file(item, tmp_path, base_url=omz_server).how == "present"


@needs_omz
def test_fetch_refuses_a_file_with_another_hash(omz_server: str, tmp_path: Path) -> None:
    item = UrlFile("https://example.invalid/x/" + XML.name, Path("v") / XML.name, "sha256:" + "1" * 64)
    with pytest.raises(ModelError, match="does not match"):
        fetch_url_file(item, tmp_path, base_url=omz_server)
    assert not (tmp_path / "v").exists()


@needs_omz
def test_fetch_offline_says_so(tmp_path: Path) -> None:
    item = _copy_item(XML.name)
    with pytest.raises(ModelError, match="no internet"):
        fetch_url_file(item, tmp_path, base_url="http://127.0.0.1:9")


@needs_omz
def test_registry_vehicle_models_come_from_the_mirror(tmp_path: Path) -> None:
    for name in ("vehicle-detection-0200", "vehicle-attributes-recognition-barrier-0039"):
        source = model_registry.find(name)
        assert status(source, tmp_path) == "missing"
        assert {r.how for r in fetch(source, tmp_path, mirror=OMZ)} == {"mirror"}
        assert status(source, tmp_path) == "ok"


def test_wheel_member_is_extracted_and_checked(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    with zipfile.ZipFile(wheels / "demo-1.0-py3-none-any.whl", "w") as zf:
        zf.writestr("demo/model.onnx", b"weights")
    good = WheelFile(
        "demo",
        "1.0",
        "demo-1.0-py3-none-any.whl",
        file_digest(wheels / "demo-1.0-py3-none-any.whl"),
        "demo/model.onnx",
        Path("cache/demo/model.onnx"),
        hashlib.sha256(b"weights").hexdigest(),
    )
    assert fetch_wheel_file(good, tmp_path / "m", wheels).how == "wheel"
    assert (tmp_path / "m/cache/demo/model.onnx").read_bytes() == b"weights"
    bad = WheelFile(
        **{**{f: getattr(good, f) for f in good.__slots__}, "sha256": "0" * 64, "dest": Path("cache/demo/other.onnx")}
    )
    with pytest.raises(ModelError, match="sha256 differs"):
        fetch_wheel_file(bad, tmp_path / "m", wheels)


def test_every_registered_file_is_pinned() -> None:
    for source in model_registry.SOURCES:
        for item in source.files:
            digest = item.digest if isinstance(item, UrlFile) else item.sha256
            assert len(digest.rpartition(":")[2]) in (64, 96), (source.name, item)
    assert all(
        s.default
        for s in model_registry.SOURCES
        if s.name in ("plate-detector", "vehicle-detection-0200", "vehicle-type")
    )


def test_default_plate_detector_is_in_place() -> None:
    """The committed model matches the sha256 of its model card (registry)."""
    assert status(model_registry.find("plate-detector"), MODELS) == "ok"
    assert status(model_registry.find("vehicle-type"), MODELS) == "ok"
    assert status(model_registry.find("plate-ocr"), MODELS) == "ok"


def test_the_wheel_carries_every_committed_model() -> None:
    """setup.py's package data patterns (alprd.bundled_models = models/) match each one."""
    import ast
    import fnmatch

    tree = ast.parse((REPO_ROOT / "setup.py").read_text())
    patterns = next(
        ast.literal_eval(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MODEL_FILES"
    )
    committed = [item.dest for s in model_registry.SOURCES for item in s.files if isinstance(item, Committed)]
    assert len(committed) >= 7
    for dest in committed:
        assert any(fnmatch.fnmatch(dest.as_posix(), p) for p in patterns), dest


def test_a_committed_model_is_copied_from_the_package(tmp_path: Path) -> None:
    results = fetch(model_registry.find("plate-ocr"), tmp_path)
    assert {r.how for r in results} == {"bundled"}
    assert status(model_registry.find("plate-ocr"), tmp_path) == "ok"
    assert {r.how for r in fetch(model_registry.find("plate-ocr"), tmp_path)} == {"committed"}


@needs_omz
def test_cli_list_and_unknown_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--models-dir", str(tmp_path), "list"]) == 0
    out = capsys.readouterr().out
    assert "plate-detector" in out and "vehicle-detection-0200" in out and "missing" in out
    assert main(["models", "--models-dir", str(tmp_path), "fetch", "no-such-model"]) == 2
    assert main(["models", "--models-dir", str(tmp_path), "fetch", "--mirror", str(OMZ), "vehicle-detection-0200"]) == 0
    assert (tmp_path / "vehicle/vehicle-detection-0200.bin").is_file()


@pytest.mark.parametrize(("name", "error"), [("model.tflite", "takes a .pt"), ("missing.onnx", "not found")])
def test_export_rejects(tmp_path: Path, name: str, error: str) -> None:
    if name.endswith(".tflite"):
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(ModelError, match=error):
        export_ir(tmp_path / name, tmp_path / "out.xml")


def test_yolo_head_ignored_patterns() -> None:
    names = ["/model.0/conv/Conv", "/model.22/dfl/conv/Conv", "/model.22/Mul_2", "/model.9/Add"]
    patterns = yolo_head_ignored_patterns(names)
    assert patterns and all("model\\.22" in p for p in patterns)
    assert yolo_head_ignored_patterns(["images", "output0"]) == []


def test_calibration_images_spread_over_the_folder(datasets_dir) -> None:
    files = calibration_images(datasets_dir / "openalpr-eu", 10)
    assert len(files) == 10 and len({f.name for f in files}) == 10
    with pytest.raises(ModelError):
        calibration_images(datasets_dir / "openalpr-eu" / "nope", 10)


def _conv_silu_model() -> ov.Model:
    """images -> 3x3 conv -> SiLU -> 3x3 conv: the pattern of a YOLOv8 block."""
    from openvino import opset13 as ops

    rng = np.random.default_rng(0)
    x = ops.parameter([1, 3, 32, 32], np.float32, name="images")
    y = x
    for i, channels in enumerate((16, 16)):
        weights = ops.constant(
            rng.normal(0, 0.3, (channels, y.get_output_partial_shape(0)[1].get_length(), 3, 3)).astype(np.float32)
        )
        y = ops.convolution(y, weights, [1, 1], [1, 1], [1, 1], [1, 1], name=f"/model.{i}/conv/Conv")
        y = ops.swish(y, name=f"/model.{i}/act/Mul")
    return ov.Model([y], [x], "conv_silu")


def _activation_ranges(model: ov.Model) -> list[tuple[float, float]]:
    """(input_low, input_high) of every FakeQuantize on an activation (not on weights)."""
    ranges = []
    for op in model.get_ordered_ops():
        if op.get_type_name() == "FakeQuantize" and op.input_value(0).get_node().get_type_name() != "Constant":
            low, high = (float(op.input_value(i).get_node().get_data().min()) for i in (1, 2))
            ranges.append((low, high))
    return ranges


@pytest.mark.parametrize(("preset", "zero_point"), [("performance", False), ("mixed", True)])
def test_quantize_activations_symmetric_by_default(preset: str, zero_point: bool) -> None:
    """Symmetric activations (no zero point) by default: asymmetric ones made the INT8 IR
    slower than bf16 on AMX CPUs (docs/benchmarks.md)."""
    pytest.importorskip("nncf")
    rng = np.random.default_rng(1)
    tensors = [rng.random((1, 3, 32, 32), dtype=np.float32) for _ in range(4)]
    ranges = _activation_ranges(quantize_model(_conv_silu_model(), tensors, preset=preset))
    swish_outputs = [(low, high) for low, high in ranges if low < 0]  # SiLU's output dips below 0
    assert swish_outputs, ranges
    symmetric = all(abs(-low - high * 128 / 127) <= 1e-3 * high for low, high in swish_outputs)
    assert symmetric is not zero_point, ranges


def test_quantize_rejects_an_unknown_preset() -> None:
    pytest.importorskip("nncf")
    with pytest.raises(ModelError, match="preset"):
        quantize_model(_conv_silu_model(), [], preset="fast")
