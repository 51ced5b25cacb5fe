"""POST /detect/image with the real ImagePipeline (OpenVINO on CPU) on a real photo."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import openvino as ov
import pytest
from aiohttp import FormData

from alprd.config import Config, InferenceConfig, PpOcrConfig
from alprd.domain.messages import Box
from alprd.errors import ModelError
from alprd.vision.lazy_pipeline import LazyPipeline, detector_algorithm
from alprd.vision.pipeline import ImagePipeline
from alprd.web.app import create_app

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="module")
def real_pipeline() -> ImagePipeline:
    config = Config(inference=InferenceConfig(device="CPU", models_dir=MODELS_DIR, ocr=PpOcrConfig(engine="ppocr")))
    return ImagePipeline.from_config(config, ov.Core())


def _labelled(datasets_dir: Path, name: str) -> tuple[bytes, Box, str]:
    f, x, y, w, h, text = (datasets_dir / "openalpr-eu" / f"{name}.txt").read_text().split("\t")[:6]
    x, y, w, h = map(float, (x, y, w, h))
    return (datasets_dir / "openalpr-eu" / f).read_bytes(), Box(x, y, x + w, y + h), text.strip()


async def test_real_photo_is_read_stored_and_listed(aiohttp_client, config, repository, real_pipeline, datasets_dir):
    data, plate_box, _truth = _labelled(datasets_dir, "eu1")
    client = await aiohttp_client(create_app(config, repository=repository, pipeline=real_pipeline))
    form = FormData()
    form.add_field("file", data, filename="eu1.jpg", content_type="image/jpeg")
    form.add_field("location", "Gate 1")
    resp = await client.post("/detect/image", data=form)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert body["image_resolution"] == f"{image.shape[1]}x{image.shape[0]}"
    assert body["processing_time"] > 0
    reads = [x for x in body["list_vehicle_and_plate_information"] if x["plate"]]
    over = [x for x in reads if Box(*x["plate"]["plate_bounding_box"]).contains_point(*plate_box.center)]
    assert over, f"no plate read over the labelled plate: {reads}"
    plate = over[0]["plate"]
    assert plate["plate_text"] and 0 < plate["ocr_confidence"] <= 1
    assert over[0]["vehicle"] is not None and over[0]["vehicle"]["vehicle_class"]
    outputs_parent = config.resolve(config.storage.outputs_dir).parent
    crop = cv2.imread(str(outputs_parent / plate["plate_image_path"]))
    assert crop is not None and crop.shape[1] > crop.shape[0]  # a plate crop is wider than tall
    listed = await (await client.get(f"/detections?search={plate['plate_text']}")).json()
    assert plate["id"] in [d["id"] for d in listed["detections"]]
    latest = await (await client.get("/api/detection/latest")).json()
    assert any(e["plateNumber"] == plate["plate_text"] for e in latest)
    assert {e["algorithm"] for e in latest} == {"YOLOv8n (OpenVINO)"}  # the committed detector, read from it


def _upload(data: bytes, name: str = "eu1.jpg") -> FormData:
    form = FormData()
    form.add_field("file", data, filename=name, content_type="image/jpeg")
    return form


async def test_a_central_compiles_its_models_for_the_first_photo(aiohttp_client, config, repository, datasets_dir):
    """A daemon without cameras gets a LazyPipeline: nothing compiled until a photo comes."""
    built = []

    def build() -> ImagePipeline:
        built.append(1)
        cfg = Config(inference=InferenceConfig(device="CPU", models_dir=MODELS_DIR, ocr=PpOcrConfig(engine="ppocr")))
        return ImagePipeline.from_config(cfg, ov.Core())

    detector = MODELS_DIR / "plate-detector" / "plate-yolov8n.xml"
    lazy = LazyPipeline(build, lambda: detector_algorithm(detector))
    client = await aiohttp_client(create_app(config, repository=repository, pipeline=lazy))
    assert (await client.get("/api/detection/latest")).status == 200 and not built
    data, plate_box, _truth = _labelled(datasets_dir, "eu1")
    resp = await client.post("/detect/image", data=_upload(data))
    assert resp.status == 200, await resp.text()
    reads = [x["plate"] for x in (await resp.json())["list_vehicle_and_plate_information"] if x["plate"]]
    assert any(Box(*p["plate_bounding_box"]).contains_point(*plate_box.center) for p in reads), reads
    assert (await client.post("/detect/image", data=_upload(data))).status == 200
    assert built == [1] and lazy.loaded
    latest = await (await client.get("/api/detection/latest")).json()
    assert {e["algorithm"] for e in latest} == {"YOLOv8n (OpenVINO)"}


async def test_a_central_without_models_answers_503_naming_the_missing_file(
    aiohttp_client, config, repository, datasets_dir
):
    def build() -> ImagePipeline:
        raise ModelError("models/plate-ocr/plate_ocr.xml: not found")

    client = await aiohttp_client(create_app(config, repository=repository, pipeline=LazyPipeline(build, lambda: "")))
    data, _box, _truth = _labelled(datasets_dir, "eu1")
    resp = await client.post("/detect/image", data=_upload(data))
    assert resp.status == 503
    assert "plate_ocr.xml: not found" in await resp.text()
    assert (await (await client.get("/detections")).json())["count"] == 0  # nothing stored
