#!/usr/bin/env python3
"""What a YOLO's activation costs in OpenVINO: the same IR with its Swish (SiLU) ops
replaced by HSwish and by ReLU, raw inference timed side by side in one run.

The swapped networks compute something else (their weights were trained for SiLU):
this measures speed only, to tell how much of the detector's time is the activation.
Pass one IR per precision (e.g. the FP16 export and its INT8 copy); random uint8 input
through the same pre-processing the daemon uses, one request, round robin per frame.

    python3 bench/activation.py bench/_work/detector/plate-640-fp16.xml \\
        bench/_work/detector/plate-640-int8-performance.xml --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import openvino as ov
from openvino import opset13 as ops

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alprd.vision.ov_model import ImageInput, add_image_preprocessing  # noqa: E402

SWAPS = {"as trained": None, "Swish -> HSwish": ops.hswish, "Swish -> ReLU": ops.relu}


def swapped(model: ov.Model, make) -> tuple[ov.Model, int]:
    """``model`` with every Swish op replaced by ``make(input)``; (model, ops replaced)."""
    count = 0
    for op in model.get_ordered_ops():
        if op.get_type_name() == "Swish":
            new = make(op.input_value(0))
            for target in list(op.output(0).get_target_inputs()):
                target.replace_source_output(new.output(0))
            count += 1
    model.validate_nodes_and_infer_types()
    return model, count


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("irs", type=Path, nargs="+", help="OpenVINO IRs (.xml) of one YOLO, square input")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--frames", type=int, default=40)
    args = p.parse_args()

    core = ov.Core()
    requests: dict[str, tuple[ov.InferRequest, np.ndarray]] = {}
    for ir in args.irs:
        for name, make in SWAPS.items():
            model = core.read_model(str(ir))
            count = 0
            if make is not None:
                model, count = swapped(model, make)
                if count == 0:
                    print(f"{ir.name}: no Swish op, '{name}' skipped")
                    continue
            size = model.input(0).get_partial_shape()[2].get_length()
            compiled = core.compile_model(
                add_image_preprocessing(model, ImageInput()),
                "CPU",
                {"INFERENCE_NUM_THREADS": args.threads, "PERFORMANCE_HINT": "LATENCY"},
            )
            frame = np.random.default_rng(0).integers(0, 256, (1, size, size, 3), dtype=np.uint8)
            request = compiled.create_infer_request()
            for _ in range(5):
                request.infer({0: frame})
            precision = str(compiled.get_property("INFERENCE_PRECISION_HINT")).split("'")[1::2] or ["?"]
            label = f"{ir.parent.name}/{ir.name} ({precision[0]}), {name}"
            requests[label + (f" [{count} ops]" if count else "")] = (request, frame)
    times: dict[str, list[float]] = {label: [] for label in requests}
    for _ in range(args.frames):
        for label, (request, frame) in requests.items():
            start = time.perf_counter()
            request.infer({0: frame})
            times[label].append((time.perf_counter() - start) * 1000.0)
    print(f"\n{args.threads} thread(s), {args.frames} frames each, round robin\n")
    print("| IR, activation | median ms | min ms | vs as trained |")
    print("|---|---|---|---|")
    base = 0.0
    for label, ts in times.items():
        median = statistics.median(ts)
        if "as trained" in label:
            base = median
        print(f"| {label} | {median:.2f} | {min(ts):.2f} | {base / median:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
