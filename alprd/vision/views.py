"""Several views of one plate crop, read together, one text chosen by their votes.

A detector's box (or a dataset's crop) is sometimes loose, sometimes tight; the plate
OCR squeezes every crop to 128×64 without keeping its aspect, so how much border a crop
has changes what the network sees. Reading the crop as it is, a tighter copy (4 % off
each side, 8 % off top and bottom) and a looser one (the edge pixels repeated, 5 % each
side, 10 % top and bottom) in one batch costs little with the fast engine, and the text
with the largest summed confidence over the three (after each view's pack re-ranking)
is kept; on a tie the crop as it is wins. Chosen on the validation sets (id_val, the US
held-out files, openalpr-eu's labelled crops; docs/accuracy.md): pure functions, no
state.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from alprd.domain.messages import OcrResult

TRIM_X, TRIM_Y = 0.04, 0.08  # the tighter view: this share of the width / height off each side
PAD_X, PAD_Y = 0.05, 0.10  # the looser view: this share of the width / height added each side
MIN_SIDE_PX = 8  # a crop smaller than this gets no other views


def crop_views(crop: np.ndarray) -> list[np.ndarray]:
    """The crop as it is, then a tighter and a looser copy (just the crop when it is tiny)."""
    h, w = crop.shape[:2]
    if h < MIN_SIDE_PX or w < MIN_SIDE_PX:
        return [crop]
    dx, dy = int(w * TRIM_X), int(h * TRIM_Y)
    tight = crop[dy : h - dy, dx : w - dx]
    px, py = int(w * PAD_X), int(h * PAD_Y)
    loose = cv2.copyMakeBorder(crop, py, py, px, px, cv2.BORDER_REPLICATE)
    return [crop, tight, loose]


def vote(reads: Sequence[OcrResult]) -> int:
    """Index of the chosen read: the first read of the text whose reads' confidences sum
    highest (empty texts never vote); 0 when nothing was read.

    Texts that fit no pack format vote too: a foreign plate read surely in two views must
    not lose to one view the home pack's re-ranking bent into its format (``217YH`` →
    ``Z17YH`` on the night clip when only fitting texts voted)."""
    totals: dict[str, float] = {}
    for read in reads:
        if read.text:
            totals[read.text] = totals.get(read.text, 0.0) + read.confidence
    if not totals:
        return 0
    best = max(totals.values())
    winner = next(text for text, total in totals.items() if total == best)  # first seen wins a tie
    return next(i for i, read in enumerate(reads) if read.text == winner)
