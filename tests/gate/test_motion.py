"""Motion gating: changed share of a downscaled frame, and when the detectors run."""

import numpy as np
import pytest

from alprd.domain.messages import Box
from alprd.gate.motion import (
    MotionDetector,
    MotionGate,
    MotionSettings,
    clip_box,
    detection_regions,
    grow_to,
    mask_boxes,
    merge_boxes,
    pad_box,
    vehicle_around,
)


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


# -- reasons and regions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "calls,expected",
    [
        # (t_s, changed share, tracking) -> why the detectors run ("" = they do not)
        ([(0.0, 0.0, False)], ["refresh"]),  # first frame: the whole frame
        ([(0.0, 0.0, False), (0.2, 0.1, False), (0.4, 0.0, True)], ["refresh", "motion", "tracking"]),
        ([(0.0, 0.0, False), (0.2, 0.0, False)], ["refresh", ""]),
        # motion all along: still the whole frame every refresh_s (a car standing beside a moving one)
        ([(0.0, 0.1, False), (1.0, 0.1, False), (2.0, 0.1, False), (2.5, 0.1, True)],
         ["refresh", "motion", "refresh", "motion"]),
        ([(0.0, 0.0, True), (1.0, 0.0, True), (2.0, 0.0, True)], ["refresh", "tracking", "refresh"]),  # stopped
        ([(5.0, 0.1, False), (1.0, 0.1, False)], ["refresh", "refresh"]),  # time went back
    ],
)  # fmt: skip
def test_reason(calls, expected):
    gate = MotionGate(MotionSettings(refresh_s=2.0))
    assert [gate.reason(t, share, tracking) for t, share, tracking in calls] == expected


def test_an_empty_scene_still_skips_between_idle_refreshes():
    gate = MotionGate(MotionSettings(refresh_s=2.0, idle_refresh_s=8.0))
    assert [gate.reason(t, 0.0, False, occupied=False) for t in (0.0, 2.0, 4.0, 8.0)] == ["refresh", "", "", "refresh"]


B = Box


@pytest.mark.parametrize(
    "box,share,expected",
    [
        (B(10, 20, 30, 60), 0.0, B(10, 20, 30, 60)),
        (B(10, 20, 30, 60), 0.5, B(0, 0, 40, 80)),  # 20 x 40 box: 10 and 20 px each side
        (B(100, 100, 200, 150), 1.0, B(0, 50, 300, 200)),
    ],
)
def test_pad_box(box, share, expected):
    assert pad_box(box, share) == expected


@pytest.mark.parametrize(
    "box,expected",
    [
        (B(-10, -5, 50, 60), B(0, 0, 50, 60)),
        (B(1200, 700, 1400, 800), B(1200, 700, 1280, 720)),
        (B(1300, 10, 1400, 20), B(1280, 10, 1280, 20)),  # outside: empty
        (B(5, 5, 10, 10), B(5, 5, 10, 10)),
    ],
)
def test_clip_box(box, expected):
    assert clip_box(box, 1280, 720) == expected


@pytest.mark.parametrize(
    "box,min_px,expected",
    [
        (B(600, 300, 620, 310), 100, B(560, 255, 660, 355)),  # around the centre
        (B(0, 0, 20, 10), 100, B(0, 0, 100, 100)),  # shifted inside at the top left
        (B(1270, 710, 1280, 720), 100, B(1180, 620, 1280, 720)),  # ... and at the bottom right
        (B(100, 100, 500, 400), 100, B(100, 100, 500, 400)),  # big enough already
        (B(0, 0, 10, 10), 1000, B(0, 0, 1000, 720)),  # never more than the frame
    ],
)
def test_grow_to(box, min_px, expected):
    assert grow_to(box, min_px, 1280, 720) == expected


@pytest.mark.parametrize(
    "boxes,expected",
    [
        ([], []),
        ([B(0, 0, 10, 10), B(20, 20, 30, 30)], [B(0, 0, 10, 10), B(20, 20, 30, 30)]),  # apart
        ([B(0, 0, 10, 10), B(10, 0, 20, 10)], [B(0, 0, 10, 10), B(10, 0, 20, 10)]),  # touching only
        ([B(0, 0, 10, 10), B(5, 5, 15, 15)], [B(0, 0, 15, 15)]),
        # a chain: the union of the first two reaches the third
        ([B(0, 0, 10, 10), B(8, 8, 20, 12), B(18, 0, 30, 5)], [B(0, 0, 30, 12)]),
        ([B(50, 50, 60, 60), B(0, 0, 100, 100), B(200, 0, 210, 10)], [B(0, 0, 100, 100), B(200, 0, 210, 10)]),
    ],
)
def test_merge_boxes(boxes, expected):
    assert merge_boxes(boxes) == expected


def test_mask_boxes_are_the_blobs_in_frame_pixels():
    mask = np.zeros((90, 160), bool)
    mask[10:20, 30:50] = True  # a blob
    mask[60, 100] = True  # one changed pixel: 9 after dilation
    mask[80:82, 5:7] = True
    boxes = mask_boxes(mask, step=8, min_blob_px=10)
    assert boxes == [B(29 * 8, 9 * 8, 51 * 8, 21 * 8), B(4 * 8, 79 * 8, 8 * 8, 83 * 8)]  # dilated by 1 small px
    assert len(mask_boxes(mask, step=8, min_blob_px=1)) == 3


@pytest.mark.parametrize(
    "motion,plates,expected",
    [
        ([], [], []),
        # a moving car: padded by a quarter each side (300 px high: grown to the 320 px minimum)
        ([B(400, 300, 800, 500)], [], [B(300, 240, 900, 560)]),
        # a small blob: grown to the minimum (a quarter of 1280 = 320 px)
        ([B(620, 350, 640, 360)], [], [B(470, 195, 790, 515)]),
        # a tracked plate standing still: its box, padded by its size each side, at least 320 px
        ([], [B(600, 500, 700, 530)], [B(490, 355, 810, 675)]),
        # motion and the plate it holds: one region
        ([B(400, 300, 800, 500)], [B(600, 450, 700, 480)], [B(300, 240, 900, 625)]),
        # two cars apart: two regions
        ([B(0, 0, 300, 300), B(900, 400, 1200, 700)], [], [B(0, 0, 375, 375), B(825, 325, 1275, 720)]),
        # most of the frame moves: None, the whole frame
        ([B(0, 0, 1100, 600)], [], None),
    ],
)
def test_detection_regions(motion, plates, expected):
    assert detection_regions(motion, plates, 1280, 720, MotionSettings()) == expected


@pytest.mark.parametrize(
    "motion,explained,expected",
    [
        # the car whose plate was just read: only its plate's region
        ([B(400, 300, 800, 500)], [B(420, 280, 820, 560)], [B(490, 305, 810, 625)]),
        # ... also when it moved a little since (the vehicle box is padded by a quarter)
        ([B(450, 300, 850, 500)], [B(420, 280, 820, 560)], [B(490, 305, 810, 625)]),
        # a second car coming in beside it: its own region too
        ([B(400, 300, 800, 500), B(1000, 300, 1280, 500)], [B(420, 280, 820, 560)],
         [B(930, 240, 1280, 560), B(490, 305, 810, 625)]),
        # motion mostly (53 %) outside the vehicle: not explained
        ([B(0, 300, 600, 500)], [B(420, 280, 820, 560)], [B(0, 240, 810, 625)]),
    ],
)  # fmt: skip
def test_motion_of_a_vehicle_whose_plate_was_read_is_its_plate(motion, explained, expected):
    plate = B(600, 450, 700, 480)
    assert detection_regions(motion, [plate], 1280, 720, MotionSettings(), explained) == expected


def test_a_moving_car_gives_one_region_around_it():
    det = MotionDetector()
    det.changed_share(street())
    assert det.boxes() is None  # the first frame: no mask, the whole frame
    for x in (300, 340, 380):
        det.changed_share(street(car_x=x, noise=6, seed=x))
    regions = detection_regions(det.boxes() or [], [], 1280, 720)
    assert regions is not None and len(regions) == 1
    (region,) = regions
    assert region.x1 <= 300 and region.x2 >= 380 + 260 and region.y1 <= 420 and region.y2 >= 560  # the car's trail
    assert region.area < 0.3 * 1280 * 720


@pytest.mark.parametrize(
    "plate,expected",
    [
        (B(600, 500, 700, 530), B(475, 200, 825, 590)),  # 100 x 30: 125 px each side, 300 up, 60 down
        (B(0, 0, 10, 10), B(-12.5, -100, 22.5, 30)),  # not clipped: it only tells whose motion is whose
    ],
)
def test_vehicle_around(plate, expected):
    assert vehicle_around(plate) == expected
