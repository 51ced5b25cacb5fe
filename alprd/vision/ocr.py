"""The OCR interface every plate reader implements, and text normalisation.

Engines: ``plate`` (alprd's own plate OCR model, ``ocr_plate.py``) and ``ppocr``
(general PP-OCR recognition, ``ocr_ppocr.py``); ``make_ocr_engine`` picks one from
the config. An engine takes BGR crops of plates (any size) and returns one
:class:`~alprd.domain.messages.OcrResult` per crop, text normalised, candidates best first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from alprd.config import PlateOcrConfig, PpOcrConfig
from alprd.domain.messages import OcrResult
from alprd.domain.packs import normalise_text  # noqa: F401  (the engines' text normalisation)
from alprd.errors import ModelError

if TYPE_CHECKING:
    import openvino as ov


class OcrEngine(Protocol):
    name: str

    def read_batch(self, crops: Sequence[np.ndarray]) -> list[OcrResult]:
        """Read each BGR crop; blocking, thread-safe; one result per crop, same order."""
        ...


def _plate_engine(model: Path, core: ov.Core, device: str) -> OcrEngine:
    from alprd.vision.ocr_plate import PlateOcr

    return PlateOcr(model, core, device)


def _ppocr_engine(model: Path, core: ov.Core, device: str) -> OcrEngine:
    from alprd.vision.ocr_ppocr import PpOcr

    return PpOcr(model, core, device)


# The engine each OCR config plugin loads (``inference.ocr.engine`` picks the plugin).
ENGINES: dict[type, Callable[[Path, ov.Core, str], OcrEngine]] = {
    PlateOcrConfig: _plate_engine,
    PpOcrConfig: _ppocr_engine,
}


def make_ocr_engine(config: PlateOcrConfig | PpOcrConfig, core: ov.Core, device: str, base_dir: Path) -> OcrEngine:
    """The OCR engine the config names; raises :class:`ModelError` when it cannot load.

    ``base_dir`` is the models folder (``Config.model_path(Path("."))``): a relative
    ``config.model``, or the engine's default model when it is ``None``, lies in it.
    """
    factory = ENGINES[type(config)]
    model = config.model if config.model.is_absolute() else base_dir / config.model
    if not model.is_file():
        raise ModelError(
            f"OCR model for engine '{config.engine}' not found: {model} "
            "(run 'alprd models fetch', or set inference.ocr.model)"
        )
    try:
        return factory(model, core, device)
    except ImportError as exc:
        raise ModelError(f"OCR engine '{config.engine}' is not available: {exc}") from exc
