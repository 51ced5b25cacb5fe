"""Tracks -> vehicle passes -> events: table-driven scenarios, time from the frames, no model.

Each scenario is a script of (time, reads) frames at 5 fps, as the camera worker feeds
the builder; the expected events are (kind, text) in order, plus how many passes were
merged as duplicates and how many finals were dropped for lack of support.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from alprd.domain.messages import Box, Detection, Frame, OcrResult, PlateRead
from alprd.domain.packs import load_pack
from alprd.gate.events import EventPolicy
from alprd.gate.passes import PassBuilder, fold, is_stationary, likely_same_plate, same_plate
from alprd.gate.tracker import Observation

IMG = np.zeros((720, 1280, 3), np.uint8)
FITS = load_pack("id").matches_format
STEP_S = 0.2  # 5 analysed frames per second


def read_at(x: float, y: float, text: str, conf: float = 0.95, width: float = 100) -> PlateRead:
    return PlateRead(Detection(Box(x, y, x + width, y + width / 4), 0.9, "plate"), OcrResult(text, conf))


def frame(t: float) -> Frame:
    return Frame("cam", round(t / STEP_S), t, IMG)


def ticks(t0: float, t1: float) -> list[float]:
    """Frame times from t0 up to (not including) t1."""
    return [round(t0 + i * STEP_S, 3) for i in range(round((t1 - t0) / STEP_S))]


@dataclass
class Script:
    """Frames as {time: [reads]}; plates are added by time span."""

    frames: dict[float, list[PlateRead]] = field(default_factory=dict)

    def span(
        self,
        t0: float,
        t1: float,
        text: str,
        x0: float = 100,
        dx: float = 30,
        y: float = 300,
        conf: float = 0.95,
        every: int = 1,
        texts: list[str] | None = None,
    ) -> Script:
        """A plate seen from t0 to t1, moving ``dx`` px per frame; ``texts`` cycles misreads."""
        for i, t in enumerate(ticks(t0, t1)):
            if i % every == 0:
                txt = texts[i % len(texts)] if texts else text
                self.frames.setdefault(t, []).append(read_at(x0 + dx * i, y, txt, conf))
        return self

    def until(self, t_end: float) -> list[tuple[float, list[PlateRead]]]:
        times = sorted(set(ticks(0.0, t_end)) | set(self.frames))
        return [(t, self.frames.get(t, [])) for t in times]


def play(builder: PassBuilder, script: list[tuple[float, list[PlateRead]]]) -> list[tuple[str, str]]:
    events = []
    for t, reads in script:
        events += builder.on_frame(frame(t), reads)
    return [(e.kind, e.text) for e in events]


def parked(t0: float, t1: float, text: str = "B1234ABC", gaps: tuple[tuple[float, float], ...] = ()) -> Script:
    """A plate standing still at one place, unseen during each gap (occlusion, missed detection)."""
    s = Script()
    for t in ticks(t0, t1):
        if not any(a <= t < b for a, b in gaps):
            s.frames.setdefault(t, []).append(read_at(600, 400, text))
    return s


ONE = [("preview", "B1234ABC"), ("final", "B1234ABC")]
TWO = ONE + ONE

SCENARIOS = {
    # name: (policy overrides, script, end time, expected events, merged duplicates, dropped unsure)
    "one pass": ({}, Script().span(0, 2, "B1234ABC"), 8, ONE, 0, 0),
    "fragmented: the track breaks for 1.6 s (> track_timeout_s), then goes on": (
        {"dedupe_window_s": 0},
        Script().span(0, 1.2, "B1234ABC").span(2.8, 4, "B1234ABC", x0=700),
        10,
        ONE,
        0,
        0,
    ),
    "fragmented, the second piece misread by one character": (
        {"dedupe_window_s": 0, "preview_min_confidence": 0.99},
        Script().span(0, 1.6, "DK1109EV", conf=0.9).span(3.2, 4, "DK109EV", x0=700, conf=0.9),
        10,
        [("final", "DK1109EV")],
        0,
        0,
    ),
    "concurrent tracks of one plate (two boxes at once, far apart)": (
        {},
        Script().span(0, 2, "B1234ABC").span(0.4, 1.6, "B1234ABC", x0=900, y=50, dx=-30),
        8,
        ONE,
        0,
        0,
    ),
    "concurrent: a confident track and a weak one-read track of one plate": (
        {},
        Script().span(0, 2, "B1234ABC").span(1.0, 1.2, "B1234A8C", x0=900, y=50, conf=0.38),
        8,
        ONE,
        0,
        0,
    ),
    "two vehicles at once: two passes": (
        {},
        Script().span(0, 2, "B1234ABC").span(0, 2, "D77XY", x0=1000, y=50, dx=-30),
        8,
        [("preview", "B1234ABC"), ("preview", "D77XY"), ("final", "B1234ABC"), ("final", "D77XY")],
        0,
        0,
    ),
    "leaves and returns within the dedupe window: one event": (
        {"dedupe_window_s": 30},
        Script().span(0, 2, "B1234ABC").span(20, 22, "B1234ABC"),
        30,
        ONE,
        1,
        0,
    ),
    "leaves and returns after the dedupe window: a new event": (
        {"dedupe_window_s": 30},
        Script().span(0, 2, "B1234ABC").span(40, 42, "B1234ABC"),
        50,
        TWO,
        0,
        0,
    ),
    "returns read with an OCR twin (8 for B) within the window: one event": (
        {"dedupe_window_s": 30},
        Script().span(0, 2, "B1234ABC").span(20, 22, "81234A8C"),
        30,
        ONE,
        1,
        0,
    ),
    "low support: two reads only, no preview, final dropped": (
        {},
        Script().span(0, 0.4, "B1234ABC", conf=0.6),
        6,
        [],
        0,
        1,
    ),
    "low support: reads that never agree": (
        {"preview_min_confidence": 0.99},
        Script().span(0, 1.2, "B1234ABC", conf=0.5, texts=["B1234ABC", "B1284ABC", "B1Z34AB", "D1234A8C"]),
        8,
        [],
        0,
        1,
    ),
    "a preview's final is always stored (the gate acted on it)": (
        {"final_min_reads": 10},
        Script().span(0, 0.6, "B1234ABC"),
        6,
        ONE,
        0,
        0,
    ),
    "noise shorter than min_text_length: nothing": ({}, Script().span(0, 2, "B1"), 8, [], 0, 0),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario(name):
    overrides, script, end_s, expected, merged, unsure = SCENARIOS[name]
    policy = EventPolicy(**{"track_timeout_s": 1.0, **overrides})
    builder = PassBuilder("cam", policy, FITS)
    events = play(builder, script.until(end_s)) + [(e.kind, e.text) for e in builder.flush(end_s)]
    assert events == expected
    assert (builder.suppressed, builder.unsure) == (merged, unsure)


@pytest.mark.parametrize(
    "gaps,expected",
    [
        ((), ONE),
        # unseen 5 s every minute (a missed detection, a passer-by), longer than track_timeout_s
        (tuple((60.0 * k, 60.0 * k + 5) for k in range(1, 10)), ONE),
        # hidden 45 s by a van (longer than the 30 s dedupe window): still the same stay
        (((200.0, 245.0),), ONE),
    ],
)
def test_a_plate_parked_ten_minutes_is_one_event(gaps, expected):
    builder = PassBuilder("cam", EventPolicy(track_timeout_s=1.0, dedupe_window_s=30), FITS)
    assert play(builder, parked(0, 600, gaps=gaps).until(610)) + builder.flush(610) == expected


def test_a_parked_plate_that_drives_off_and_returns_later_is_a_new_event():
    builder = PassBuilder("cam", EventPolicy(track_timeout_s=1.0, dedupe_window_s=30), FITS)
    script = parked(0, 60)
    script.span(60, 62, "B1234ABC", x0=600, y=400, dx=40)  # drives off, visibly
    script.span(120, 122, "B1234ABC", x0=100, y=400)  # comes back a minute later
    assert play(builder, script.until(130)) == TWO


def test_stationary_memory_zero_forgets_a_long_occlusion():
    policy = EventPolicy(track_timeout_s=1.0, dedupe_window_s=30, stationary_memory_s=0)
    builder = PassBuilder("cam", policy, FITS)
    assert play(builder, parked(0, 300, gaps=((100.0, 145.0),)).until(300)) == TWO


def test_the_final_is_at_max_delay_while_the_vehicle_stays_and_flush_ends_open_passes():
    builder = PassBuilder("cam", EventPolicy(track_timeout_s=1.0, max_event_delay_s=4.0), FITS)
    out = []
    for t, reads in parked(0, 8).until(8):
        out += [(t, e.kind) for e in builder.on_frame(frame(t), reads)]
    assert out == [(0.2, "preview"), (4.0, "final")]
    assert builder.flush(8.0) == []  # that pass is closed
    builder2 = PassBuilder("cam", EventPolicy(track_timeout_s=5.0), FITS)
    play(builder2, Script().span(0, 1, "B1234ABC").until(1))
    assert [(e.kind, e.text) for e in builder2.flush(1.0)] == [("final", "B1234ABC")]


def test_event_fields_come_from_the_whole_pass():
    policy = EventPolicy(track_timeout_s=1.0, entry_direction="right", location="Gate A", dedupe_window_s=0)
    builder = PassBuilder("cam", policy, FITS)
    script = Script().span(0, 1.2, "B1234ABC").span(2.8, 4, "B1234ABC", x0=700)
    events = [e for t, reads in script.until(10) for e in builder.on_frame(frame(t), reads)]
    final = events[-1]
    assert final.kind == "final" and final.location == "Gate A" and final.direction == "entry"
    assert final.reads_count == 12 and final.first_seen_s == 0.0 and final.last_seen_s == pytest.approx(3.8)
    assert final.track_id == events[0].track_id  # the pass id: preview and final of one pass


@pytest.mark.parametrize(
    "a,b,same,likely",
    [
        ("B1234ABC", "B1234ABC", True, True),
        ("B1234ABC", "81234A8C", True, True),  # OCR twins
        ("DK1109EV", "DK109EV", False, True),  # one character dropped
        ("B1234ABC", "B1234XYZ", False, False),
        ("", "", False, False),
    ],
)
def test_plate_sameness(a, b, same, likely):
    assert same_plate(a, b) is same
    assert likely_same_plate(a, b) is likely


def test_fold_maps_letters_to_their_digit_twins():
    assert fold("BOSZ") == "8052"


@pytest.mark.parametrize(
    "centres,expected",
    [
        ([(0.0, 600)] + [(t, 600) for t in (1.0, 3.0, 6.0)], True),  # still for 6 s
        ([(0.0, 600), (2.0, 600)], False),  # still, but only 2 s
        ([(0.0, 100), (1.0, 300), (2.0, 600), (8.0, 600)], True),  # drove in, then parked 6 s
        ([(0.0, 600), (6.0, 600), (7.0, 900)], False),  # parked, then drove off in view
    ],
)
def test_is_stationary(centres, expected):
    obs = [Observation(t, read_at(x, 400, "B1234ABC")) for t, x in centres]
    assert is_stationary(obs) is expected


def test_a_decided_pass_keeps_no_frames():
    # A parked car's pass stays in memory for the dedupe window or its stay; its final is
    # decided, so it must not hold whole frames for all that time.
    builder = PassBuilder("cam", EventPolicy(track_timeout_s=1.0, max_event_delay_s=4.0), FITS)
    play(builder, parked(0, 120, gaps=((60.0, 65.0),)).until(120))
    (p,) = builder._passes
    assert p.closed and p.views.views == {}
    # its tracks (the one before the gap, and the live one after it) keep no image either
    assert len(p.tracks) == 2
    assert all(t.best_frame.image.size == 0 for t in p.tracks.values())
    assert all(t.observations for t in p.tracks.values())  # texts, boxes and times stay
