"""Decoding of YOLO (v8/11, ultralytics export) outputs and non-maximum suppression.

Pure numpy functions. A YOLO detection head outputs ``1 x (4 + classes + extra) x N``:
for each of N anchors, box centre x, y, width, height in model pixels, one score per
class (already sigmoid-ed), then ``extra`` values that detection ignores (32 mask
coefficients for a segmentation model). No objectness column since YOLOv8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MASK_COEFFICIENTS = 32  # extra channels per anchor in a YOLO segmentation head


@dataclass(frozen=True, slots=True)
class RawDetections:
    """Detections in model pixels: N x 4 boxes (x1 y1 x2 y2), N scores, N class ids."""

    boxes_xyxy: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)

    def take(self, index: np.ndarray) -> RawDetections:
        return RawDetections(self.boxes_xyxy[index], self.scores[index], self.class_ids[index])


def anchors_for(size_px: int, strides: tuple[int, ...] = (8, 16, 32)) -> int:
    """Number of anchors a YOLOv8/11 head has for a square input: 8400 for 640."""
    return sum((size_px // s) ** 2 for s in strides)


def xywh_to_xyxy(boxes_xywh: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes_xywh, dtype=np.float32).reshape(-1, 4)
    half = boxes[:, 2:4] / 2.0
    return np.concatenate([boxes[:, 0:2] - half, boxes[:, 0:2] + half], axis=1)


def decode_yolo(output: np.ndarray, num_classes: int, min_score: float) -> RawDetections:
    """One image's head output (C x N, or 1 x C x N) -> candidates scoring >= min_score."""
    out = np.asarray(output, dtype=np.float32)
    if out.ndim == 3:
        if out.shape[0] != 1:
            raise ValueError(f"decode one image at a time, got batch {out.shape[0]}")
        out = out[0]
    if out.ndim != 2 or out.shape[0] < 4 + num_classes:
        raise ValueError(f"expected (4 + {num_classes} + extra) x N output, got {out.shape}")
    scores_all = out[4 : 4 + num_classes]  # classes x N
    class_ids = scores_all.argmax(axis=0)
    scores = scores_all[class_ids, np.arange(out.shape[1])]
    keep = scores >= min_score
    return RawDetections(
        boxes_xyxy=xywh_to_xyxy(out[0:4, keep].T),
        scores=scores[keep],
        class_ids=class_ids[keep].astype(np.int64),
    )


def iou_one_to_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one x1 y1 x2 y2 box with each of N boxes."""
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def nms(boxes_xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices of the boxes kept by greedy NMS, best score first."""
    boxes = np.asarray(boxes_xyxy, dtype=np.float32).reshape(-1, 4)
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep: list[int] = []
    while order.size:
        best = int(order[0])
        keep.append(best)
        rest = order[1:]
        order = rest[iou_one_to_many(boxes[best], boxes[rest]) <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def class_aware_nms(dets: RawDetections, iou_threshold: float, max_detections: int = 300) -> RawDetections:
    """NMS within each class (boxes of different classes never suppress each other)."""
    if len(dets) == 0:
        return dets
    # Offsetting each class far apart makes one NMS pass class-aware.
    span = float(dets.boxes_xyxy.max() - dets.boxes_xyxy.min()) + 1.0
    offset = dets.class_ids[:, None].astype(np.float32) * span
    keep = nms(dets.boxes_xyxy + offset, dets.scores, iou_threshold)[:max_detections]
    return dets.take(keep)


def postprocess(output: np.ndarray, num_classes: int, min_score: float, iou_threshold: float) -> RawDetections:
    """Decode + NMS, in model pixels."""
    return class_aware_nms(decode_yolo(output, num_classes, min_score), iou_threshold)


STRIDES = (8, 16, 32)  # of a YOLOv8/11 head's three levels
DFL_BINS = 16  # a box side is a distribution over this many bins (distribution focal loss)


def decode_levels(
    box_maps: list[np.ndarray], class_maps: list[np.ndarray], min_score: float, strides: tuple[int, ...] = STRIDES
) -> RawDetections:
    """One image's raw head maps, level by level, -> candidates scoring >= min_score, in
    model pixels: what the exported head's DFL and anchor steps do, for any input size.

    ``box_maps[i]``: (1 x) 4*16 x h x w logits; ``class_maps[i]``: (1 x) classes x h x w logits.
    """
    boxes, scores, ids = [], [], []
    for box_map, class_map, stride in zip(box_maps, class_maps, strides):
        logits = np.asarray(class_map, np.float32).reshape(-1, *np.shape(class_map)[-2:])
        dist = np.asarray(box_map, np.float32).reshape(4, DFL_BINS, -1)
        classes, w = logits.shape[0], logits.shape[2]
        flat = 1.0 / (1.0 + np.exp(-logits.reshape(classes, -1)))
        best = flat.argmax(axis=0)
        score = flat[best, np.arange(flat.shape[1])]
        keep = np.flatnonzero(score >= min_score)
        if keep.size == 0:
            continue
        d = dist[:, :, keep]
        d = np.exp(d - d.max(axis=1, keepdims=True))
        ltrb = (d * np.arange(DFL_BINS, dtype=np.float32)[None, :, None]).sum(axis=1) / d.sum(axis=1)  # 4 x k
        cx, cy = keep % w + 0.5, keep // w + 0.5
        xyxy = np.stack([cx - ltrb[0], cy - ltrb[1], cx + ltrb[2], cy + ltrb[3]], axis=1) * stride
        boxes.append(xyxy.astype(np.float32))
        scores.append(score[keep])
        ids.append(best[keep].astype(np.int64))
    if not boxes:
        return RawDetections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))
    return RawDetections(np.concatenate(boxes), np.concatenate(scores), np.concatenate(ids))
