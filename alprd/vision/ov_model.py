"""OpenVINO model loading and thread-safe inference shared by several cameras.

``make_core()`` is called once per process by the composition root. ``OvModel`` reads
an IR (``.xml``) or ONNX file, checks its input shape against what the caller expects
(a :class:`~alprd.errors.ModelError` with a clear message otherwise), optionally moves
colour conversion and 0..1 scaling into the compiled graph, compiles it for a device
(``AUTO``, ``CPU``, ``GPU``) and keeps a pool of infer requests. ``infer`` blocks and
may be called from any number of threads at once; ``infer_many`` keeps every request
of the pool busy (the job ``AsyncInferQueue`` does, but returning results in order to
the caller's thread).
"""

from __future__ import annotations

import hashlib
import queue
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openvino as ov
from openvino import preprocess as ovp

from alprd.errors import ModelError
from alprd.log import get_logger

log = get_logger(__name__)
DEVICES = ("AUTO", "CPU", "GPU")


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB blocks (model checksums, head/backbone pairing)."""
    digest = hashlib.new(algorithm)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


HINTS = ("LATENCY", "THROUGHPUT")


def performance_hint(setting: str, cameras: int) -> str:
    """OpenVINO's hint for ``inference.performance`` with ``cameras`` cameras ('auto':
    THROUGHPUT from two cameras on, which analyse more frames each: docs/benchmarks.md)."""
    if setting == "auto":
        return "THROUGHPUT" if cameras >= 2 else "LATENCY"
    return setting.upper()


def make_core(cache_dir: Path | None = None, hint: str = "LATENCY") -> ov.Core:
    """The process's one OpenVINO Core; ``cache_dir`` keeps compiled blobs between runs.

    ``hint`` is the performance hint of every model compiled on it: LATENCY runs each
    inference on all cores (one camera, one image at a time); THROUGHPUT runs one
    inference per core, several at once (several cameras: more frames per second).
    """
    if hint not in HINTS:
        raise ModelError(f"performance hint must be one of {', '.join(HINTS)}, got {hint!r}")
    core = ov.Core()
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        core.set_property({"CACHE_DIR": str(cache_dir)})
    for device in ("CPU", "AUTO", *(d for d in core.available_devices if d.startswith("GPU"))):
        core.set_property(device, {"PERFORMANCE_HINT": hint})
    return core


@dataclass(frozen=True, slots=True)
class ImageInput:
    """How the model's image input is fed: uint8 NHWC in ``color`` order (BGR from OpenCV).

    ``model_color``: what the network was trained on (RGB for ultralytics, BGR for
    Intel's models). ``scale``: divide pixel values by it (255 for 0..1 inputs, 1 for
    0..255 inputs). Done by OpenVINO inside the compiled model.
    """

    model_color: str = "RGB"
    scale: float = 255.0


def read_model(core: ov.Core, model_path: Path) -> ov.Model:
    if model_path.suffix not in (".xml", ".onnx"):
        raise ModelError(f"{model_path}: expected an OpenVINO IR (.xml) or ONNX (.onnx) file")
    if not model_path.is_file():
        raise ModelError(f"{model_path}: model file not found (run 'alprd models fetch')")
    try:
        return core.read_model(str(model_path))
    except RuntimeError as exc:
        raise ModelError(f"{model_path}: cannot read model: {str(exc).splitlines()[0]}") from exc


def check_input_shape(model: ov.Model, model_path: Path, expected_chw: tuple[int, int | None, int | None]) -> ov.Model:
    """Fix a dynamic input to 1 x C x H x W; raise ModelError when a static one differs.

    An expected H or W of None accepts any size (a model the caller reshapes itself).
    """
    if len(model.inputs) != 1:
        raise ModelError(f"{model_path}: expected one input, the model has {len(model.inputs)}")
    pshape = model.input(0).get_partial_shape()
    want = (1, *expected_chw)
    if pshape.rank.is_dynamic or pshape.rank.get_length() != 4:
        raise ModelError(f"{model_path}: expected a 4-D image input, got {pshape}")
    dims = [d.get_length() if d.is_static else None for d in pshape]
    if dims[0] not in (None, 1) or any(d is not None and w is not None and d != w for d, w in zip(dims[1:], want[1:])):
        have = "x".join("?" if d is None else str(d) for d in dims)
        shown = "x".join("?" if w is None else str(w) for w in want)
        size = expected_chw[1]
        hint = (
            ""
            if size is None
            else (
                f" (input_size {size}): export the model at that size "
                f"('alprd models export --imgsz {size}') or set input_size to match"
            )
        )
        raise ModelError(f"{model_path}: input shape is {have} but {shown} is expected{hint}")
    if any(d is None for d in dims) and all(w is not None for w in want):
        model.reshape({model.input(0).get_any_name(): ov.PartialShape(list(want))})
    return model


def add_image_preprocessing(model: ov.Model, image: ImageInput) -> ov.Model:
    """Let the model take uint8 BGR NHWC and do colour, layout and scaling itself."""
    ppp = ovp.PrePostProcessor(model)
    ppp.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC")).set_color_format(
        ovp.ColorFormat.BGR
    )
    steps = ppp.input().preprocess().convert_element_type(ov.Type.f32)
    if image.model_color == "RGB":
        steps.convert_color(ovp.ColorFormat.RGB)
    if image.scale != 1.0:
        steps.scale(image.scale)
    ppp.input().model().set_layout(ov.Layout("NCHW"))
    for i in range(len(model.outputs)):
        ppp.output(i).tensor().set_element_type(ov.Type.f32)
    return ppp.build()


def model_description(model: ov.Model) -> str:
    """The exporter's description kept in the model (ultralytics writes "Ultralytics
    YOLOv8n model trained on ..."), or "" when it has none."""
    key = ["framework", "description"]
    return str(model.get_rt_info(key).astype(str)) if model.has_rt_info(key) else ""


def runs_on_cpu(core: ov.Core, device: str) -> bool:
    """Whether ``device`` compiles for the CPU plugin (CPU, or AUTO without a GPU)."""
    return device == "CPU" or (device == "AUTO" and not any(d.startswith("GPU") for d in core.available_devices))


class OvModel:
    """A compiled model with a pool of infer requests; ``infer`` is thread-safe."""

    def __init__(
        self,
        model_path: Path,
        core: ov.Core,
        device: str = "AUTO",
        *,
        input_chw: tuple[int, int | None, int | None],
        image: ImageInput | None = ImageInput(),
        requests: int = 2,
        num_threads: int | None = None,
        precision_hint: str | None = None,
        transform: Callable[[ov.Model], ov.Model] | None = None,
        shape_cache: int | None = None,
    ) -> None:
        if device not in DEVICES:
            raise ModelError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
        self.path = Path(model_path)
        model = check_input_shape(read_model(core, self.path), self.path, input_chw)
        self.description = model_description(model)
        if transform is not None:  # e.g. cut a backbone out of a detector
            model = transform(model)
        if image is not None:
            model = add_image_preprocessing(model, image)
        self.input_chw = input_chw
        # -1 for a dimension that depends on the input (a model cut to take any image size)
        self.output_shapes = tuple(
            tuple(d.get_length() if d.is_static else -1 for d in o.get_partial_shape()) for o in model.outputs
        )
        self.output_names = tuple(o.get_any_name() for o in model.outputs)
        config: dict[str, object] = {}  # the performance hint is the core's (make_core)
        if num_threads is not None and device == "CPU":
            config["INFERENCE_NUM_THREADS"] = num_threads
        if precision_hint is not None:  # "f32" forces FP32 maths (CPUs with AMX default to bf16)
            config["INFERENCE_PRECISION_HINT"] = precision_hint
        if shape_cache is not None and runs_on_cpu(core, device):
            # a model fed images of many sizes: the CPU plugin keeps kernels per input shape
            # (5,000 by default: about 1 GB for PP-OCR's text detector); keep only the recent
            # ones. AUTO does not pass this on, so such a model is compiled for the CPU itself.
            config["CPU_RUNTIME_CACHE_CAPACITY"] = shape_cache
            device = "CPU"
        try:
            self._compiled = core.compile_model(model, device, config)
        except RuntimeError as exc:
            raise ModelError(f"{self.path}: cannot compile for {device}: {str(exc).splitlines()[0]}") from exc
        self._idle: queue.SimpleQueue[ov.InferRequest] = queue.SimpleQueue()
        for _ in range(max(1, requests)):
            self._idle.put(self._compiled.create_infer_request())
        self.execution_precision = self._property("INFERENCE_PRECISION_HINT")
        self.performance_hint = self._property("PERFORMANCE_HINT").rpartition(".")[2]
        log.info(
            "inference.model_loaded",
            path=str(self.path),
            device=device,
            requests=requests,
            precision=self.execution_precision,
            hint=self.performance_hint,
            outputs=[list(s) for s in self.output_shapes],
        )

    def _property(self, name: str) -> str:
        try:
            value = self._compiled.get_property(name)
            return value.to_string() if hasattr(value, "to_string") else str(value)
        except RuntimeError:  # AUTO/GPU may not report every CPU property
            return "?"

    @staticmethod
    def _results(request: ov.InferRequest) -> list[np.ndarray]:
        return [request.get_output_tensor(i).data.copy() for i in range(len(request.model_outputs))]

    def infer(self, tensor: np.ndarray) -> list[np.ndarray]:
        """Run one input tensor; returns a copy of every output. Blocking, thread-safe."""
        request = self._idle.get()
        try:
            request.infer({0: tensor})
            return self._results(request)
        finally:
            self._idle.put(request)

    def infer_many(self, tensors: Sequence[np.ndarray]) -> list[list[np.ndarray]]:
        """Run several inputs overlapped on the request pool; results in input order."""
        results: list[list[np.ndarray] | None] = [None] * len(tensors)
        in_flight: deque[tuple[int, ov.InferRequest]] = deque()

        def finish_oldest() -> ov.InferRequest:
            index, request = in_flight.popleft()
            request.wait()
            results[index] = self._results(request)
            return request

        try:
            for index, tensor in enumerate(tensors):
                try:
                    request = self._idle.get_nowait() if in_flight else self._idle.get()
                except queue.Empty:
                    request = finish_oldest()
                request.start_async({0: tensor})
                in_flight.append((index, request))
            while in_flight:
                self._idle.put(finish_oldest())
        finally:
            for _, request in in_flight:
                request.wait()
                self._idle.put(request)
        return [r for r in results if r is not None]
