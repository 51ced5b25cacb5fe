"""A short training run on a handful of samples: the loss is finite and falls, a
checkpoint is written, and it exports to a model the runtime reader loads."""

from __future__ import annotations

import math

import cv2
import numpy as np
import openvino as ov
import pytest

torch = pytest.importorskip("torch", reason="training needs torch (tools/test.sh installs it)")

from alprd.vision.ocr_plate import PlateOcr  # noqa: E402
from training import data  # noqa: E402
from training.export_ocr import load_model, to_ir, to_onnx  # noqa: E402
from training.ocr_model import FRAMES, INPUT_HW, MAX_TEXT, VOCAB, PlateOcrNet, decode, encode  # noqa: E402
from training.synth import make_sample  # noqa: E402
from training.train_ocr import TrainConfig, make_pool, online_pool, real_pool, train  # noqa: E402


def synth_pool(n: int):
    samples = [make_sample(seed, style) for seed in range(n) for style in ("eu", "id")]
    images = np.stack([cv2.resize(s.image, (INPUT_HW[1], INPUT_HW[0]), interpolation=cv2.INTER_AREA) for s in samples])
    return make_pool(images, [s.text for s in samples], real=False)


def test_encode_pads_with_blank_and_decode_merges_repeats():
    assert len(encode("B1234ABC")) == MAX_TEXT
    assert decode(encode("B1234ABC")) == "B1234ABC"
    blank = len(VOCAB) - 1
    assert decode([blank, 1, 1, blank, 1, 2, 2]) == "112"


def test_model_outputs_frame_probabilities():
    model = PlateOcrNet(with_softmax=True).eval()
    with torch.no_grad():
        out = model(torch.zeros(2, 1, *INPUT_HW))
    assert out.shape == (2, FRAMES, len(VOCAB))
    assert torch.allclose(out.sum(-1), torch.ones(2, FRAMES), atol=1e-5)


def test_a_few_steps_lower_the_loss_and_export(tmp_path, datasets_dir):
    datasets_dir / "openalpr-us-crops"  # training.data reads it from ../shared only: skip without it
    pools = [synth_pool(6), real_pool(data.us_crops(holdout=False)[:6]), online_pool(("id", "us"))]
    cfg = TrainConfig(max_steps=14, batch=12, warmup_steps=1, lr=3e-3, out=tmp_path / "run", checkpoint_every_s=1e9)
    _, result = train(cfg, pools, [0.4, 0.4, 0.2])
    assert result.steps == 14
    assert all(math.isfinite(v) for v in result.losses)
    assert np.mean(result.losses[-3:]) < result.losses[0]
    checkpoint = tmp_path / "run" / "last.pt"
    assert checkpoint.is_file()
    to_onnx(load_model(checkpoint), tmp_path / "m.onnx")
    to_ir(tmp_path / "m.onnx", tmp_path / "m.xml")
    reader = PlateOcr(tmp_path / "m.xml", ov.Core(), "CPU")
    results = reader.read_batch([np.zeros((40, 160, 3), np.uint8)])
    assert len(results) == 1 and results[0].engine == "plate"


def test_prefix_balance_weighs_each_leading_letters_group_down_by_its_size():
    from training.train_ocr import prefix_balance

    texts = ["AB1234CD"] * 8 + ["DR5580EM", "1ABC234"]
    p = prefix_balance(texts, 1.0)
    assert p.sum() == pytest.approx(1.0)
    # power 1: the eight AB plates together weigh as much as the one DR plate
    assert p[:8].sum() == pytest.approx(p[8]) and p[8] == pytest.approx(p[9])
    assert np.allclose(prefix_balance(texts, 0.0), 1 / len(texts))


def test_a_fold_trains_on_a_held_out_source_and_leaves_it_out_of_the_report(datasets_dir):
    from training.train_ocr import extra_training_crops, validation_sets

    datasets_dir / "indonesia-plates-extra"
    fold = "indonesia-plates-extra:motoplat-camcrop"
    crops = extra_training_crops([fold])
    assert crops and {c.name for c in crops} == {
        f for f, _, g, _ in data.grouped_rows("indonesia-plates-extra") if g == "motoplat-camcrop"}
    report = validation_sets(exclude={fold})
    assert not {c.name for c in report["idx_moto"]} & {c.name for c in crops}  # motoplat-manual stays
    assert {"idx_street", "vn_val", "cz_iwt"} <= set(report)
    with pytest.raises(SystemExit, match="not a held-out group"):
        extra_training_crops(["indonesia-plates-extra:motoplat-named"])  # a training source already


def test_openlpr_plates_train_and_val_crops_are_other_photos_with_their_text(datasets_dir):
    from training.train_ocr import validation_sets

    datasets_dir / "openlpr-plates"
    train, val = data.openlpr_crops("train"), data.openlpr_crops("val")
    assert (len(train), len(val)) == (1140, 131)
    photos = {c.name.split("#")[0] for c in train}
    assert photos and not photos & {c.name.split("#")[0] for c in val}
    assert all(c.text and c.image.shape[0] >= 4 and c.image.shape[1] >= 8 for c in train + val)
    assert [c.name for c in validation_sets()["openlpr_val"]] == [c.name for c in val]


def test_average_weights_interpolates_floats_and_keeps_counters(tmp_path):
    from training.average_weights import average, main

    a, b = PlateOcrNet(), PlateOcrNet()
    with torch.no_grad():
        for p in b.parameters():
            p.add_(1.0)
    mid = average(a.state_dict(), b.state_dict(), 0.25)
    key = "features.0.weight"
    assert torch.allclose(mid[key], 0.75 * a.state_dict()[key] + 0.25 * b.state_dict()[key])
    counter = next(k for k, v in mid.items() if not v.is_floating_point())
    assert torch.equal(mid[counter], b.state_dict()[counter])
    with pytest.raises(ValueError, match="different networks"):
        average(a.state_dict(), PlateOcrNet(rows=1).state_dict(), 0.5)
    for name, net in (("a", a), ("b", b)):
        torch.save({"model": net.state_dict(), "step": 3}, tmp_path / f"{name}.pt")
    argv = [str(tmp_path / "a.pt"), str(tmp_path / "b.pt"), "--weight", "0.25", "--out", str(tmp_path / "m.pt")]
    assert main(argv) == 0
    saved = torch.load(tmp_path / "m.pt", weights_only=True)
    assert torch.allclose(saved["model"][key], mid[key]) and saved["meta"]["weight"] == 0.25
