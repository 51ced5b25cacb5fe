"""A pipeline compiled on first use, for a daemon without cameras (a fleet's central).

A central serves the stored events of its gates; only ``POST /detect/image`` reads
plates there. It starts without compiling a model (seconds of CPU and a few hundred MB
it may never need) and compiles them for the first photo posted to it. Drawing the
boxes of a stored result (``annotate``) needs no model, and the detector's name for
the API (``algorithm``) is read from the model file without compiling it. Anything
else a stage asks of the pipeline (a camera added by a reload) builds it too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from alprd.domain.messages import ImageResult
from alprd.errors import InferenceUnavailableError, ModelError
from alprd.log import get_logger
from alprd.vision import annotate as annotate_mod

log = get_logger(__name__)


class LazyPipeline:
    """Builds the real pipeline with ``build`` the first time one is needed; thread-safe.

    A build that fails (a model missing or broken) raises InferenceUnavailableError with
    its reason, and the next call tries again (the models may have been put in place)."""

    def __init__(self, build: Callable[[], Any], algorithm: Callable[[], str]) -> None:
        self._build = build
        self._algorithm = algorithm
        self._pipeline: Any = None
        self._name: str | None = None  # the detector's name read from its file, until built
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._pipeline is not None

    def get(self) -> Any:
        pipeline = self._pipeline
        if pipeline is not None:
            return pipeline
        with self._lock:
            if self._pipeline is None:
                log.info("inference.loading_on_first_use")
                try:
                    self._pipeline = self._build()
                except ModelError as exc:
                    raise InferenceUnavailableError(f"plate reading is not available: {exc}") from exc
            return self._pipeline

    @property
    def algorithm(self) -> str:
        """The plate detector the API names: the built one's, else read from its file
        ("" when the file cannot be read: no detector to name)."""
        if self._pipeline is not None:
            return str(self._pipeline.algorithm)
        if self._name is None:  # read the file once, not on every GET of the latest events
            try:
                self._name = self._algorithm()
            except (ModelError, OSError, RuntimeError):
                return ""
        return self._name

    def read_image(self, image: np.ndarray) -> ImageResult:
        return self.get().read_image(image)

    def annotate(self, image: np.ndarray, result: ImageResult) -> np.ndarray:
        return annotate_mod.annotate(image, result)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.get(), name)


def detector_algorithm(model_path: Path) -> str:
    """The API's name of the detector in ``model_path`` ("YOLOv8n (OpenVINO)"), from the
    model file's description, without compiling it."""
    import openvino as ov

    from alprd.vision.ov_model import model_description
    from alprd.vision.plate_detector import algorithm_name

    if not model_path.is_file():
        raise ModelError(f"{model_path}: not found")
    return algorithm_name(model_description(ov.Core().read_model(str(model_path))), model_path)
