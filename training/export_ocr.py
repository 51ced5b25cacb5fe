"""Export a trained checkpoint to ONNX and OpenVINO IR (FP16 weights).

    python3 -m training.export_ocr --checkpoint /tmp/ocr_run/last.pt --out models/plate-ocr

Writes ``plate_ocr.onnx`` and ``plate_ocr.xml/.bin`` with softmax included, a dynamic
batch axis, and the alphabet in the IR's runtime info (``alprd/vocab``), then prints
sha256 sums for the model card. ``--int8`` additionally writes ``plate_ocr_int8.xml``
quantised with NNCF on real training crops (kept only if it holds accuracy: compare
with ``training/eval_ocr.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import warnings
from pathlib import Path

import numpy as np
import openvino as ov
import torch

from training.ocr_model import INPUT_HW, VOCAB, PlateOcrNet


def load_model(checkpoint: Path) -> PlateOcrNet:
    state = torch.load(checkpoint, weights_only=True)["model"]
    rows = state["head.3.weight"].shape[0] // len(VOCAB)  # one-row (v1) or two-row (v2) read-out
    model = PlateOcrNet(with_softmax=True, rows=rows)
    model.load_state_dict(state)
    return model.eval()


def to_onnx(model: PlateOcrNet, path: Path) -> None:
    dummy = torch.zeros(1, 1, *INPUT_HW)
    with warnings.catch_warnings():  # the TorchScript exporter is deprecated but needs no onnxscript
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (dummy,), str(path), input_names=["image"], output_names=["frame_probs"],
                          dynamic_axes={"image": {0: "batch"}, "frame_probs": {0: "batch"}}, opset_version=17,
                          dynamo=False)


def to_ir(onnx_path: Path, xml_path: Path) -> ov.Model:
    model = ov.convert_model(str(onnx_path))
    model.set_rt_info(VOCAB, ["alprd", "vocab"])
    ov.save_model(model, str(xml_path), compress_to_fp16=True)
    return model


def to_int8(model: ov.Model, calibration: np.ndarray, xml_path: Path) -> None:
    import nncf  # export-time only

    dataset = nncf.Dataset([calibration[i: i + 1] for i in range(len(calibration))])
    quantised = nncf.quantize(model, dataset, subset_size=len(calibration))
    ov.save_model(quantised, str(xml_path))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("models/plate-ocr"))
    ap.add_argument("--int8", action="store_true")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path, xml_path = args.out / "plate_ocr.onnx", args.out / "plate_ocr.xml"
    to_onnx(load_model(args.checkpoint), onnx_path)
    model = to_ir(onnx_path, xml_path)
    written = [onnx_path, xml_path, xml_path.with_suffix(".bin")]
    if args.int8:
        from training import data
        from training.train_ocr import preprocess

        crops = data.us_crops(holdout=False)[:150] + data.id_crops(val=False)[:150]
        calibration = np.stack([preprocess(c.image) for c in crops])[:, None].astype(np.float32)
        int8_path = args.out / "plate_ocr_int8.xml"
        to_int8(model, calibration, int8_path)
        written += [int8_path, int8_path.with_suffix(".bin")]
    for path in written:
        print(f"{sha256(path)}  {path.name}  {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
