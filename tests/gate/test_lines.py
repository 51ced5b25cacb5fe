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
