"""Camera-like degradation of a clean plate, each step a function of (image, rng).

Order follows the camera: plate in a scene -> perspective -> crop (loose or cut) ->
capture resolution -> blur -> light (low light, glare, shadow) -> occlusion ->
noise -> IR-like grey -> JPEG. Output is a grey crop, as the detector would hand it over.
"""

from __future__ import annotations

import cv2
import numpy as np


def scene(plate: np.ndarray, rng: np.random.Generator, margin: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """Put the plate on a noisy car-body background; return (scene, plate corners)."""
    h, w = plate.shape[:2]
    mh, mw = int(h * margin), int(w * margin)
    base = rng.integers(0, 256, 3).astype(np.float32)
    bg = np.empty((h + 2 * mh, w + 2 * mw, 3), np.float32)
    bg[:] = base
    bg += rng.normal(0, rng.uniform(2, 25), bg.shape[:2])[..., None]
    bg = np.clip(bg, 0, 255).astype(np.uint8)
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    # Most plates face the camera; a street camera sees some turned and tilted.
    strong = rng.random() < 0.3
    jitter = np.float32(rng.uniform(-1, 1, (4, 2)) * ([w * 0.08, h * 0.16] if strong else [w * 0.04, h * 0.08]))
    angle = np.deg2rad(rng.normal(0, 7.0 if strong else 2.0))
    rot = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centred = (corners - [w / 2, h / 2]) @ rot.T + [w / 2 + mw, h / 2 + mh] + jitter
    m = cv2.getPerspectiveTransform(corners, np.float32(centred))
    cv2.warpPerspective(plate, m, (bg.shape[1], bg.shape[0]), dst=bg, borderMode=cv2.BORDER_TRANSPARENT)
    return bg, np.float32(centred)


def crop(img: np.ndarray, corners: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Crop the plate's box with random loose or cut margins on each side."""
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    w, h = x1 - x0, y1 - y0
    r = rng.random()
    lo, hi = (0.05, 0.3) if r < 0.15 else (-0.01, 0.12) if r < 0.55 else (-0.04, 0.03)  # very loose, loose, tight
    dx0, dx1 = rng.uniform(lo, hi, 2) * w * 0.6
    dy0, dy1 = rng.uniform(lo, hi, 2) * h
    H, W = img.shape[:2]
    xa, xb = int(max(0, x0 - dx0)), int(min(W, x1 + dx1))
    ya, yb = int(max(0, y0 - dy0)), int(min(H, y1 + dy1))
    return img[ya:yb, xa:xb]


def capture_resolution(img: np.ndarray, rng: np.random.Generator, small: bool = False) -> np.ndarray:
    """Down-sample to a random capture width (far plates are 60-100 px wide; with
    ``small``, 40-110 px: street cameras' motorcycle plates, 30-50 px high)."""
    h, w = img.shape[:2]
    lo, hi = (40, 110) if small else (50, 320)
    width = int(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    height = max(8, int(h * width / w))
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)


def blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    r = rng.random()
    if r < 0.3:
        return cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.3))
    if r < 0.45:
        k = int(rng.integers(3, 6))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        m = cv2.getRotationMatrix2D((k / 2 - .5, k / 2 - .5), rng.uniform(0, 180), 1.0)
        kernel = cv2.warpAffine(kernel, m, (k, k))
        return cv2.filter2D(img, -1, kernel / max(kernel.sum(), 1e-6))
    return img


def light(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    f = img.astype(np.float32) / 255.0
    h, w = f.shape[:2]
    if rng.random() < 0.2:  # low light
        f = f * rng.uniform(0.3, 0.6)
    f = f * rng.uniform(0.75, 1.2) + rng.uniform(-0.1, 0.12)  # exposure, offset
    f = np.clip(f, 0, 1) ** rng.uniform(0.7, 1.5)  # gamma
    if rng.random() < 0.15:  # glare blob
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        sx, sy = rng.uniform(.1, .4) * w, rng.uniform(.2, .8) * h
        blob = np.exp(-(((xx - cx) / sx) ** 2 + ((yy - cy) / sy) ** 2))
        f = f + blob[..., None] * rng.uniform(0.3, 0.8)
    if rng.random() < 0.2:  # shadow over part of the plate
        edge = int(rng.uniform(0.2, 0.8) * w)
        side = slice(0, edge) if rng.random() < 0.5 else slice(edge, w)
        f[:, side] *= rng.uniform(0.35, 0.7)
    return (np.clip(f, 0, 1) * 255).astype(np.uint8)


def occlude(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A small object (bolt, tow bar, sticker) over an edge of the plate."""
    if rng.random() >= 0.1:
        return img
    h, w = img.shape[:2]
    ow, oh = int(w * rng.uniform(0.03, 0.1)), int(h * rng.uniform(0.2, 0.5))
    x = int(rng.uniform(0, w - ow))
    y = 0 if rng.random() < 0.5 else h - oh
    out = img.copy()
    out[y: y + oh, x: x + ow] = rng.integers(0, 256, 3 if img.ndim == 3 else 1)
    return out


def noise(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    sigma = rng.uniform(0, 12)
    return np.clip(img + rng.normal(0, sigma, img.shape), 0, 255).astype(np.uint8)


def to_grey(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    if rng.random() < 0.15:  # IR-like: flat, high contrast
        grey = cv2.equalizeHist(grey)
    return grey


def jpeg(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if rng.random() >= 0.6:
        return img
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(15, 90))])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else img


def degrade(plate: np.ndarray, rng: np.random.Generator, small: bool = False) -> np.ndarray:
    """Clean RGB plate -> degraded grey crop (uint8, any size); ``small``: a far,
    low-resolution capture."""
    img, corners = scene(plate, rng)
    img = crop(img, corners, rng)
    img = capture_resolution(img, rng, small)
    img = blur(img, rng)
    img = light(img, rng)
    img = occlude(img, rng)
    img = noise(img, rng)
    img = to_grey(img, rng)
    return jpeg(img, rng)
