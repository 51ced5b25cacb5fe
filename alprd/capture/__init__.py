"""Capture: camera sources -> frames (one reader thread per camera, newest frame wins)."""
