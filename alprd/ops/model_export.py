"""Model conversion: ``.pt``/ONNX -> OpenVINO IR (FP32/FP16), and IR -> INT8 with NNCF.

Export from ``.pt`` needs ultralytics + torch, quantization needs nncf: tools of the
``export`` extra, imported only here and only when asked (never at run time).
Calibration images are letterboxed exactly as the detector does at run time.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import cv2
import numpy as np
import openvino as ov
from tqdm import tqdm

from alprd.errors import ModelError
from alprd.vision.preprocess import letterbox

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def _onnx_from_pt(pt: Path, imgsz: int, workdir: Path) -> Path:
    try:
        from ultralytics import YOLO
    except ImportError as exc:
        raise ModelError(f"exporting {pt} needs ultralytics and torch: pip install ultralytics torch") from exc
    copy = workdir / pt.name
    copy.write_bytes(pt.read_bytes())  # ultralytics writes the .onnx beside its input
    onnx_path = YOLO(str(copy)).export(
        format="onnx", imgsz=imgsz, dynamic=False, simplify=False, opset=17, half=False, nms=False
    )
    return Path(onnx_path)


def export_ir(src: Path, out_xml: Path, imgsz: int = 640, fp16: bool = True) -> Path:
    """``src`` (.pt or .onnx) -> OpenVINO IR at ``out_xml`` (+ .bin) for a square input."""
    if not src.is_file():
        raise ModelError(f"{src}: not found")
    if src.suffix not in (".pt", ".onnx"):
        raise ModelError(f"{src}: export takes a .pt (ultralytics) or .onnx file")
    with tempfile.TemporaryDirectory(prefix="alprd-export-") as tmp:
        onnx_path = _onnx_from_pt(src, imgsz, Path(tmp)) if src.suffix == ".pt" else src
        model = ov.convert_model(str(onnx_path))
        shape = model.input(0).get_partial_shape()
        if shape.is_dynamic:
            model.reshape({model.input(0).get_any_name(): ov.PartialShape([1, 3, imgsz, imgsz])})
        elif list(shape.to_shape())[2:] != [imgsz, imgsz]:
            raise ModelError(f"{src}: fixed input {shape}; re-export the .pt at {imgsz}")
        out_xml.parent.mkdir(parents=True, exist_ok=True)
        ov.save_model(model, str(out_xml), compress_to_fp16=fp16)
    return out_xml


def calibration_images(folder: Path, limit: int) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ModelError(f"{folder}: no calibration images (.jpg/.png)")
    step = max(1, len(files) // limit)
    return files[::step][:limit]


def _read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    if image is None:
        raise ModelError(f"{path}: not a readable image")
    return image


def calibration_tensor(image_bgr: np.ndarray, size_px: int) -> np.ndarray:
    """What the IR (without alprd's in-graph pre-processing) takes: 1x3xSxS RGB 0..1."""
    square, _ = letterbox(image_bgr, size_px)
    return np.ascontiguousarray(square[:, :, ::-1].transpose(2, 0, 1)[None], dtype=np.float32) / 255.0


def yolo_head_ignored_patterns(op_names: list[str]) -> list[str]:
    """Regexes of the YOLO head's box-decoding ops (kept in float, as ultralytics does)."""
    blocks = [int(m.group(1)) for name in op_names if (m := re.search(r"/model\.(\d+)/", name))]
    if not blocks:
        return []
    head = max(blocks)
    return [rf".*/model\.{head}/dfl/.*", rf".*/model\.{head}/(Add|Sub|Mul|Div)[^/]*$"]


QUANTIZATION_PRESETS = ("performance", "mixed")


def quantize_model(model: ov.Model, tensors: list[np.ndarray], *, preset: str = "performance") -> ov.Model:
    """INT8 model by NNCF post-training quantization, calibrated on ``tensors``.

    ``performance`` (default) quantizes activations symmetrically (signed int8, no zero
    point). ``mixed`` quantizes them asymmetrically (unsigned int8 with a zero point, a
    little closer to SiLU's range): on a Sapphire Rapids CPU the zero point made the
    padded 3x3 convolutions of our YOLOv8n about a third slower on AMX and the whole IR slower
    than bf16, at the same recall (docs/journal/benchmarks-plate-detector.md).
    """
    import nncf

    if preset not in QUANTIZATION_PRESETS:
        raise ModelError(f"preset must be one of {', '.join(QUANTIZATION_PRESETS)}, got {preset!r}")
    patterns = yolo_head_ignored_patterns([op.get_friendly_name() for op in model.get_ops()])
    return nncf.quantize(
        model,
        nncf.Dataset(tensors),
        preset=getattr(nncf.QuantizationPreset, preset.upper()),
        subset_size=len(tensors),
        ignored_scope=nncf.IgnoredScope(patterns=patterns, types=["Sigmoid"], validate=False),
    )


def quantize_ir(
    src_xml: Path, images_dir: Path, out_xml: Path, *, subset_size: int = 300, preset: str = "performance"
) -> Path:
    """INT8 IR from an FP32 (best) or FP16 IR by NNCF post-training quantization on real images."""
    try:
        import nncf  # noqa: F401
    except ImportError as exc:
        raise ModelError("quantization needs nncf: pip install -e '.[export]'") from exc
    model = ov.Core().read_model(str(src_xml))
    size_px = int(model.input(0).get_partial_shape()[2].get_length())
    files = calibration_images(images_dir, subset_size)
    tensors = [calibration_tensor(_read_image(f), size_px) for f in tqdm(files, desc="calibration images", unit="img")]
    quantized = quantize_model(model, tensors, preset=preset)
    out_xml.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(quantized, str(out_xml), compress_to_fp16=False)
    return out_xml
