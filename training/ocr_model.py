"""The plate recognition network: a small CNN with fixed slot heads.

Input: grey plate crops, N x 1 x 64 x 128, float32 pixel values 0..255 (the model
scales them itself, so the runtime only resizes). Output: N x MAX_SLOTS x len(VOCAB)
per-slot probabilities (softmax inside the exported graph); the text is the slots'
characters left to right with PAD slots dropped. Slot heads read the whole plate at
once, so one- and two-line layouts are the same problem to the model.
"""

from __future__ import annotations

import torch
from torch import nn

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PAD = "_"
VOCAB = ALPHABET + PAD
MAX_SLOTS = 10
INPUT_HW = (64, 128)


def _conv(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class PlateOcrNet(nn.Module):
    def __init__(self, width: int = 16, dropout: float = 0.2, with_softmax: bool = False) -> None:
        super().__init__()
        w = width
        self.features = nn.Sequential(
            *_conv(1, w), nn.MaxPool2d(2),                      # 32 x 64
            *_conv(w, 2 * w), nn.MaxPool2d(2),                  # 16 x 32
            *_conv(2 * w, 4 * w), nn.MaxPool2d(2),              # 8 x 16
            *_conv(4 * w, 6 * w), *_conv(6 * w, 6 * w), nn.MaxPool2d((2, 1)),  # 4 x 16
            nn.Conv2d(6 * w, 2 * w, 1), nn.BatchNorm2d(2 * w), nn.ReLU(inplace=True),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(2 * w * 4 * 16, MAX_SLOTS * len(VOCAB)))
        self.with_softmax = with_softmax

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x * (1.0 / 127.5) - 1.0
        logits = self.head(self.features(x)).view(-1, MAX_SLOTS, len(VOCAB))
        return torch.softmax(logits, dim=-1) if self.with_softmax else logits


def encode(text: str) -> list[int]:
    """Text -> MAX_SLOTS class indices, PAD-filled on the right."""
    text = text[:MAX_SLOTS]
    return [VOCAB.index(c) for c in text] + [len(VOCAB) - 1] * (MAX_SLOTS - len(text))


def decode(indices) -> str:
    return "".join(VOCAB[i] for i in indices if VOCAB[i] != PAD)
