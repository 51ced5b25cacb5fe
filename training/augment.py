"""Heavy, cheap augmentation of real grey crops (OpenCV on a 256 x 128 base image).

The runtime resizes a crop straight to the model input; training does the same after
a random affine (zoom, shift, rotation, shear: loose and cut crops), capture
resolution, blur, light and noise, so a few hundred real plates go a long way.
"""

from __future__ import annotations

import cv2
import numpy as np

BASE_WH = (256, 128)


def to_base(bgr: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY) if bgr.ndim == 3 else bgr
    return cv2.resize(grey, BASE_WH, interpolation=cv2.INTER_AREA)


def affine(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    w, h = BASE_WH
    strong = rng.random() < 0.25  # a looser, more turned view than the crop's own
    zoom = (0.65, 1.0) if strong else (0.82, 1.15)
    sx, sy = rng.uniform(*zoom), rng.uniform(*zoom)
    angle = np.deg2rad(rng.normal(0, 6.0 if strong else 2.5))
    shear = rng.normal(0, 0.15 if strong else 0.08)
    a = np.array([[sx * np.cos(angle), -sy * np.sin(angle) + shear], [sx * np.sin(angle), sy * np.cos(angle)]])
    t = np.array([w / 2, h / 2]) - a @ np.array([w / 2, h / 2]) + rng.normal(0, 1, 2) * [w * 0.03, h * 0.04]
    m = np.hstack([a, t[:, None]]).astype(np.float32)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def resolution(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.5:
        return img
    w, h = BASE_WH
    width = int(np.exp(rng.uniform(np.log(50), np.log(200))))
    small = cv2.resize(img, (width, max(8, width * h // w)), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def photometric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    f = img.astype(np.float32) / 255.0
    if rng.random() < 0.3:
        f = cv2.GaussianBlur(f, (0, 0), rng.uniform(0.5, 2.0))
    f = np.clip(f * rng.uniform(0.6, 1.3) + rng.uniform(-0.2, 0.2), 0, 1) ** rng.uniform(0.7, 1.4)
    if rng.random() < 0.15:  # shadow or glare band
        edge = int(rng.uniform(0.2, 0.8) * f.shape[1])
        f[:, :edge] = np.clip(f[:, :edge] * rng.uniform(0.4, 1.6), 0, 1)
    f = f + rng.normal(0, rng.uniform(0, 0.05), f.shape)
    return (np.clip(f, 0, 1) * 255).astype(np.uint8)


def augment(base: np.ndarray, rng: np.random.Generator, out_hw: tuple[int, int]) -> np.ndarray:
    img = photometric(resolution(affine(base, rng), rng), rng)
    return cv2.resize(img, (out_hw[1], out_hw[0]), interpolation=cv2.INTER_AREA)
