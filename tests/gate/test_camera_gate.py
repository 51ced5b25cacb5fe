"""The per-frame step of a camera: motion gate -> reader -> plate checks -> passes.

The reader is a stand-in that answers per frame time (no model): the scenarios are about
what the gate does with reads, not about reading.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pytest

from alprd.config import CameraConfig
from alprd.domain.messages import Box, Detection, Frame, ImageResult, OcrResult, PlateRead
from alprd.domain.packs import load_pack
from alprd.gate.camera_gate import CameraGate

FITS = load_pack("id").matches_format
W, H = 1280, 720
WHOLE = Box(0, 0, W, H)


def read(box: Box, text: str, conf: float = 0.95) -> PlateRead:
    return PlateRead(Detection(box, 0.9, "plate"), OcrResult(text, conf))


class ScriptedReader:
    """Answers each image with the vehicles and reads the scripts give for the frame's time."""

    def __init__(
        self, script: Callable[[float], list[PlateRead]], vehicles: Callable[[float], list[Detection]] | None = None
    ) -> None:
        self.script = script
        self.vehicles = vehicles or (lambda _t: [])
        self.t_s = 0.0
        self.calls = 0

    def read_image(self, image: np.ndarray) -> ImageResult:
        self.calls += 1
        return ImageResult(W, H, tuple(self.vehicles(self.t_s)), tuple(self.script(self.t_s)))


def run(gate: CameraGate, reader: ScriptedReader, end_s: float, image: Callable[[float], np.ndarray]):
    events = []
    for i in range(round(end_s / 0.2)):
        t = round(i * 0.2, 3)
        reader.t_s = t
        events += gate.on_frame(Frame("cam", i, t, image(t)))
    return [(e.kind, e.text) for e in events + gate.flush(end_s)]


def still(_t: float) -> np.ndarray:
    return np.full((H, W, 3), 100, np.uint8)


def car_scene(arrive_s: float, stop_s: float) -> Callable[[float], np.ndarray]:
    """A bright car drives in from the left until ``stop_s``, then stands still."""

    def image(t: float) -> np.ndarray:
        img = still(t)
        if t >= arrive_s:
            x = int(40 + 120 * (min(t, stop_s) - arrive_s) / 0.2)
            img[350:600, x : x + 300] = 220
        return img

    return image


def osd(t: float) -> list[PlateRead]:
    """A traffic camera's overlays: a caption line and a clock that changes every second."""
    return [read(Box(20, 20, 520, 60), "ALUNALUNCILACAP"), read(Box(1050, 20, 1250, 60), f"12015{int(t) % 10}")]


def test_overlay_text_never_becomes_an_event():
    camera = CameraConfig(
        source="usb:0", motion={"enabled": False}, mask=[[(1000, 0), (1280, 0), (1280, 80), (1000, 80)]]
    )
    plate = lambda t: [read(Box(300 + 40 * t, 400, 420 + 40 * t, 440), "B1234ABC")] if 1 <= t < 3 else []  # noqa: E731
    reader = ScriptedReader(lambda t: osd(t) + plate(t))
    gate = CameraGate("cam", camera, reader, FITS)
    assert run(gate, reader, 12, still) == [("preview", "B1234ABC"), ("final", "B1234ABC")]


def test_without_the_mask_the_caption_and_the_clock_are_still_no_event():
    # The caption fails the shape check; the clock is plate-shaped but has no letter.
    camera = CameraConfig(source="usb:0", motion={"enabled": False})
    reader = ScriptedReader(osd)
    gate = CameraGate("cam", camera, reader, FITS)
    assert run(gate, reader, 20, still) == []


def test_an_empty_still_scene_runs_the_detectors_only_every_idle_refresh():
    camera = CameraConfig(source="usb:0", motion={"refresh_s": 1.0, "idle_refresh_s": 4.0})
    reader = ScriptedReader(lambda t: [])
    gate = CameraGate("cam", camera, reader, FITS)
    run(gate, reader, 20, still)  # 100 frames
    stats = gate.stats()
    assert stats.frames == 100 and reader.calls == stats.detected == 5  # at 0, 4, 8, 12, 16 s
    assert stats.skipped_no_motion == 95


def test_a_parked_car_without_a_readable_plate_is_checked_every_refresh():
    camera = CameraConfig(source="usb:0", motion={"refresh_s": 1.0, "idle_refresh_s": 4.0})
    reader = ScriptedReader(lambda t: [], vehicles=lambda t: [Detection(Box(100, 300, 500, 600), 0.9, "car")])
    gate = CameraGate("cam", camera, reader, FITS)
    run(gate, reader, 20, still)
    assert reader.calls == 20  # every 1 s: something is there


def test_a_car_that_stops_at_the_barrier_is_still_read():
    # The car moves in (motion) and stops at 2.0 s; its plate is first readable at 3.0 s,
    # while nothing moves: the refresh for a scene with a vehicle in it finds it, and from
    # then on it is tracked, so every frame goes through the detectors.
    camera = CameraConfig(source="usb:0", motion={"refresh_s": 1.0})
    plate = Box(700, 500, 820, 530)
    car = Detection(Box(600, 350, 1000, 600), 0.9, "car")
    reader = ScriptedReader(lambda t: [read(plate, "B1234ABC")] if t >= 3.0 else [], vehicles=lambda t: [car])
    gate = CameraGate("cam", camera, reader, FITS)
    events = run(gate, reader, 12, car_scene(0.0, 2.0))
    assert events == [("preview", "B1234ABC"), ("final", "B1234ABC")]
    stats = gate.stats()
    assert stats.detected > stats.frames - 3.0 * 5  # every frame from ~3 s on (and the motion before)


class RegionScriptedReader(ScriptedReader):
    """Like ScriptedReader, and can look at regions: then it finds only the plates inside one."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.looked: list[tuple[float, list[Box] | None]] = []  # (t_s, regions; None: read_image)

    def read_image(self, image: np.ndarray) -> ImageResult:
        self.looked.append((self.t_s, None))
        return super().read_image(image)

    def read_regions(self, image: np.ndarray, regions: Sequence[Box]) -> ImageResult:
        self.calls += 1
        self.looked.append((self.t_s, list(regions)))
        inside = [r for r in self.script(self.t_s) if any(holds(region, r.plate.box) for region in regions)]
        return ImageResult(W, H, tuple(self.vehicles(self.t_s)), tuple(inside))


def holds(outer: Box, inner: Box) -> bool:
    return outer.x1 <= inner.x1 and outer.y1 <= inner.y1 and inner.x2 <= outer.x2 and inner.y2 <= outer.y2


def car_x(t: float) -> int:
    return int(40 + 120 * t / 0.2)


def plate_at(t: float) -> Box:
    """Where the plate of ``plated_car`` is at ``t``."""
    return Box(car_x(t) + 100, 500, car_x(t) + 220, 530)


def plated_car(t: float) -> np.ndarray:
    """``car_scene`` with a plate on the car: dark characters on white, moving with it."""
    img = car_scene(0.0, 10.0)(t)
    b = plate_at(t)
    x1, x2 = int(b.x1), min(int(b.x2), W)
    if x1 < W:
        img[500:530, x1:x2] = 250
        img[506:524, x1:x2][:, (np.arange(x2 - x1) // 6) % 2 == 0] = 30
    return img


def test_a_moving_car_is_looked_at_around_its_moving_plate_and_the_whole_frame_every_refresh():
    camera = CameraConfig(source="usb:0", motion={"refresh_s": 1.0, "regions": True})
    reader = RegionScriptedReader(lambda t: [])
    gate = CameraGate("cam", camera, reader, FITS)
    run(gate, reader, 3.0, plated_car)  # the car moves 120 px a frame all along
    whole = [t for t, regions in reader.looked if regions == [WHOLE]]
    assert whole == [0.0, 1.0, 2.0]  # the first frame, then every refresh_s
    assert all(regions is not None for _, regions in reader.looked)  # all through the region model
    for t, regions in reader.looked:
        if regions != [WHOLE] and plate_at(t).x2 <= W:
            assert any(holds(r, plate_at(t)) for r in regions), (t, regions)
            assert sum(r.area for r in regions) <= W * H * 0.6
    assert gate.stats().in_regions == len(reader.looked) - len(whole) > 0


def test_with_regions_a_car_that_stops_at_the_barrier_is_still_read():
    # As above: the refresh finds the plate of the stopped car; then the tracked plate's
    # box is the region, and it keeps being read there (with a whole frame every refresh_s).
    camera = CameraConfig(source="usb:0", motion={"refresh_s": 1.0, "regions": True})
    plate = Box(700, 500, 820, 530)
    car = Detection(Box(600, 350, 1000, 600), 0.9, "car")
    reader = RegionScriptedReader(lambda t: [read(plate, "B1234ABC")] if t >= 3.0 else [], vehicles=lambda t: [car])
    gate = CameraGate("cam", camera, reader, FITS)
    events = run(gate, reader, 12, car_scene(0.0, 2.0))
    assert events == [("preview", "B1234ABC"), ("final", "B1234ABC")]
    after = [regions for t, regions in reader.looked if t > 3.0]
    assert len(after) == 44  # every frame from 3.2 to 11.8 s: tracked
    in_regions = [regions for regions in after if regions != [WHOLE]]
    assert len(in_regions) > 0.8 * len(after)
    assert all(any(holds(r, plate) for r in regions) for regions in in_regions)


@pytest.mark.parametrize("motion", [{"refresh_s": 1.0, "regions": False}, {"enabled": False}])
def test_regions_off_or_no_motion_gate_reads_the_whole_frame(motion: dict):
    camera = CameraConfig(source="usb:0", motion=motion)
    reader = RegionScriptedReader(lambda t: [])
    gate = CameraGate("cam", camera, reader, FITS)
    run(gate, reader, 2.0, car_scene(0.0, 10.0))
    assert reader.looked and all(regions is None for _, regions in reader.looked)
    assert gate.stats().in_regions == 0


def test_a_car_whose_plate_is_read_is_looked_at_around_its_plate_only():
    camera = CameraConfig(source="usb:0", motion={"refresh_s": 1.0, "regions": True})
    car = lambda t: [Detection(Box(car_x(t), 350, car_x(t) + 300, 600), 0.9, "car")]  # noqa: E731
    plate = lambda t: [replace(read(plate_at(t), "B1234ABC"), vehicle=car(t)[0])] if t < 1.6 else []  # noqa: E731
    reader = RegionScriptedReader(plate, vehicles=car)
    gate = CameraGate("cam", camera, reader, FITS)
    events = run(gate, reader, 4.0, plated_car)
    assert events == [("preview", "B1234ABC"), ("final", "B1234ABC")]
    small = [(t, regions) for t, regions in reader.looked if regions != [WHOLE] and 0.0 < t < 1.6]
    assert small and all(len(regions) == 1 and holds(regions[0], plate_at(t)) for t, regions in small)
    assert all(regions[0].width <= 400 for _, regions in small)  # the plate's region, not the car's


class LateDetailReader(ScriptedReader):
    """Reads frames without plate colours and names them when asked, as the pipeline does."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.named: list[tuple[str, np.ndarray]] = []  # (text, image) of each with_details call

    def read_image(self, image: np.ndarray) -> ImageResult:
        raise AssertionError("the gate reads frames without colours")

    def read_without_details(self, image: np.ndarray, regions: Sequence[Box] | None) -> ImageResult:
        return super().read_image(image)

    def with_details(self, read: PlateRead, image: np.ndarray) -> PlateRead:
        self.named.append((read.ocr.text, image))
        return replace(read, background_color="Yellow", text_color="Black", plate_type="Public")


def test_plate_colours_are_named_once_per_event_from_its_stored_view():
    """Naming colours costs more than reading the plate: the gate leaves them out of the
    per-frame reads and names them once per event, from the frame stored with it."""
    camera = CameraConfig(source="usb:0", motion={"enabled": False})
    plate = lambda t: [read(Box(300 + 40 * t, 400, 420 + 40 * t, 440), "B1234ABC")] if 1 <= t < 3 else []  # noqa: E731
    reader = LateDetailReader(plate)
    gate = CameraGate("cam", camera, reader, FITS)
    events = []
    for i in range(round(6 / 0.2)):
        reader.t_s = round(i * 0.2, 3)
        events += gate.on_frame(Frame("cam", i, reader.t_s, still(reader.t_s)))
    events += gate.flush(6.0)
    assert [(e.kind, e.text) for e in events] == [("preview", "B1234ABC"), ("final", "B1234ABC")]
    assert reader.calls == 30 and len(reader.named) == 2
    for event, (text, image) in zip(events, reader.named):
        assert text == event.text and image is event.frame.image
        assert (event.read.background_color, event.read.text_color, event.read.plate_type) == (
            "Yellow",
            "Black",
            "Public",
        )
