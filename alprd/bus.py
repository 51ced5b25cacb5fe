"""The in-process event bus: every plate event alprd announces, to every live sink.

Publishers (the gate router for previews, the event writer and ``POST /detect/image`` for
stored detections) call :meth:`EventBus.publish` from any thread; each subscriber is a
callable that must not block (the SSE hub hands the event to its event loop, a webhook or
MQTT sink would queue it). A failing subscriber is logged and never stops the others.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from alprd.domain.messages import PlateEvent
from alprd.log import get_logger

LiveKind = Literal["preview", "detection"]
Subscriber = Callable[["LiveEvent"], None]
log = get_logger("alprd.bus")


def image_url(path: str) -> str:
    """'outputs/x.jpg' -> '/outputs/x.jpg', the URL the REST API serves a stored file at."""
    return f"/{path.lstrip('/')}" if path else ""


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One announced event, the same for every sink (``as_json`` is its wire form)."""

    event: LiveKind
    plate_text: str
    confidence: float
    list_status: str
    camera_id: str  # '' for an uploaded image
    location: str
    direction: str
    time_s: float  # epoch seconds of the last sighting (detections: of the stored session)
    vehicle_type: str = ""
    session_id: int | None = None  # the stored detection session (detections only)
    original_image_url: str = ""
    annotated_image_url: str = ""
    plate_image_url: str = ""
    vehicle_image_url: str = ""

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["confidence"] = round(self.confidence, 4)
        out["time"] = datetime.fromtimestamp(self.time_s).strftime("%Y-%m-%d %H:%M:%S")
        return out


def preview_event(event: PlateEvent) -> LiveEvent:
    """A camera's early read (not stored yet, so no session and no images)."""
    vehicle = event.read.vehicle
    return LiveEvent(
        event="preview",
        plate_text=event.text,
        confidence=event.confidence,
        list_status=event.list_status,
        camera_id=event.camera_id,
        location=event.location,
        direction=event.direction,
        time_s=event.last_seen_s,
        vehicle_type=vehicle.label if vehicle is not None else "",
    )


class EventBus:
    """Fan-out of :class:`LiveEvent` to subscribers; counts what was published, by kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscriber, ...] = ()
        self._published: Counter[str] = Counter()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add ``subscriber``; returns the call that removes it again."""
        with self._lock:
            self._subscribers = (*self._subscribers, subscriber)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not subscriber)

        return unsubscribe

    def publish(self, event: LiveEvent) -> None:
        with self._lock:
            subscribers = self._subscribers
            self._published[event.event] += 1
        for subscriber in subscribers:
            try:
                subscriber(event)
            except Exception as exc:  # boundary: one sink's failure never reaches the publisher
                log.exception("bus.subscriber_failed", kind=event.event, error=str(exc))

    def published(self) -> dict[str, int]:
        """Events published so far, by kind (every kind listed, 0 when none yet)."""
        with self._lock:
            return {kind: self._published[kind] for kind in ("preview", "detection")}
