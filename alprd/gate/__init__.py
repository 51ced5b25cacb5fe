"""Gate: per-camera state over time (track -> vote -> decide -> plate event)."""
