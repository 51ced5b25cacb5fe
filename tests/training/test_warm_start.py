"""A two-row model started from a one-row model's ONNX file reads as the one-row model
did (top-row frames) and starts its bottom row at blank."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="training needs torch (tools/test.sh installs it)")

from training.export_ocr import to_onnx  # noqa: E402
from training.ocr_model import BLANK_INDEX, COLUMNS, INPUT_HW, PlateOcrNet  # noqa: E402
from training.warm_start import from_onnx  # noqa: E402


def test_two_row_model_from_a_one_row_onnx_keeps_its_reads(tmp_path):
    torch.manual_seed(0)
    one_row = PlateOcrNet(rows=1, with_softmax=True)
    with torch.no_grad():  # non-trivial BatchNorm statistics, as after training
        for m in one_row.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    one_row.eval()
    to_onnx(one_row, tmp_path / "one.onnx")
    images = torch.rand(8, 1, *INPUT_HW) * 255
    two_row = from_onnx(tmp_path / "one.onnx", images, rows=2)
    two_row.eval()
    with torch.no_grad():
        old = one_row(images)
        new = torch.softmax(two_row(images), dim=-1)
    assert new.shape == (8, 2 * COLUMNS, old.shape[-1])
    assert torch.allclose(new[:, :COLUMNS], old, atol=1e-4)
    assert (new[:, COLUMNS:].argmax(-1) == BLANK_INDEX).all()
    two_row.train()  # batch statistics of the calibration crops = the recorded ones
    two_row.head.eval()  # (no dropout, to compare)
    with torch.no_grad():
        assert torch.allclose(torch.softmax(two_row(images), dim=-1)[:, :COLUMNS], old, atol=2e-3)
