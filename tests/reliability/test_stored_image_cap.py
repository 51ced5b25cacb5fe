"""Stored images are capped in pixels: a small upload of a huge image (before: a 5.5 MB
upload stored 20.8 MB of images) stores originals, annotated images and crops scaled down to
``storage.max_stored_image_mp``; the analysis and the reported resolution use the full image."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from aiohttp import FormData
from reliability_helpers import StubPipeline, make_config

from alprd.config import StorageConfig
from alprd.storage.files import ImageStore, fit_pixels
from alprd.storage.repository import open_repository
from alprd.web.app import create_app


def _big_jpeg(width: int, height: int) -> bytes:
    """A large image that compresses well (gradients and a grid), as a bomb-ish upload would."""
    x = np.linspace(0, 255, width, dtype=np.float32)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    image = np.empty((height, width, 3), np.uint8)
    image[..., 0] = x
    image[..., 1] = y
    image[..., 2] = (x + y) / 2
    image[::64, :] = 0
    image[:, ::64] = 255
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return buf.tobytes()


def _stored_files(outputs: Path) -> list[Path]:
    return [p for p in outputs.rglob("*.jpg") if ".pending" not in p.parts]


async def test_a_huge_upload_is_stored_scaled_down(aiohttp_client, tmp_path):
    config = make_config(tmp_path)
    cap_px = config.storage.max_stored_image_mp * 1e6
    repository = open_repository(config)
    try:
        client = await aiohttp_client(create_app(config, repository=repository, pipeline=StubPipeline()))
        upload = _big_jpeg(6000, 4000)  # 24 MP
        form = FormData()
        form.add_field("file", io.BytesIO(upload), filename="big.jpg", content_type="image/jpeg")
        resp = await client.post("/detect/image", data=form)
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["image_resolution"] == "6000x4000"  # what was analysed
    finally:
        repository.db.close()
    files = _stored_files(tmp_path / "outputs")
    assert len(files) == 5  # original, annotated (+ its link), vehicle crop, plate crop
    sizes = {p.name: cv2.imread(str(p)).shape[:2] for p in files}
    assert all(h * w <= cap_px for h, w in sizes.values()), sizes
    (original,) = [shape for name, shape in sizes.items() if name.endswith("_uploaded-image.jpg")]
    assert original[1] / original[0] == pytest.approx(1.5, abs=0.01)  # aspect ratio kept
    # three images at most the cap each (before: three of 24 MP, 7.3 MB for a 3.1 MB upload)
    unique_bytes = sum(p.stat().st_size for p in files if not p.name.endswith("_vehicle.jpg"))
    assert unique_bytes < 1.5 * len(upload), (unique_bytes, len(upload))


@pytest.mark.parametrize(
    "shape,max_pixels,expected",
    [
        ((100, 200), 20_000, (100, 200)),  # at the cap: unchanged
        ((100, 200), 19_999, (99, 199)),
        ((4000, 6000), 8_300_000, (2352, 3528)),
        ((1, 50_000), 1_000, (1, 1_000)),  # a sliver keeps at least one row
    ],
)
def test_fit_pixels(shape, max_pixels, expected):
    image = np.zeros((*shape, 3), np.uint8)
    fitted = fit_pixels(image, max_pixels)
    assert fitted.shape[:2] == expected
    assert fitted.shape[0] * fitted.shape[1] <= max_pixels
    if expected == shape:
        assert fitted is image  # no copy when it fits


def test_the_cap_is_configurable_and_bounded(tmp_path):
    config = make_config(tmp_path).model_copy(update={"storage": StorageConfig(max_stored_image_mp=1)})
    store = ImageStore.from_config(config)
    saved = store.save(when=datetime(2026, 1, 1), original=np.zeros((2000, 2000, 3), np.uint8), annotated=None)
    h, w = cv2.imread(str(store.absolute(saved.original))).shape[:2]
    assert h * w <= 1_000_000
    with pytest.raises(ValueError):
        StorageConfig(max_stored_image_mp=0)
