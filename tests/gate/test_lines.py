"""SIGHUP reload planning: which cameras start, stop, restart or stay (table-driven)."""

import pytest

from alprd.config import CameraConfig
from alprd.gate.lines import ReloadReport, plan_reload

A = CameraConfig(source="rtsp://h/a", location="Gate A")
A2 = CameraConfig(source="rtsp://h/a", location="Gate A", detect_fps=8)
B = CameraConfig(source="usb:0")
B_OFF = CameraConfig(source="usb:0", enabled=False)


@pytest.mark.parametrize(
    "current,new,expected",
    [
        ({}, {"a": A}, ReloadReport(("a",), (), (), ())),
        ({"a": A}, {"a": A}, ReloadReport((), (), (), ("a",))),
        ({"a": A}, {"a": A, "b": B}, ReloadReport(("b",), (), (), ("a",))),
        ({"a": A, "b": B}, {"a": A}, ReloadReport((), ("b",), (), ("a",))),
        ({"a": A, "b": B}, {"a": A2, "b": B}, ReloadReport((), (), ("a",), ("b",))),
        ({"a": A, "b": B}, {"a": A, "b": B_OFF}, ReloadReport((), ("b",), (), ("a",))),  # disabled = removed
        ({"a": A}, {}, ReloadReport((), ("a",), (), ())),
    ],
)
def test_plan_reload(current, new, expected):
    assert plan_reload(current, new) == expected


def test_a_dropped_final_is_logged_with_its_evidence():
    import logging

    import structlog
    from structlog.testing import capture_logs

    from alprd.capture.reader import CameraReader
    from alprd.gate.lines import CameraLine
    from alprd.gate.vote import Vote

    def capture(camera_id, camera, frames):
        return CameraReader(camera_id, camera, frames, opener=lambda c: None)

    line = CameraLine("gate1", A, reader=None, sink=lambda e: e, capture=capture, fits=None)  # not started
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))  # whatever ran before
    try:
        with capture_logs() as logs:
            line._log_unsure(Vote("B1234ABC", 0.31, 4, 1, True), 10.0, 12.5)
    finally:
        structlog.configure(**saved)
    assert logs == [
        {
            "event": "event.unsure_dropped",
            "log_level": "info",
            "camera": "gate1",
            "plate": "B1234ABC",
            "confidence": 0.31,
            "reads": 4,
            "agreeing": 1,
            "seen_s": 2.5,
        }
    ]
