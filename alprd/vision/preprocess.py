"""Image pre-processing for square-input detectors: letterbox and its inverse.

Pure functions. ``letterbox`` scales an image to fit a ``size_px`` square keeping its
aspect ratio and pads the rest (grey 114, as YOLO was trained); ``unletterbox_boxes``
maps boxes found in the square back to pixels of the original image.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PAD_VALUE = 114


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How an image was placed in the model's square: model_px = image_px * scale + pad."""

    scale: float
    pad_x_px: int
    pad_y_px: int
    resized_w_px: int
    resized_h_px: int


def letterbox_params(width_px: int, height_px: int, size_px: int) -> Letterbox:
    """Scale and padding that fit a width x height image, centred, in a size x size square."""
    if width_px <= 0 or height_px <= 0 or size_px <= 0:
        raise ValueError(f"bad sizes: image {width_px}x{height_px}, square {size_px}")
    scale = min(size_px / width_px, size_px / height_px)
    resized_w = min(size_px, max(1, int(round(width_px * scale))))
    resized_h = min(size_px, max(1, int(round(height_px * scale))))
    return Letterbox(
        scale=scale,
        pad_x_px=(size_px - resized_w) // 2,
        pad_y_px=(size_px - resized_h) // 2,
        resized_w_px=resized_w,
        resized_h_px=resized_h,
    )


def letterbox(image: np.ndarray, size_px: int, pad_value: int = PAD_VALUE) -> tuple[np.ndarray, Letterbox]:
    """The image (HxWxC uint8) fitted into a size x size x C square, and how it was placed."""
    height, width = image.shape[:2]
    lb = letterbox_params(width, height, size_px)
    if (lb.resized_w_px, lb.resized_h_px) != (width, height):
        interpolation = cv2.INTER_AREA if lb.scale < 1 else cv2.INTER_LINEAR
        image = cv2.resize(image, (lb.resized_w_px, lb.resized_h_px), interpolation=interpolation)
    out = np.full((size_px, size_px, image.shape[2]), pad_value, dtype=image.dtype)
    out[lb.pad_y_px : lb.pad_y_px + lb.resized_h_px, lb.pad_x_px : lb.pad_x_px + lb.resized_w_px] = image
    return out, lb


def unletterbox_boxes(boxes_xyxy: np.ndarray, lb: Letterbox, width_px: int, height_px: int) -> np.ndarray:
    """Boxes (N x 4, x1 y1 x2 y2) in model pixels -> original image pixels, clipped to it."""
    boxes = np.asarray(boxes_xyxy, dtype=np.float32).reshape(-1, 4).copy()
    boxes[:, [0, 2]] = (boxes[:, [0, 2]] - lb.pad_x_px) / lb.scale
    boxes[:, [1, 3]] = (boxes[:, [1, 3]] - lb.pad_y_px) / lb.scale
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width_px)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height_px)
    return boxes


def to_batch(squares: list[np.ndarray]) -> np.ndarray:
    """Same-size HxWx3 uint8 images -> one N x H x W x 3 uint8 array (the model's tensor).

    Colour order, layout and scaling to 0..1 are done inside the compiled model
    (OpenVINO pre-processing), so the tensor stays uint8 BGR NHWC here.
    """
    return np.ascontiguousarray(np.stack(squares, axis=0))
