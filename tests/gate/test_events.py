"""The event policy from a camera config, and direction of motion; table-driven, no model."""

import numpy as np
import pytest

from alprd.domain.messages import Box, Detection, Frame, OcrResult, PlateRead
from alprd.gate.events import EventPolicy, direction_of
from alprd.gate.tracker import Observation, Track

IMG = np.zeros((4, 4, 3), np.uint8)


def read_at(x: float, y: float, text: str = "B1234ABC", conf: float = 0.95) -> PlateRead:
    return PlateRead(Detection(Box(x, y, x + 100, y + 25), 0.9, "plate"), OcrResult(text, conf))


def frame(t: float) -> Frame:
    return Frame("cam", int(t * 10), t, IMG)


def track_moving(points: list[tuple[float, float]]) -> Track:
    obs = tuple(Observation(i * 0.2, read_at(x, y)) for i, (x, y) in enumerate(points))
    return Track(1, obs, obs[0].read, frame(0))


@pytest.mark.parametrize(
    "points,entry,expected",
    [
        ([(0, 0), (0, 100)], "down", "entry"),
        ([(0, 100), (0, 0)], "down", "exit"),
        ([(0, 100), (0, 0)], "up", "entry"),
        ([(0, 0), (300, 0)], "right", "entry"),
        ([(0, 0), (300, 0)], "left", "exit"),
        ([(0, 0), (0, 10)], "down", "unknown"),  # below min motion
        ([(0, 0), (0, 100)], None, "unknown"),  # camera does not define it
        ([(0, 0)], "down", "unknown"),  # one observation
    ],
)
def test_direction(points, entry, expected):
    assert direction_of(track_moving(points), entry, 20.0) == expected


def test_policy_from_camera_takes_every_event_setting():
    from alprd.config import CameraConfig

    camera = CameraConfig(
        source="usb:0",
        location="Gate A",
        preview_min_confidence=0.9,
        track_timeout_s=2.0,
        max_event_delay_s=20,
        dedupe_window_s=60,
        pass_gap_s=4.0,
        preview_min_reads=3,
        final_min_reads=5,
        final_min_agreeing=4,
        final_min_confidence=0.7,
        stationary_memory_s=120,
        entry_direction="down",
    )
    policy = EventPolicy.from_camera(camera)
    assert (policy.preview_min_confidence, policy.track_timeout_s, policy.max_event_delay_s) == (0.9, 2.0, 20)
    assert (policy.dedupe_window_s, policy.pass_gap_s, policy.preview_min_reads) == (60, 4.0, 3)
    assert (policy.final_min_reads, policy.final_min_agreeing, policy.final_min_confidence) == (5, 4, 0.7)
    assert (policy.stationary_memory_s, policy.entry_direction, policy.location) == (120, "down", "Gate A")
