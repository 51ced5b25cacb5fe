"""Tracks to plate events: preview, final, dedupe, direction; table-driven, no model."""

import numpy as np
import pytest

from alprd.domain.messages import Box, Detection, Frame, OcrResult, PlateRead
from alprd.domain.packs import load_pack
from alprd.gate.events import EventBuilder, EventPolicy, direction_of, is_duplicate
from alprd.gate.tracker import Observation, Track

IMG = np.zeros((4, 4, 3), np.uint8)
FITS = load_pack("id").matches_format


def read_at(x: float, y: float, text: str = "B1234ABC", conf: float = 0.95) -> PlateRead:
    return PlateRead(Detection(Box(x, y, x + 100, y + 25), 0.9, "plate"), OcrResult(text, conf))


def frame(t: float) -> Frame:
    return Frame("cam", int(t * 10), t, IMG)


def run(builder: EventBuilder, script: list[tuple[float, list[PlateRead]]]) -> list[tuple[float, str, str]]:
    out = []
    for t, reads in script:
        out += [(t, e.kind, e.text) for e in builder.on_frame(frame(t), reads)]
    return out


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


@pytest.mark.parametrize(
    "seen,text,t,window,expected",
    [
        ({}, "B1", 10.0, 30.0, False),
        ({"B1": 0.0}, "B1", 10.0, 30.0, True),
        ({"B1": 0.0}, "B1", 30.0, 30.0, False),
        ({"B1": 0.0}, "D1", 10.0, 30.0, False),
        ({"B1": 0.0}, "B1", 10.0, 0.0, False),  # window 0: never a duplicate
    ],
)
def test_is_duplicate(seen, text, t, window, expected):
    assert is_duplicate(seen, text, t, window) is expected


def pass_of(t0: float, text: str, n: int = 6, conf: float = 0.95, step_s: float = 0.2) -> list:
    return [(t0 + i * step_s, [read_at(50 * i, 100, text, conf)]) for i in range(n)]


def gap(t0: float, t1: float, step_s: float = 0.2) -> list:
    return [(t0 + i * step_s, []) for i in range(int((t1 - t0) / step_s) + 1)]


def test_one_pass_gives_one_preview_then_one_final():
    b = EventBuilder("cam", EventPolicy(track_timeout_s=1.0), FITS)
    events = run(b, pass_of(0.0, "B1234ABC") + gap(1.2, 3.0))
    assert [(k, txt) for _, k, txt in events] == [("preview", "B1234ABC"), ("final", "B1234ABC")]
    assert events[0][0] == 0.0  # the first confident read gives the preview at once


def test_low_confidence_gives_no_preview_but_a_final():
    b = EventBuilder("cam", EventPolicy(track_timeout_s=1.0), FITS)
    events = run(b, pass_of(0.0, "B1234ABC", conf=0.6) + gap(1.2, 3.0))
    assert [k for _, k, _ in events] == ["final"]


def test_final_voted_across_misreads():
    b = EventBuilder("cam", EventPolicy(track_timeout_s=1.0, preview_min_confidence=0.99), FITS)
    texts = ["B1234ABC", "B1234A8C", "B1234ABC", "81234ABC", "B1234ABC"]
    script = [(i * 0.2, [read_at(40 * i, 0, t, 0.8)]) for i, t in enumerate(texts)] + gap(1.0, 3.0)
    assert [(k, txt) for _, k, txt in run(b, script)] == [("final", "B1234ABC")]


def test_same_plate_within_window_is_one_event_and_after_it_a_new_one():
    b = EventBuilder("cam", EventPolicy(track_timeout_s=1.0, dedupe_window_s=10.0), FITS)
    script = pass_of(0.0, "B1234ABC") + gap(1.2, 3.0) + pass_of(4.0, "B1234ABC") + gap(5.2, 7.0)
    script += pass_of(20.0, "B1234ABC") + gap(21.2, 23.0)
    finals = [t for t, k, _ in run(b, script) if k == "final"]
    assert len(finals) == 2 and finals[1] > 20.0
    assert b.suppressed == 1


def test_a_car_that_stays_gets_its_final_after_max_delay_only_once():
    b = EventBuilder("cam", EventPolicy(track_timeout_s=1.0, max_event_delay_s=2.0), FITS)
    script = [(i * 0.2, [read_at(100, 100)]) for i in range(30)] + gap(6.2, 8.0)
    events = run(b, script)
    assert [k for _, k, _ in events] == ["preview", "final"]
    assert events[1][0] == pytest.approx(2.0)


def test_two_cars_at_once_two_finals():
    b = EventBuilder("cam", EventPolicy(track_timeout_s=1.0), FITS)
    script = [(i * 0.2, [read_at(40 * i, 0, "B1234ABC"), read_at(600 - 40 * i, 300, "D77XY")]) for i in range(6)]
    finals = sorted(txt for _, k, txt in run(b, script + gap(1.2, 3.0)) if k == "final")
    assert finals == ["B1234ABC", "D77XY"]


def test_flush_finalises_in_flight_tracks():
    b = EventBuilder("cam", EventPolicy(track_timeout_s=5.0), FITS)
    run(b, pass_of(0.0, "B1234ABC"))
    events = b.flush(2.0)
    assert [(e.kind, e.text) for e in events] == [("final", "B1234ABC")]
    assert b.flush(2.1) == []


def test_event_carries_best_read_location_and_direction():
    policy = EventPolicy(track_timeout_s=1.0, entry_direction="right", location="Gate A")
    b = EventBuilder("cam", policy, FITS)
    script = [(i * 0.2, [read_at(50 * i, 100, "B1234ABC", c)]) for i, c in enumerate([0.7, 0.97, 0.8])]
    events = [e for t, reads in script + gap(0.6, 2.0) for e in b.on_frame(frame(t), reads)]
    final = events[-1]
    assert final.kind == "final" and final.location == "Gate A" and final.direction == "entry"
    assert final.read.ocr.confidence == 0.97 and final.frame.timestamp_s == pytest.approx(0.2)
    assert final.reads_count == 3


def test_noise_shorter_than_min_length_gives_nothing():
    b = EventBuilder("cam", EventPolicy(track_timeout_s=1.0), FITS)
    assert run(b, pass_of(0.0, "B1") + gap(1.2, 3.0)) == []


@pytest.mark.parametrize(
    "box,expected",
    [
        (Box(100, 100, 200, 125), True),
        (Box(0, 100, 100, 125), False),  # cut by the left border
        (Box(550, 100, 640, 125), False),  # cut by the right border
        (Box(100, 340, 200, 360), False),  # cut by the bottom
        (Box(100, 100, 130, 110), False),  # narrower than min_plate_width_px
        (Box(400, 100, 500, 125), False),  # outside the ROI
    ],
)
def test_only_whole_plates_in_the_roi_count(box, expected):
    from alprd.config import CameraConfig
    from alprd.domain.messages import ImageResult
    from alprd.gate.camera_worker import keep_counting_reads

    camera = CameraConfig(source="usb:0", min_plate_width_px=40, roi=((0, 0), (350, 0), (350, 360), (0, 360)))
    read = PlateRead(Detection(box, 0.9, "plate"), OcrResult("B1234ABC", 0.9))
    result = keep_counting_reads(ImageResult(640, 360, (), (read,)), camera)
    assert (result.reads == (read,)) is expected


@pytest.mark.parametrize(
    "second_pass_s,expected",
    [
        # pass 1's final is at 2.2 s; the window is 10 s. The dedupe decision is made once
        # per pass, at its preview: both of its events go, or neither.
        (12.1, ["preview", "final"]),  # preview at 12.1 (9.9 s later): duplicate, final too
        (12.3, ["preview", "final", "preview", "final"]),  # preview 10.1 s later: a new pass
    ],
)
def test_dedupe_is_decided_once_per_pass(second_pass_s, expected):
    b = EventBuilder("cam", EventPolicy(track_timeout_s=1.0, dedupe_window_s=10.0), FITS)
    t = second_pass_s
    script = pass_of(0.0, "B1234ABC") + gap(1.2, 3.0) + pass_of(t, "B1234ABC") + gap(t + 1.2, t + 3.0)
    assert [k for _, k, _ in run(b, script)] == expected
