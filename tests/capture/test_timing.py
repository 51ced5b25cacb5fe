"""Back-off, analysis-rate gate, fps meter, ROI and the latest-frame queue."""

import random
import threading

import pytest

from alprd.capture.timing import RateGate, backoff_delay_s
from alprd.domain.messages import Box
from alprd.gate.roi import plate_counts, point_in_polygon
from alprd.latest import LatestQueue
from alprd.meters import FpsMeter


@pytest.mark.parametrize("attempt,expected", [(0, 1.0), (1, 2.0), (2, 4.0), (4, 16.0), (5, 30.0), (50, 30.0)])
def test_backoff_without_jitter(attempt, expected):
    assert backoff_delay_s(attempt, 1.0, 30.0, jitter=0.0) == expected


def test_backoff_jitter_stays_in_band_and_varies():
    rand = random.Random(7)
    delays = [backoff_delay_s(2, 1.0, 30.0, jitter=0.2, rand=rand) for _ in range(200)]
    assert all(3.2 <= d <= 4.8 for d in delays)
    assert len({round(d, 3) for d in delays}) > 50
    assert all(backoff_delay_s(9, 1.0, 30.0, 0.5, rand) <= 30.0 for _ in range(50))


@pytest.mark.parametrize("fps_in,detect_fps", [(25, 5), (25, 25), (30, 7), (10, 20)])
def test_rate_gate_long_run_rate(fps_in, detect_fps):
    gate = RateGate(detect_fps)
    passed = sum(gate.due(i / fps_in) for i in range(fps_in * 20))
    assert passed == pytest.approx(min(fps_in, detect_fps) * 20, rel=0.06)


def test_rate_gate_restarts_after_a_gap():
    gate = RateGate(5)
    assert gate.due(0.0) and not gate.due(0.1) and gate.due(0.2)
    assert gate.due(100.0) and not gate.due(100.1)


def test_fps_meter():
    meter = FpsMeter(window_s=2.0)
    for i in range(100):
        meter.tick(i / 25)
    assert meter.fps(99 / 25) == pytest.approx(25, rel=0.05)
    assert meter.fps(100.0) == 0.0  # nothing recent


SQUARE = ((100, 100), (300, 100), (300, 300), (100, 300))
TRIANGLE = ((0, 0), (100, 0), (0, 100))


@pytest.mark.parametrize(
    "x,y,poly,inside",
    [
        (200, 200, SQUARE, True),
        (50, 200, SQUARE, False),
        (350, 350, SQUARE, False),
        (10, 10, TRIANGLE, True),
        (90, 90, TRIANGLE, False),
    ],
)
def test_point_in_polygon(x, y, poly, inside):
    assert point_in_polygon(x, y, poly) is inside


@pytest.mark.parametrize(
    "box,roi,min_w,counts",
    [
        (Box(150, 150, 250, 180), SQUARE, 40, True),
        (Box(150, 150, 180, 160), SQUARE, 40, False),  # too narrow
        (Box(400, 400, 500, 430), SQUARE, 40, False),  # outside
        (Box(400, 400, 500, 430), None, 40, True),  # no ROI
    ],
)
def test_plate_counts(box, roi, min_w, counts):
    assert plate_counts(box, roi, min_w) is counts


def test_latest_queue_drops_oldest_and_counts():
    q: LatestQueue[int] = LatestQueue(maxsize=2)
    for i in range(5):
        q.put(i)
    assert q.dropped == 3
    assert [q.get(0), q.get(0), q.get(0.01)] == [3, 4, None]


def test_latest_queue_wakes_a_waiting_consumer_and_close():
    q: LatestQueue[int] = LatestQueue()
    got = []
    t = threading.Thread(target=lambda: got.append(q.get(5)))
    t.start()
    q.put(42)
    t.join(2)
    assert got == [42]
    t = threading.Thread(target=lambda: got.append(q.get(5)))
    t.start()
    q.close()
    t.join(2)
    assert got == [42, None] and not t.is_alive()
