"""Detection routes: upload an image, the latest session, the detections list, gate lines."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import cv2
import numpy as np
from aiohttp import web

from alprd.domain.lists import UNKNOWN
from alprd.domain.messages import CameraState, ImageResult
from alprd.errors import InferenceUnavailableError, NotFoundError, RequestTimeoutError
from alprd.redact import mask_secrets
from alprd.storage.files import file_stamp
from alprd.storage.live import detection_event
from alprd.storage.repository import Repository
from alprd.web import keys, serialize
from alprd.web import schemas as s
from alprd.web.endpoint import MULTIPART, Call, Endpoint
from alprd.web.upload import decode_image, read_upload

FRAME_JPEG_QUALITY = 80


async def detect_image(call: Call) -> s.DetectImageResponse:
    app = call.app
    config = app[keys.CONFIG]
    try:
        upload = await asyncio.wait_for(
            read_upload(call.request, max_bytes=int(config.server.max_upload_mb * 1024 * 1024)),
            config.server.body_timeout_s,
        )
    except asyncio.TimeoutError:
        raise RequestTimeoutError("the upload did not arrive in time (server.body_timeout_s)") from None
    pipeline = app[keys.PIPELINE]
    if pipeline is None:
        raise InferenceUnavailableError(
            "plate reading is not available: no inference pipeline is loaded (see `alprd models`)"
        )
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    executor = app[keys.INFERENCE_EXECUTOR]
    image = await loop.run_in_executor(executor, decode_image, upload.data)
    result: ImageResult = await loop.run_in_executor(executor, pipeline.read_image, image)
    annotated = await loop.run_in_executor(executor, pipeline.annotate, image, result)
    now = datetime.now()
    store = app[keys.IMAGE_STORE]
    images = await call.db(store.save_result, image, result, annotated=annotated, when=now)
    repo = app[keys.REPOSITORY]
    try:
        session = await call.db(
            repo.save_image_result_and_read,
            result,
            images,
            location=upload.location,
            detected_at=now,
            processing_time_s=time.perf_counter() - started,
        )
    except BaseException:
        await call.db(store.discard, images)
        raise
    await call.db(store.settle, images)
    app[keys.BUS].publish(detection_event(session))
    return serialize.detect_response(session, file_stamp=file_stamp(now))


async def latest_detection(call: Call) -> s.LatestDetection:
    repo = call.app[keys.REPOSITORY]
    session = await call.db(repo.latest_session)
    pipeline = call.app[keys.PIPELINE]
    algorithm = pipeline.algorithm if pipeline else ""  # no detector loaded: none to name
    return serialize.latest_entities(session, algorithm) if session else s.LatestDetection([])


async def list_detections(call: Call) -> bytes:
    """A page and its count in one thread hop, encoded there too (the API's hot path)."""
    return await call.db(_detections_json, call.app[keys.REPOSITORY], call.query)


def _detections_json(repo: Repository, q: s.DetectionsQuery) -> bytes:
    rows, count = repo.list_detections(
        limit=q.limit,
        offset=q.offset,
        vehicle_type=q.vehicleType,
        plate_type=q.plateType,
        search=q.search,
        gate=q.gate,
    )
    return serialize.detection_list_json(rows, count)


def line_state(state: CameraState) -> s.LineState:
    event = state.last_event
    return s.LineState(
        line_id=state.camera_id,
        name=state.name,
        location=state.location,
        source=mask_secrets(state.source),
        connected=state.connected,
        fps_in=state.fps_in,
        fps_analysed=state.fps_analysed,
        frames_dropped=state.frames_dropped,
        last_error=mask_secrets(state.last_error),
        last_frame_at=_when(state.last_frame_s),
        latest_plate=event.text if event else None,
        latest_plate_at=_when(event.last_seen_s) if event else None,
        latest_plate_status=event.list_status if event else None,
        frames_detected=state.frames_detected,
        frames_skipped_no_motion=state.frames_skipped_no_motion,
        events_unsure_dropped=state.events_unsure_dropped,
        events_duplicates_merged=state.events_duplicates_merged,
    )


def _when(seconds: float | None) -> str | None:
    return serialize.stamp(datetime.fromtimestamp(seconds)) if seconds is not None else None


async def detect_lines(call: Call) -> s.LineList:
    lines = call.app[keys.LINES]
    return s.LineList([line_state(x) for x in lines.states()] if lines else [])


async def test_line(call: Call) -> s.LineTestResult:
    lines = call.app[keys.LINES]
    line_id = call.path.line_id
    if lines is None:
        raise NotFoundError(f"Line {line_id} not found (no camera lines are configured)")
    started = time.perf_counter()
    state, result = await lines.test_line(line_id)
    pairs = [_read_pair(result, i) for i in range(len(result.reads))]
    pairs += [s.VehicleAndPlate(vehicle=_vehicle(v, 0), plate=None) for v in result.vehicles_without_plate()]
    return s.LineTestResult(
        line=line_state(state),
        timestamp=file_stamp(datetime.now()),
        processing_time=round(time.perf_counter() - started, 3),
        image_resolution=result.resolution,
        list_vehicle_and_plate_information=pairs,
    )


async def line_frame(call: Call) -> web.Response:
    """The line's newest frame as JPEG (what the dashboard shows beside its fps)."""
    lines = call.app[keys.LINES]
    line_id = call.path.line_id
    if lines is None:
        raise NotFoundError(f"Line {line_id} not found (no camera lines are configured)")
    frame = lines.latest_frame(line_id)
    if frame is None:
        raise InferenceUnavailableError(f"Line {line_id} has no frame yet (camera not connected)")
    loop = asyncio.get_running_loop()
    jpeg = await loop.run_in_executor(call.app[keys.INFERENCE_EXECUTOR], encode_jpeg, frame.image)
    return web.Response(body=jpeg, content_type="image/jpeg", headers={"Cache-Control": "no-store"})


def encode_jpeg(image: np.ndarray, quality: int = FRAME_JPEG_QUALITY) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise InferenceUnavailableError("the frame could not be encoded as JPEG")
    return data.tobytes()


def _vehicle(det, index: int) -> s.DetectedVehicle:
    return s.DetectedVehicle(
        vehicle_class=det.label,
        vehicle_confidence_score=det.confidence,
        vehicle_image_path="",
        id=index,
        vehicle_bounding_box=det.box.as_int_list(),
    )


def _read_pair(result: ImageResult, i: int) -> s.VehicleAndPlate:
    read = result.reads[i]
    return s.VehicleAndPlate(
        vehicle=_vehicle(read.vehicle, 0) if read.vehicle else None,
        plate=s.DetectedPlate(
            plate_text=read.ocr.text,
            ocr_confidence=read.ocr.confidence,
            plate_image_path="",
            id=0,
            plate_bounding_box=read.plate.box.as_int_list(),
            plate_type=read.plate_type,
            plate_status=UNKNOWN,
            plate_region=read.region_label,
        ),
    )


ENDPOINTS = (
    Endpoint(
        "POST",
        ("/detect/image", "/detect_image"),
        detect_image,
        "Detect Image",
        body=s.Body_detect_image_detect_image_post,
        body_media=(MULTIPART,),
        response=s.DetectImageResponse,
        errors=(400, 413, 415, 503, 507),
    ),
    Endpoint(
        "GET",
        ("/api/detection/latest", "/latest_detection"),
        latest_detection,
        "Get Latest Detection",
        response=s.LatestDetection,
    ),
    Endpoint(
        "GET",
        ("/detections", "/api/detections"),
        list_detections,
        "Get Detections",
        query=s.DetectionsQuery,
        response=s.DetectionList,
    ),
    Endpoint("GET", ("/api/detect/lines",), detect_lines, "Get Detection Lines", response=s.LineList),
    Endpoint(
        "GET",
        ("/api/detect/line/{line_id}/test",),
        test_line,
        "Get Line Detection",
        path_params=s.LinePath,
        response=s.LineTestResult,
        errors=(404,),
    ),
    Endpoint(
        "GET",
        ("/api/detect/line/{line_id}/frame",),
        line_frame,
        "Get Line Frame",
        path_params=s.LinePath,
        response_media="image/jpeg",
        errors=(404, 503),
    ),
)
