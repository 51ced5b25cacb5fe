"""The OCR interface every plate reader implements, and text normalisation.

Engines: ``plate`` (alprd's own plate OCR model, ``ocr_plate.py``) and ``ppocr``
(general PP-OCR recognition, ``ocr_ppocr.py``); ``make_ocr_engine`` picks one from
the config. An engine takes BGR crops of plates (any size) and returns one
:class:`~alprd.messages.OcrResult` per crop, text normalised, candidates best first.
"""

from __future__ import annotations

import re
from typing import Protocol, Sequence

import numpy as np

from alprd.messages import OcrResult

_NOT_PLATE_CHARS = re.compile(r"[^A-Z0-9]")


def normalise_text(text: str) -> str:
    """Upper case, letters and digits only: ' b 1234-abc ' -> 'B1234ABC'."""
    return _NOT_PLATE_CHARS.sub("", text.upper())


class OcrEngine(Protocol):
    name: str

    def read_batch(self, crops: Sequence[np.ndarray]) -> list[OcrResult]:
        """Read each BGR crop; blocking, thread-safe; one result per crop, same order."""
        ...
