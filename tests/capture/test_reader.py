"""The capture thread with a fake USB camera (the only fake: no camera on CI)."""

import threading
import time

import numpy as np
import pytest
from structlog.testing import capture_logs

from alprd.capture.reader import CameraReader
from alprd.capture.sources import CaptureError
from alprd.config import CameraConfig
from alprd.latest import LatestQueue


class FakeClock:
    """A monotonic clock that moves only when told (the fake camera moves it)."""

    def __init__(self):
        self.now_s = 0.0

    def __call__(self):
        return self.now_s


class FakeUsbCamera:
    """Delivers numbered frames at ``fps``; may fail after ``fail_after`` or freeze.

    With a ``clock``, a frame moves it by 1/fps and a freeze by ``freeze_s`` (no real wait)."""

    def __init__(self, fps=50.0, fail_after=None, freeze_after=None, freeze_s=0.0, clock=None):
        self.clock = clock
        self.fps = fps
        self.fail_after = fail_after
        self.freeze_after = freeze_after
        self.freeze_s = freeze_s
        self.count = 0
        self.retrieved = 0
        self.released = threading.Event()

    @property
    def nominal_fps(self):
        return self.fps

    def grab(self):
        time.sleep(1.0 / self.fps)  # real pacing, so the thread never spins
        if self.clock is not None:
            self.clock.now_s += 1.0 / self.fps
        self.count += 1
        if self.fail_after is not None and self.count > self.fail_after:
            return False
        if self.freeze_after is not None and self.count > self.freeze_after:
            if self.clock is not None:
                self.clock.now_s += self.freeze_s
            else:
                time.sleep(self.freeze_s)
        return True

    def retrieve(self):
        self.retrieved += 1
        return np.full((36, 64, 3), self.count % 256, np.uint8)

    def release(self):
        self.released.set()


def camera(**kw):
    base = dict(source="usb:0", detect_fps=10, read_timeout_s=1.0, reconnect_min_s=0.05, reconnect_max_s=0.2)
    return CameraConfig(**(base | kw))


def run_reader(cam, opener, seconds, consume=None, clock=time.monotonic, until=None):
    """Run the reader for ``seconds``; with ``until(frames got)``, until that holds
    (``seconds`` then only bounds the wait: a loaded machine just takes longer)."""
    q = LatestQueue(maxsize=1)
    reader = CameraReader("gate1", cam, q, opener=opener, monotonic=clock)
    got = []
    stop = threading.Event()

    def consumer():
        while not stop.is_set():
            frame = q.get(0.1)
            if frame is not None:
                got.append(frame)
                if consume:
                    time.sleep(consume)

    worker = threading.Thread(target=consumer)
    reader.start()
    worker.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (until is not None and until(got)):
        time.sleep(0.01 if until is not None else max(0.0, deadline - time.monotonic()))
    stats = reader.stats()
    reader.stop()
    stop.set()
    worker.join()
    assert not reader.alive
    return got, stats


def test_frames_handed_over_at_detect_fps():
    """On a fake clock the camera moves (1/50 s a frame): 10 of every 50 frames are handed
    over, whatever the machine's load."""
    clock = FakeClock()
    fake = FakeUsbCamera(fps=50, clock=clock)
    got, stats = run_reader(camera(detect_fps=10), lambda c: fake, 30.0, clock=clock, until=lambda _: fake.count >= 75)
    assert stats.connected and stats.frames_dropped == 0 and stats.fps_in > 0
    assert stats.frames_read >= 75 and abs(len(got) - stats.frames_read / 5) <= 2
    assert [f.index for f in got] == sorted(f.index for f in got)
    assert all(f.camera_id == "gate1" and f.image.shape == (36, 64, 3) for f in got)
    assert fake.retrieved <= len(got) + 1 < fake.count / 2  # only analysed frames are converted
    assert fake.released.is_set()


def test_slow_inference_drops_and_counts_and_never_blocks_capture():
    """Half the frames are due (25 of 50 fps) and the consumer takes 0.2 s over each: the
    camera is read at its own pace all the same, and what the consumer missed is counted."""
    clock = FakeClock()
    fake = FakeUsbCamera(fps=50, clock=clock)
    got, stats = run_reader(
        camera(detect_fps=25), lambda c: fake, 30.0, consume=0.2, clock=clock, until=lambda _: fake.count >= 75
    )
    assert stats.frames_read >= 75 and len(got) < stats.frames_read / 5  # capture kept its own pace
    assert stats.frames_dropped > 2 * len(got)


def test_failure_reconnects_with_backoff():
    opened = []

    def opener(cam):
        opened.append(len(opened))
        if len(opened) in (2, 3):
            raise CaptureError("cannot open usb:0")
        return FakeUsbCamera(fps=100, fail_after=10)

    with capture_logs() as logs:
        got, stats = run_reader(camera(), opener, 30.0, until=lambda got: len(opened) >= 5 and len(got) >= 4)
    names = [e["event"] for e in logs]
    assert names.count("capture.disconnected") >= 3
    assert names.count("capture.reconnecting") >= 3 and "capture.connected" in names
    assert len(opened) >= 4 and stats.reconnects >= 3
    assert len(got) >= 4  # frames kept coming between failures
    delays = [e["delay_s"] for e in logs if e["event"] == "capture.reconnecting"]
    assert all(d >= 0.04 for d in delays)  # never a busy loop: reconnect_min_s 0.05 - 20 % jitter


@pytest.mark.parametrize(("freeze_s", "stalls"), [(1.2, True), (0.85, False)])
def test_a_read_as_long_as_the_read_timeout_is_a_stall(freeze_s, stalls):
    """On a fake clock: a grab that took 0.9 x read_timeout_s or more closes the source."""
    clock = FakeClock()
    fake = FakeUsbCamera(fps=50, freeze_after=5, freeze_s=freeze_s, clock=clock)
    with capture_logs() as logs:
        run_reader(camera(read_timeout_s=1.0), lambda c: fake, 0.4, clock=clock)
    stalled = [e for e in logs if e["event"] == "capture.stalled"]
    if stalls:
        assert stalled and stalled[0]["waited_s"] == pytest.approx(freeze_s + 1 / 50, abs=0.01)
        assert fake.released.is_set() and any(e["event"] == "capture.reconnecting" for e in logs)
    else:
        assert stalled == [] and fake.count > 6  # slow frames, read on


def test_credentials_never_logged():
    def opener(cam):
        raise CaptureError("cannot open rtsp://***@10.0.0.9/x")

    with capture_logs() as logs:
        run_reader(camera(source="rtsp://admin:hunter2@10.0.0.9/x"), opener, 0.3)
    assert logs and all("hunter2" not in repr(e) for e in logs)


@pytest.mark.parametrize("detect_fps", [2, 5])
def test_state_reports_analysis_rate_window(detect_fps):
    got, _ = run_reader(camera(detect_fps=detect_fps), lambda c: FakeUsbCamera(fps=50), 2.0)
    assert abs(len(got) - 2 * detect_fps) <= 2
