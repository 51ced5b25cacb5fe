"""A camera's configuration (one ``config/cameras/<id>.yaml`` file, or one entry of ``cameras:``).

Kept apart from :mod:`alprd.config` so each module stays short; ``alprd.config`` re-exports
:class:`CameraConfig`. Capture settings, then analysis, then the gate's event settings.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["CameraConfig", "CameraId", "MotionConfig", "Point", "StrictModel"]


class StrictModel(BaseModel):
    """Every config model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Point = tuple[float, float]
# A camera's id: its file name under cameras_dir, its key in cameras:, its name in actions' when.cameras.
CameraId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class MotionConfig(StrictModel):
    enabled: bool = Field(True, description="Run the detectors only on motion, while tracking, or every refresh_s.")
    threshold: int = Field(25, ge=1, le=255, description="Grey-level change (0-255) of a changed pixel.")
    min_share: float = Field(0.002, gt=0, le=1, description="Share of the (downscaled) picture that must change.")
    refresh_s: float = Field(
        2.0, gt=0, le=600, description="The detectors run at least this often while a vehicle or plate is in view."
    )
    idle_refresh_s: float = Field(
        10.0, gt=0, le=3600, description="The detectors run at least this often when the last run found nothing."
    )
    regions: bool = Field(
        True,
        description="Look for plates only where something moves and around plates just read; "
        "the whole frame on each refresh_s and when most of it moves (cheaper on busy scenes).",
    )


class CameraConfig(StrictModel):
    source: str = Field(
        ...,
        min_length=1,
        description="rtsp://..., usb:0, /dev/video0, or a video file path (looped).",
    )
    name: str = Field("", description="Display name; defaults to the camera id.")
    location: str = Field("", description="Gate (location) name events are stored under.")
    enabled: bool = Field(True, description="Read this camera; false keeps its config but skips it.")
    rtsp_transport: Literal["tcp", "udp"] = Field("tcp", description="RTSP transport (tcp survives lossy links).")
    open_timeout_s: float = Field(10.0, gt=0, le=120, description="Give up opening the stream after this.")
    read_timeout_s: float = Field(5.0, gt=0, le=120, description="A frozen stream is noticed after this.")
    reconnect_min_s: float = Field(1.0, gt=0, le=60, description="First reconnect delay; doubles after each failure.")
    reconnect_max_s: float = Field(30.0, gt=0, le=600, description="Longest reconnect delay.")
    usb_fourcc: str | None = Field(None, pattern=r"^[A-Z0-9]{4}$", description="USB pixel format, e.g. MJPG.")
    width: int | None = Field(None, ge=64, le=7680, description="Requested capture width; null: the camera's.")
    height: int | None = Field(None, ge=64, le=4320, description="Requested capture height; null: the camera's.")
    fps: float | None = Field(None, gt=0, le=240, description="Requested capture rate; null: the camera's.")
    detect_fps: float = Field(5.0, gt=0, le=60, description="Frames analysed per second.")
    roi: tuple[Point, ...] | None = Field(None, description="Polygon (pixels) where plates count.")
    min_plate_width_px: int = Field(40, ge=8, le=2000, description="Narrower plates are too small to read.")
    entry_direction: Literal["down", "up", "left", "right"] | None = Field(
        None, description="Image motion of an entering vehicle; the opposite is an exit."
    )
    preview_min_confidence: float = Field(0.85, gt=0, le=1, description="A preview event needs a read this confident.")
    track_timeout_s: float = Field(1.5, gt=0, le=60, description="A track unseen this long ends.")
    max_event_delay_s: float = Field(10.0, gt=0, le=600, description="Final event at the latest after.")
    dedupe_window_s: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="Same plate, same gate: one event while it was last seen less than this ago.",
    )
    pass_gap_s: float = Field(
        3.0, ge=0, le=60, description="Tracks of one plate that overlap or follow within this are one pass."
    )
    preview_min_reads: int = Field(2, ge=1, le=100, description="A preview event needs this many reads.")
    final_min_reads: int = Field(
        3, ge=1, le=1000, description="A final event needs this many reads, else it is dropped."
    )
    final_min_agreeing: int = Field(
        2, ge=1, le=1000, description="A final event needs this many reads of exactly its text, else it is dropped."
    )
    final_min_confidence: float = Field(
        0.5, ge=0, le=1, description="A final event needs this vote confidence, else it is dropped."
    )
    stationary_memory_s: float = Field(
        3600.0,
        ge=0,
        le=86400,
        description="A plate that stood still and is seen again at the same place within this is the same stay.",
    )
    mask: tuple[tuple[Point, ...], ...] = Field(
        (), description="Polygons (pixels) where plates never count: overlay text, clocks, signs."
    )
    plate_aspect_min: float = Field(0.8, gt=0, le=20, description="Narrower boxes (width/height) are not plates.")
    plate_aspect_max: float = Field(
        6.5, gt=0, le=50, description="Wider boxes (width/height) are not plates (a caption line is)."
    )
    plate_text_mixed: bool = Field(
        True,
        description="A read must mix letters and digits (overlay clocks, dates and captions do not); "
        "false where plates of only digits or only letters are issued.",
    )
    motion: MotionConfig = MotionConfig()

    @field_validator("roi")
    @classmethod
    def _polygon(cls, v: tuple[Point, ...] | None) -> tuple[Point, ...] | None:
        if v is not None and len(v) < 3:
            raise ValueError("a region of interest needs at least 3 points")
        return v

    @field_validator("mask")
    @classmethod
    def _polygons(cls, v: tuple[tuple[Point, ...], ...]) -> tuple[tuple[Point, ...], ...]:
        if any(len(polygon) < 3 for polygon in v):
            raise ValueError("each mask polygon needs at least 3 points")
        return v

    @model_validator(mode="after")
    def _aspects(self) -> CameraConfig:
        if self.plate_aspect_min >= self.plate_aspect_max:
            raise ValueError("plate_aspect_min must be below plate_aspect_max")
        return self
