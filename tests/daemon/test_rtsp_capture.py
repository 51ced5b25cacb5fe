"""Capture against a real RTSP server: frames flow, a killed server is reconnected, a frozen one noticed."""

import threading
import time

import pytest
from conftest import render_h264
from structlog.testing import capture_logs

from alprd.capture.reader import CameraReader, default_opener
from alprd.config import CameraConfig
from alprd.latest import LatestQueue
from alprd.ops.sample_clip import VehiclePass


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return render_h264(folder, "road", [VehiclePass("B1234XYZ", 0.5)], duration_s=60)


def wait_for(predicate, timeout_s: float, step_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return False


class Consumer:
    """A stand-in inference worker: takes every handed-over frame."""

    def __init__(self, queue):
        self.frames = []
        self._queue = queue
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            f = self._queue.get(0.1)
            if f is not None:
                self.frames.append(f)

    def stop(self):
        self._stop.set()
        self._thread.join()


def test_rtsp_reads_reconnects_and_notices_a_frozen_stream(clip, rtsp_server):
    server = rtsp_server({"gate": clip})
    cam = CameraConfig(
        source=server.url("gate").replace("rtsp://", "rtsp://admin:secret@"),
        detect_fps=5,
        open_timeout_s=3,
        read_timeout_s=2,
        reconnect_min_s=0.2,
        reconnect_max_s=1,
    )
    queue = LatestQueue(maxsize=1)
    reader = CameraReader("gate", cam, queue, opener=default_opener("."))
    consumer = Consumer(queue)
    with capture_logs() as logs:
        reader.start()
        try:
            assert wait_for(lambda: len(consumer.frames) >= 10, 15), "no frames over RTSP"
            stats = reader.stats()
            assert stats.connected and stats.fps_in >= 15  # 25 fps clip (a start-up burst may read faster)
            assert consumer.frames[-1].image.shape == (360, 640, 3)

            server.kill()  # mid-stream
            assert wait_for(lambda: not reader.stats().connected, 5), "drop not noticed"
            time.sleep(1.0)
            server.start()
            n = len(consumer.frames)
            assert wait_for(lambda: len(consumer.frames) >= n + 10, 20), "did not keep reading after restart"
            assert reader.stats().connected

            server.freeze()
            # noticed before the wait's deadline; the stall rule is tested on a fake clock
            assert wait_for(lambda: not reader.stats().connected, 6), "frozen stream not noticed"
            server.resume()
        finally:
            reader.stop(timeout_s=10)
            consumer.stop()
    events = [e["event"] for e in logs]
    assert "capture.disconnected" in events and "capture.reconnecting" in events
    assert events.count("capture.connected") >= 2
    stalled = [e for e in logs if e["event"] == "capture.stalled"]
    assert stalled and stalled[0]["waited_s"] >= 0.9 * cam.read_timeout_s
    assert all("secret" not in repr(e) for e in logs)
