"""Typed messages that cross stage boundaries: capture -> inference -> storage -> web.

Every message is a frozen dataclass; stages never pass dicts to each other.
Coordinates are pixels in the full frame, (x1, y1) top-left, (x2, y2) bottom-right.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from alprd.domain.lists import UNKNOWN, ListStatus
from alprd.domain.packs import DEFAULT_PLATE_TYPE, region_label

VehicleClass = Literal["car", "motorcycle", "bus", "truck", "vehicle"]
EventKind = Literal["preview", "final"]
Direction = Literal["entry", "exit", "unknown"]


@dataclass(frozen=True, slots=True)
class Box:
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        return max(0.0, self.x2 - self.x1)

    @property
    def height(self) -> float:
        return max(0.0, self.y2 - self.y1)

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)

    def as_int_list(self) -> list[int]:
        """[x1, y1, x2, y2] rounded, the shape the REST API uses for bounding boxes."""
        return [int(round(v)) for v in (self.x1, self.y1, self.x2, self.y2)]

    def iou(self, other: Box) -> float:
        ix = max(0.0, min(self.x2, other.x2) - max(self.x1, other.x1))
        iy = max(0.0, min(self.y2, other.y2) - max(self.y1, other.y1))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def contains_point(self, x: float, y: float) -> bool:
        return self.x1 <= x <= self.x2 and self.y1 <= y <= self.y2

    def clipped(self, width: float, height: float) -> Box:
        """This box cut to an image of ``width`` x ``height`` pixels."""
        return Box(max(0.0, self.x1), max(0.0, self.y1), min(float(width), self.x2), min(float(height), self.y2))


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame from a camera (BGR, HxWx3 uint8)."""

    camera_id: str
    index: int
    timestamp_s: float  # wall-clock time the frame was read (time.time())
    image: np.ndarray = field(repr=False, compare=False)

    @property
    def resolution(self) -> str:
        h, w = self.image.shape[:2]
        return f"{w}x{h}"


@dataclass(frozen=True, slots=True)
class Detection:
    """One object found by a detector."""

    box: Box
    confidence: float
    label: str  # "plate", or a VehicleClass for the vehicle stage


@dataclass(frozen=True, slots=True)
class OcrResult:
    """What an OCR engine read from one plate crop (text already normalised)."""

    text: str
    confidence: float  # overall, 0..1
    char_confidences: tuple[float, ...] = ()
    candidates: tuple[tuple[str, float], ...] = ()  # best first, includes text
    engine: str = ""


@dataclass(frozen=True, slots=True)
class PlateRead:
    """A plate found in one image and read: detection + OCR + pack lookups."""

    plate: Detection
    ocr: OcrResult
    vehicle: Detection | None = None
    region_code: str = ""
    region_name: str = ""
    plate_type: str = DEFAULT_PLATE_TYPE
    text_color: str = ""
    background_color: str = ""

    @property
    def region_label(self) -> str:
        """ "B (Jakarta)" as the API shows it, or "" when unknown."""
        return region_label(self.region_code, self.region_name)


@dataclass(frozen=True, slots=True)
class ImageResult:
    """Everything the pipeline found in one image."""

    width: int
    height: int
    vehicles: tuple[Detection, ...]
    reads: tuple[PlateRead, ...]
    timings_ms: tuple[tuple[str, float], ...] = ()  # (stage, ms) in pipeline order

    @property
    def resolution(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def total_ms(self) -> float:
        return sum(ms for _, ms in self.timings_ms)

    # Two detections are the same vehicle when they are equal (frozen values: same box,
    # score and class); a read's ``vehicle`` is one of ``vehicles`` or a vehicle of its own.
    def all_vehicles(self) -> tuple[Detection, ...]:
        """``vehicles``, then each vehicle a read points to that is not among them."""
        extra: list[Detection] = []
        for read in self.reads:
            if read.vehicle is not None and read.vehicle not in self.vehicles and read.vehicle not in extra:
                extra.append(read.vehicle)
        return (*self.vehicles, *extra)

    def vehicles_without_plate(self) -> tuple[Detection, ...]:
        """The ``vehicles`` no read points to."""
        plated = [read.vehicle for read in self.reads if read.vehicle is not None]
        return tuple(v for v in self.vehicles if v not in plated)


@dataclass(frozen=True, slots=True)
class PlateEvent:
    """One vehicle pass at a gate, as decided by tracking and voting."""

    camera_id: str
    track_id: int
    kind: EventKind
    text: str
    confidence: float
    read: PlateRead  # the best read of the track
    frame: Frame  # the frame the best read came from
    first_seen_s: float
    last_seen_s: float
    reads_count: int
    direction: Direction = "unknown"
    list_status: ListStatus = UNKNOWN
    location: str = ""

    def result(self) -> ImageResult:
        """The one-plate image result the event is stored and drawn from: its best read,
        carrying the voted text and confidence, and that read's vehicle."""
        read = self.read
        if (read.ocr.text, read.ocr.confidence) != (self.text, self.confidence):
            read = replace(read, ocr=replace(read.ocr, text=self.text, confidence=self.confidence))
        h, w = self.frame.image.shape[:2] if self.frame.image is not None else (0, 0)
        vehicles = (read.vehicle,) if read.vehicle is not None else ()
        return ImageResult(width=w, height=h, vehicles=vehicles, reads=(read,))


@dataclass(frozen=True, slots=True)
class LatencySnapshot:
    """A cumulative latency histogram: ``buckets`` are (upper bound s, observations <= it)."""

    buckets: tuple[tuple[float, int], ...]
    sum_s: float
    count: int


@dataclass(frozen=True, slots=True)
class CameraState:
    """Live state of one camera (gate line), for the API and logs."""

    camera_id: str
    name: str
    location: str
    source: str  # credentials stripped
    connected: bool
    fps_in: float
    fps_analysed: float
    frames_dropped: int
    last_error: str = ""
    last_frame_s: float | None = None
    last_event: PlateEvent | None = None
    frames_detected: int = 0  # frames the detectors ran on (the motion gate skips the rest)
    frames_skipped_no_motion: int = 0
    events_unsure_dropped: int = 0  # finals dropped for lack of support (reads, agreement, confidence)
    events_duplicates_merged: int = 0  # passes merged into an earlier event of their plate
    reconnects: int = 0
    inference: LatencySnapshot | None = None  # time of one frame's plate reading


@dataclass(frozen=True, slots=True)
class CaptureStats:
    """What a camera's capture thread reports of itself (the gate and the API show it)."""

    connected: bool
    fps_in: float
    frames_read: int
    frames_dropped: int
    reconnects: int
    last_error: str
    last_frame_s: float | None
