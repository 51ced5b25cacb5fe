"""The event writer: one thread that stores final plate events (images, then rows).

Capture and inference threads only ``submit``; the JPEG encoding, file writes and
SQLite transactions happen here, so a slow disk never stalls a camera. ``close``
drains the queue before returning (SIGTERM loses no event that reached it).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime

import numpy as np

from alprd.domain.messages import ImageResult, PlateEvent
from alprd.log import get_logger
from alprd.storage.files import ImageStore
from alprd.storage.repository import Repository

Annotate = Callable[[np.ndarray, ImageResult], np.ndarray]
_STOP = object()


class EventWriter:
    def __init__(
        self, repository: Repository, store: ImageStore, annotate: Annotate | None, *, max_pending: int = 1000
    ) -> None:
        self._repository = repository
        self._store = store
        self._annotate = annotate
        self._queue: queue.Queue = queue.Queue(maxsize=max_pending)
        self._thread = threading.Thread(target=self._run, name="event-writer", daemon=True)
        self._log = get_logger("alprd.storage")
        self.stored = 0
        self.failed = 0

    def start(self) -> EventWriter:
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def submit(self, event: PlateEvent) -> bool:
        """Queue a final event; never blocks. False (and logged) if the queue is full."""
        try:
            self._queue.put_nowait(event)
            return True
        except queue.Full:
            self.failed += 1
            self._log.error("event.dropped", reason="writer queue full", plate=event.text, camera=event.camera_id)
            return False

    def close(self, timeout_s: float = 30.0) -> None:
        """Store everything queued so far, then end the thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            self._store_event(item)

    def _store_event(self, event: PlateEvent) -> None:
        started = time.perf_counter()
        try:
            result = event.result()
            annotated = self._annotate(event.frame.image, result) if self._annotate else None
            images = self._store.save_result(
                event.frame.image, result, annotated=annotated, when=datetime.fromtimestamp(event.last_seen_s)
            )
            session_id = self._repository.save_event(event, images)
        except Exception as exc:  # boundary: log and keep storing the next events
            self.failed += 1
            self._log.exception("event.store_failed", plate=event.text, camera=event.camera_id, error=str(exc))
            return
        self.stored += 1
        self._log.info(
            "event.stored",
            session_id=session_id,
            plate=event.text,
            camera=event.camera_id,
            list_status=event.list_status,
            images=len(images.all_paths()),
            write_ms=round((time.perf_counter() - started) * 1000, 1),
        )
