"""Motion gating: changed share of a downscaled frame, and when the detectors run."""

import numpy as np
import pytest

from alprd.gate.motion import MotionDetector, MotionGate, MotionSettings


def street(car_x: int | None = None, noise: int = 0, seed: int = 0) -> np.ndarray:
    img = np.full((720, 1280, 3), 120, np.uint8)
    img[500:, :] = 80  # road
    if car_x is not None:
        img[420:560, car_x : car_x + 260] = 200
    if noise:
        rng = np.random.default_rng(seed)
        img = np.clip(img.astype(np.int16) + rng.integers(-noise, noise + 1, img.shape), 0, 255).astype(np.uint8)
    return img


def test_a_still_scene_is_no_motion_and_a_car_is():
    det = MotionDetector()
    assert det.changed_share(street()) == 1.0  # first frame: nothing to compare with
    shares = [det.changed_share(street(noise=6, seed=i)) for i in range(5)]  # sensor noise only
    assert max(shares) < MotionSettings().min_share
    assert det.changed_share(street(car_x=300)) > 0.02


def test_a_zoom_jump_resets_the_background():
    det = MotionDetector()
    det.changed_share(street())
    zoomed = np.full((720, 1280, 3), 230, np.uint8)  # a close view of a bright wall
    assert det.changed_share(zoomed) > 0.5  # most of the picture changed at once
    assert det.changed_share(zoomed) < 0.001  # the new view is the background now


@pytest.mark.parametrize(
    "calls,expected",
    [
        # (t_s, changed share, tracking) -> runs the detectors?
        ([(0.0, 0.0, False)], [True]),  # first frame
        ([(0.0, 0.0, False), (0.2, 0.0, False), (0.4, 0.1, False)], [True, False, True]),  # motion
        ([(0.0, 0.0, False), (0.2, 0.0, True)], [True, True]),  # a plate is tracked (stopped at a barrier)
        ([(0.0, 0.0, False), (1.0, 0.0, False), (2.0, 0.0, False), (2.2, 0.0, False)], [True, False, True, False]),
        ([(5.0, 0.0, False), (1.0, 0.0, False)], [True, True]),  # time went back: a looped file
    ],
)
def test_gate(calls, expected):
    gate = MotionGate(MotionSettings(refresh_s=2.0))
    assert [gate.due(t, share, tracking) for t, share, tracking in calls] == expected


@pytest.mark.parametrize(
    "occupied,expected",
    [(True, [True, False, True, False, True]), (False, [True, False, False, False, True])],
)
def test_an_empty_scene_is_refreshed_less_often(occupied, expected):
    gate = MotionGate(MotionSettings(refresh_s=2.0, idle_refresh_s=8.0))
    assert [gate.due(t, 0.0, False, occupied) for t in (0.0, 1.0, 2.0, 3.0, 8.0)] == expected
    assert gate.skipped == expected.count(False)
