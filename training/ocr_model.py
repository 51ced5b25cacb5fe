"""The plate recognition network: a small CNN read out per column with CTC.

Input: grey plate crops, N x 1 x 64 x 128, float32 pixel values 0..255 (the model
scales them itself, so the runtime only resizes). Output: N x FRAMES x len(VOCAB)
per-frame probabilities (softmax inside the exported graph; log-softmax for the CTC
loss in training), ``_`` being the CTC blank. The text is the frames' best classes
with repeats merged and blanks dropped; each character's frames give its confidence
and runner-up, which the country packs use to re-rank candidates.

A CTC read-out shares one character classifier across positions, so it learns from
far fewer samples than per-slot heads do (measured: slot heads had barely left chance
after 200 steps here). Version 2 reads two rows: each of the 32 columns (whose features
see the whole plate height) emits a top-row and a bottom-row class, and the frames are
the 32 top-row ones followed by the 32 bottom-row ones, so CTC reads a two-row plate
(Vietnamese motorbikes) top row first, and a one-row plate in the top-row frames with
blanks below; rows that are not the registration (expiry date, city) learn blank.
"""

from __future__ import annotations

import torch
from torch import nn

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BLANK = "_"
VOCAB = ALPHABET + BLANK
BLANK_INDEX = len(VOCAB) - 1
MAX_TEXT = 10  # longest plate text a label may have
COLUMNS = 32  # feature columns: 4 input pixels each
ROWS = 2  # text rows read per column (version 1 models: 1)
FRAMES = COLUMNS * ROWS  # CTC frames: the top row's columns, then the bottom row's
INPUT_HW = (64, 128)


def _conv(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class PlateOcrNet(nn.Module):
    def __init__(self, width: int = 16, dropout: float = 0.2, with_softmax: bool = False, rows: int = ROWS) -> None:
        super().__init__()
        self.rows = rows
        w = width
        self.features = nn.Sequential(
            *_conv(1, w), nn.MaxPool2d(2),                      # 32 x 64
            *_conv(w, 2 * w), nn.MaxPool2d(2),                  # 16 x 32
            *_conv(2 * w, 4 * w), nn.MaxPool2d((2, 1)),         # 8 x 32
            *_conv(4 * w, 6 * w), nn.MaxPool2d((2, 1)),         # 4 x 32
            *_conv(6 * w, 6 * w),
        )
        self.head = nn.Sequential(
            nn.Conv1d(6 * w * 4, 8 * w, 3, padding=1), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Conv1d(8 * w, len(VOCAB) * rows, 1),
        )
        self.with_softmax = with_softmax

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x * (1.0 / 127.5) - 1.0)  # N x C x 4 x 32
        n, c, h, t = f.shape
        logits = self.head(f.reshape(n, c * h, t))  # N x (rows V) x T
        logits = logits.reshape(n, self.rows, len(VOCAB), t).permute(0, 1, 3, 2).reshape(n, self.rows * t, len(VOCAB))
        return torch.softmax(logits, dim=-1) if self.with_softmax else torch.log_softmax(logits, dim=-1)


def encode(text: str) -> list[int]:
    """Text -> MAX_TEXT class indices, BLANK-filled on the right (CTC target + padding)."""
    text = text[:MAX_TEXT]
    return [VOCAB.index(c) for c in text] + [BLANK_INDEX] * (MAX_TEXT - len(text))


def decode(frame_classes) -> str:
    """CTC greedy: merge repeats, drop blanks."""
    out, prev = [], BLANK_INDEX
    for k in frame_classes:
        k = int(k)
        if k != prev and k != BLANK_INDEX:
            out.append(VOCAB[k])
        prev = k
    return "".join(out)
