"""YOLO output decoding and NMS: table-driven, no model."""

from __future__ import annotations

import numpy as np
import pytest

from alprd.vision.yolo import (
    RawDetections,
    anchors_for,
    class_aware_nms,
    decode_yolo,
    nms,
    postprocess,
    xywh_to_xyxy,
)


def head(rows: list[list[float]]) -> np.ndarray:
    """Anchors given as rows [cx, cy, w, h, score per class..., extra...] -> 1 x C x N head."""
    return np.asarray(rows, np.float32).T[None]


@pytest.mark.parametrize(("size", "anchors"), [(640, 8400), (416, 3549), (320, 2100)])
def test_anchors_for(size: int, anchors: int) -> None:
    assert anchors_for(size) == anchors


@pytest.mark.parametrize(
    ("xywh", "xyxy"),
    [([50, 50, 20, 10], [40, 45, 60, 55]), ([0, 0, 2, 2], [-1, -1, 1, 1]), ([5, 5, 0, 0], [5, 5, 5, 5])],
)
def test_xywh_to_xyxy(xywh: list, xyxy: list) -> None:
    np.testing.assert_allclose(xywh_to_xyxy(np.array([xywh]))[0], xyxy)


@pytest.mark.parametrize(
    ("rows", "classes", "min_score", "boxes", "scores", "ids"),
    [
        # one class: keeps only anchors at or above the threshold
        ([[50, 50, 20, 10, 0.9], [10, 10, 4, 4, 0.1]], 1, 0.25, [[40, 45, 60, 55]], [0.9], [0]),
        # two classes: the best class wins per anchor
        (
            [[50, 50, 20, 10, 0.2, 0.7], [10, 10, 4, 4, 0.6, 0.3]],
            2,
            0.5,
            [[40, 45, 60, 55], [8, 8, 12, 12]],
            [0.7, 0.6],
            [1, 0],
        ),
        # segmentation head: 32 extra mask coefficients are ignored
        ([[50, 50, 20, 10, 0.8] + [5.0] * 32], 1, 0.5, [[40, 45, 60, 55]], [0.8], [0]),
        # nothing above threshold
        ([[50, 50, 20, 10, 0.1]], 1, 0.5, np.zeros((0, 4)), [], []),
    ],
)
def test_decode_yolo(rows: list, classes: int, min_score: float, boxes: list, scores: list, ids: list) -> None:
    got = decode_yolo(head(rows), classes, min_score)
    np.testing.assert_allclose(got.boxes_xyxy.reshape(-1, 4), np.asarray(boxes, np.float32).reshape(-1, 4))
    np.testing.assert_allclose(got.scores, scores, rtol=1e-6)
    assert got.class_ids.tolist() == ids


def test_decode_yolo_rejects_wrong_shapes() -> None:
    with pytest.raises(ValueError):
        decode_yolo(np.zeros((2, 5, 10), np.float32), 1, 0.5)
    with pytest.raises(ValueError):
        decode_yolo(np.zeros((1, 4, 10), np.float32), 1, 0.5)


@pytest.mark.parametrize(
    ("boxes", "scores", "iou", "kept"),
    [
        ([], [], 0.5, []),
        ([[0, 0, 10, 10]], [0.5], 0.5, [0]),
        # heavy overlap: the lower score goes
        ([[0, 0, 10, 10], [1, 1, 11, 11]], [0.6, 0.9], 0.5, [1]),
        # disjoint: both kept, best first
        ([[0, 0, 10, 10], [20, 20, 30, 30]], [0.6, 0.9], 0.5, [1, 0]),
        # IoU 1/3 (half overlap): kept at 0.45, suppressed at 0.3
        ([[0, 0, 10, 10], [5, 0, 15, 10]], [0.9, 0.8], 0.45, [0, 1]),
        ([[0, 0, 10, 10], [5, 0, 15, 10]], [0.9, 0.8], 0.3, [0]),
        # chain: A suppresses B; C (far from A) survives even though it overlaps B
        ([[0, 0, 10, 10], [4, 0, 14, 10], [9, 0, 19, 10]], [0.9, 0.8, 0.7], 0.3, [0, 2]),
    ],
)
def test_nms(boxes: list, scores: list, iou: float, kept: list) -> None:
    assert nms(np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(scores), iou).tolist() == kept


def test_class_aware_nms_keeps_overlapping_boxes_of_different_classes() -> None:
    dets = RawDetections(
        np.array([[0, 0, 10, 10], [0, 0, 10, 10], [1, 1, 10, 10]], np.float32),
        np.array([0.9, 0.8, 0.7]),
        np.array([0, 1, 0]),
    )
    kept = class_aware_nms(dets, 0.5)
    assert sorted(kept.class_ids.tolist()) == [0, 1] and kept.scores.tolist() == [0.9, 0.8]


def test_postprocess_end_to_end() -> None:
    rows = [[100, 100, 40, 20, 0.9], [101, 100, 40, 20, 0.85], [300, 300, 40, 20, 0.4], [5, 5, 2, 2, 0.01]]
    got = postprocess(head(rows), 1, 0.25, 0.45)
    assert got.scores.tolist() == pytest.approx([0.9, 0.4])
    np.testing.assert_allclose(got.boxes_xyxy[0], [80, 90, 120, 110])
