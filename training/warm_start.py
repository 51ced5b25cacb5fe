"""Start a two-row model (``rows=2``) from a committed one-row model's ONNX file.

The ONNX export folded each BatchNorm into its convolution. The folded weights go back
into the convolutions, and each BatchNorm is set to give exactly the folded network in
eval mode with its running statistics taken from real crops, so it also behaves in
training mode (batch statistics) from the first step. The read-out's top-row half takes
the old read-out; the bottom-row half starts at "always blank". Result: the new model
reads one-row plates as the old one did (checked by ``tests/training``) and only has to
learn the second row.
"""

from __future__ import annotations

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from training.ocr_model import BLANK_INDEX, VOCAB, PlateOcrNet


def _initializers(path) -> dict[str, np.ndarray]:
    model = onnx.load(str(path))
    return {i.name: np.array(numpy_helper.to_array(i)) for i in model.graph.initializer}


@torch.no_grad()
def from_onnx(path, calibration: torch.Tensor, rows: int = 2) -> PlateOcrNet:
    """``calibration``: N x 1 x 64 x 128 grey crops (0..255) for the BatchNorm statistics."""
    weights = _initializers(path)
    model = PlateOcrNet(rows=rows)
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    bns = [m for m in model.features if isinstance(m, nn.BatchNorm2d)]
    folded = [(k, v) for k, v in weights.items() if not k.startswith("head.")]  # conv W, b pairs in graph order
    folded.sort(key=lambda kv: int(kv[0].rsplit("_", 1)[1]))
    pairs = [(folded[i][1], folded[i + 1][1]) for i in range(0, len(folded), 2)]
    if len(pairs) != len(convs):
        raise ValueError(f"{path}: {len(pairs)} folded convolutions, the network has {len(convs)}")
    for conv, bn, (w, b) in zip(convs, bns, pairs):
        conv.weight.copy_(torch.from_numpy(w))
        bn.weight.fill_(1.0)
        bn.bias.copy_(torch.from_numpy(b))
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0 - bn.eps)
    head0, head3 = model.head[0], model.head[3]
    head0.weight.copy_(torch.from_numpy(weights["head.0.weight"]))
    head0.bias.copy_(torch.from_numpy(weights["head.0.bias"]))
    v = len(VOCAB)
    old_w, old_b = torch.from_numpy(weights["head.3.weight"]), torch.from_numpy(weights["head.3.bias"])
    head3.weight.zero_()
    head3.bias.zero_()
    head3.weight[:len(old_w)].copy_(old_w)
    head3.bias[:len(old_b)].copy_(old_b)
    for row in range(len(old_b) // v, rows):
        head3.bias[row * v + BLANK_INDEX] = 8.0  # new rows below start as "no character"
    # BatchNorm statistics: record each convolution's output on real crops (the eval
    # function is the folded network's whatever the statistics, so one pass suffices).
    stats: list[tuple[torch.Tensor, torch.Tensor]] = []
    hooks = [c.register_forward_hook(lambda _m, _i, out: stats.append(
        (out.mean(dim=(0, 2, 3)), out.var(dim=(0, 2, 3), unbiased=False)))) for c in convs]
    model.eval()
    model(calibration)
    for h in hooks:
        h.remove()
    for bn, (mean, var) in zip(bns, stats):
        bias = bn.bias.clone()
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(var)
        bn.weight.copy_(torch.sqrt(var + bn.eps))
        bn.bias.copy_(mean + bias)
    return model
