"""Plate tracking: matching and track life, table-driven, no camera or model."""

import numpy as np
import pytest

from alprd.domain.messages import Box, Detection, Frame, OcrResult, PlateRead
from alprd.gate.tracker import PlateTracker, match, match_score

IMG = np.zeros((4, 4, 3), np.uint8)


def read_at(x: float, y: float, text: str = "B1234ABC", conf: float = 0.9, w: float = 100) -> PlateRead:
    box = Box(x, y, x + w, y + w / 4)
    return PlateRead(Detection(box, 0.9, "plate"), OcrResult(text, conf))


def frame(t: float) -> Frame:
    return Frame("cam", int(t * 10), t, IMG)


@pytest.mark.parametrize(
    "tracks,dets,expected",
    [
        ([], [Box(0, 0, 10, 10)], []),
        ([Box(0, 0, 10, 10)], [], []),
        ([Box(0, 0, 10, 10)], [Box(1, 0, 11, 10)], [(0, 0)]),
        # two tracks, two detections, crossed order: each goes to its nearest
        ([Box(0, 0, 10, 10), Box(100, 0, 110, 10)], [Box(101, 0, 111, 10), Box(2, 0, 12, 10)], [(0, 1), (1, 0)]),
        # one detection wanted by two tracks: the better overlap wins, the other stays unmatched
        ([Box(0, 0, 10, 10), Box(5, 0, 15, 10)], [Box(4, 0, 14, 10)], [(1, 0)]),
        # far away: no match
        ([Box(0, 0, 10, 10)], [Box(200, 200, 210, 210)], []),
        # no overlap but close (within 1.5 widths): still the same plate
        ([Box(0, 0, 10, 10)], [Box(12, 0, 22, 10)], [(0, 0)]),
    ],
)
def test_match(tracks, dets, expected):
    assert sorted(match(tracks, dets)) == sorted(expected)


def test_match_score_prefers_overlap_over_distance():
    a = Box(0, 0, 10, 10)
    assert match_score(a, Box(2, 0, 12, 10), 0.1, 1.5) > match_score(a, Box(12, 0, 22, 10), 0.1, 1.5) > 0


def test_a_moving_plate_keeps_one_track_and_a_fast_one_is_predicted():
    tracker = PlateTracker(timeout_s=1.0)
    ids = set()
    for i in range(10):  # 90 px per frame: no overlap frame to frame, the velocity guess bridges it
        t = i * 0.2
        update = tracker.update(t, [read_at(90 * i, 200)], frame(t))
        ids |= {tr.track_id for tr in update.active}
    assert ids == {1}
    assert len(update.active[0].observations) == 10


def test_track_ends_after_timeout_and_a_new_one_starts():
    tracker = PlateTracker(timeout_s=1.0)
    tracker.update(0.0, [read_at(0, 0)], frame(0.0))
    assert tracker.update(0.9, [], frame(0.9)).ended == ()
    update = tracker.update(1.1, [], frame(1.1))
    assert [t.track_id for t in update.ended] == [1] and update.active == ()
    update = tracker.update(1.2, [read_at(0, 0)], frame(1.2))
    assert [t.track_id for t in update.active] == [2]


def test_two_plates_two_tracks():
    tracker = PlateTracker(timeout_s=1.0)
    for i in range(5):
        t = i * 0.2
        update = tracker.update(t, [read_at(10 * i, 0, "B1"), read_at(500 - 10 * i, 300, "D2")], frame(t))
    texts = {tr.track_id: {o.read.ocr.text for o in tr.observations} for tr in update.active}
    assert texts == {1: {"B1"}, 2: {"D2"}}


def test_best_frame_is_the_most_confident_read():
    tracker = PlateTracker(timeout_s=1.0)
    confs = [0.5, 0.95, 0.7]
    for i, c in enumerate(confs):
        update = tracker.update(i * 0.1, [read_at(5 * i, 0, conf=c)], frame(i * 0.1))
    track = update.active[0]
    assert track.best_read.ocr.confidence == 0.95
    assert track.best_frame.timestamp_s == pytest.approx(0.1)


def test_flush_ends_all():
    tracker = PlateTracker(timeout_s=1.0)
    tracker.update(0.0, [read_at(0, 0), read_at(400, 0)], frame(0.0))
    assert len(tracker.flush()) == 2
    assert tracker.update(0.1, [], frame(0.1)).active == ()


def test_a_long_track_keeps_its_start_and_latest_reads_only():
    from alprd.gate.tracker import MAX_OBSERVATIONS, Observation, bounded

    obs = tuple(Observation(i * 0.2, read_at(100, 100)) for i in range(MAX_OBSERVATIONS + 50))
    kept = bounded(obs)
    assert len(kept) == MAX_OBSERVATIONS
    assert kept[0] is obs[0] and kept[-1] is obs[-1] and kept[29] is obs[29] and kept[30] is obs[80]
    assert bounded(obs[:10]) == obs[:10]
