"""The event writer: one thread that stores final plate events (images, then rows).

Capture and inference threads only ``submit``; the JPEG encoding, file writes and
SQLite transactions happen here, so a slow disk never stalls a camera. ``close``
drains the queue before returning (SIGTERM loses no event that reached it).

A full disk loses no event: when the images do not fit the event is stored without
them; when the database does not fit the event is held (without its frame's pixels)
and retried every ``retry_interval_s``, on ``flush`` and on ``close``, oldest first.
A database server that cannot be reached (fleet mode: the link is down) holds events
the same way, with their images kept on the gate's disk. While events are held, new
ones queue behind them, so events are stored in the order they came. Each event has a
key stored with it: a retry of a save whose commit did happen (its answer lost with
the link) stores nothing twice. Held events live in memory; given a ``HeldFile`` (fleet
mode: ``storage.held_file``) they are also kept there, so a restart loses none of them:
the next writer over the same file stores them first, in order.
"""

from __future__ import annotations

import collections
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from alprd.bus import EventBus
from alprd.domain.messages import ImageResult, PlateEvent
from alprd.errors import StorageFullError, StorageUnavailableError
from alprd.log import get_logger
from alprd.storage.files import ImageStore, StoredImages
from alprd.storage.held import Held, HeldFile
from alprd.storage.live import detection_event
from alprd.storage.repository import Repository

Annotate = Callable[[np.ndarray, ImageResult], np.ndarray]
_STOP = object()


@dataclass(frozen=True)
class _Flush:
    done: threading.Event = field(default_factory=threading.Event)


DISK_FULL = "database disk full"
UNREACHABLE = "database unreachable"


def without_pixels(event: PlateEvent) -> PlateEvent:
    """The event with its frame's pixels dropped (a zero-byte view of the same shape, so
    the stored image size stays right): what a held event keeps in memory."""
    image = event.frame.image
    blank = np.broadcast_to(np.zeros((1,) * image.ndim, image.dtype), image.shape)
    return replace(event, frame=replace(event.frame, image=blank))


class EventWriter:
    def __init__(
        self,
        repository: Repository,
        store: ImageStore,
        annotate: Annotate | None,
        *,
        max_pending: int = 1000,
        max_held: int = 10_000,
        retry_interval_s: float = 5.0,
        bus: EventBus | None = None,
        held_file: HeldFile | None = None,
    ) -> None:
        self._repository = repository
        self._store = store
        self._annotate = annotate
        self._queue: queue.Queue = queue.Queue(maxsize=max_pending)
        self._held_file = held_file
        self._held: collections.deque[Held] = collections.deque(held_file.load() if held_file else ())
        self._max_held = max_held
        self._retry_interval_s = retry_interval_s
        self._bus = bus
        self._thread = threading.Thread(target=self._run, name="event-writer", daemon=True)
        self._log = get_logger("alprd.storage")
        self.stored = 0
        self.stored_without_images = 0
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

    @property
    def deferred(self) -> int:
        """Events held because the database disk is full or its server cannot be reached."""
        return len(self._held)

    def submit(self, event: PlateEvent) -> bool:
        """Queue a final event; never blocks. False (and logged) if the queue is full."""
        try:
            self._queue.put_nowait(event)
            return True
        except queue.Full:
            self.failed += 1
            self._log.error("event.dropped", reason="writer queue full", plate=event.text, camera=event.camera_id)
            return False

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until everything submitted so far was handled and held events were retried."""
        marker = _Flush()
        self._queue.put(marker, timeout=timeout_s)
        return marker.done.wait(timeout_s)

    def close(self, timeout_s: float = 30.0) -> None:
        """Store everything queued so far (and retry held events once), then end the thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout_s)

    def _run(self) -> None:
        self._retry_held()  # events held before a restart go first
        while True:
            try:
                item = self._queue.get(timeout=self._retry_interval_s if self._held else None)
            except queue.Empty:
                self._retry_held()
                continue
            if item is _STOP:
                self._retry_held()
                return
            if isinstance(item, _Flush):
                self._retry_held()
                item.done.set()
                continue
            self._store_event(item)

    def _store_event(self, event: PlateEvent) -> None:
        started = time.perf_counter()
        if self._held:
            self._retry_held()
        key = uuid.uuid4().hex
        try:
            images = self._save_images(event)
            if self._held:  # older events still wait: this one goes behind them
                self._hold(event, images, key, self._held[0].reason)
                return
            try:
                session_id = self._repository.save_event(event, images, key)
            except StorageUnavailableError:
                self._hold(event, images, key, UNREACHABLE)
                return
            except BaseException as exc:
                self._store.discard(images)  # no images without their rows
                if not isinstance(exc, StorageFullError):
                    raise
                self._hold(event, StoredImages(), key, DISK_FULL)
                return
            self._store.settle(images)
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
        self._announce(session_id)

    def _save_images(self, event: PlateEvent) -> StoredImages:
        """The event's images, or none when they do not fit (the rows still go in)."""
        result = event.result()
        annotated = self._annotate(event.frame.image, result) if self._annotate else None
        try:
            return self._store.save_result(
                event.frame.image, result, annotated=annotated, when=datetime.fromtimestamp(event.last_seen_s)
            )
        except StorageFullError as exc:
            self.stored_without_images += 1
            self._log.warning("event.images_skipped", reason="disk full", plate=event.text, error=str(exc))
            return StoredImages()

    def _hold(self, event: PlateEvent, images: StoredImages, key: str, reason: str) -> None:
        if reason == DISK_FULL:
            self._store.discard(images)  # no images without their rows
            images = StoredImages()
        if len(self._held) >= self._max_held:
            dropped = self._held.popleft()
            self._forget(dropped)
            self._store.discard(dropped.images)
            self.failed += 1
            self._log.error("event.dropped", reason=f"{dropped.reason} too long", plate=dropped.event.text)
        held = Held(without_pixels(event), images, key, reason)
        self._held.append(held)
        if self._held_file is not None:
            try:
                self._held_file.append(held)
            except Exception as exc:  # boundary: still held in memory, lost only by a restart
                self._log.exception("event.held_file_failed", plate=event.text, error=str(exc))
        self._log.warning("event.deferred", reason=reason, plate=event.text, held=len(self._held))

    def _retry_held(self) -> None:
        """Store held events, oldest first, while the database takes them."""
        while self._held:
            held = self._held[0]
            event = held.event
            try:
                session_id = self._repository.save_event(event, held.images, held.key)
            except (StorageFullError, StorageUnavailableError):
                return
            except Exception as exc:  # boundary: a held event that can never be stored
                self._forget(self._held.popleft())
                self._store.discard(held.images)
                self.failed += 1
                self._log.exception("event.store_failed", plate=event.text, camera=event.camera_id, error=str(exc))
                continue
            self._forget(self._held.popleft())
            self._store.settle(held.images)
            self.stored += 1
            self.stored_without_images += not held.images.all_paths()
            self._log.info("event.stored", session_id=session_id, plate=event.text, camera=event.camera_id, late=True)
            self._announce(session_id)

    def _forget(self, held: Held) -> None:
        """The event left the queue (stored, or given up): out of the held-events file too."""
        if self._held_file is None:
            return
        try:
            self._held_file.remove(held.key)
        except Exception as exc:  # boundary: a stored key left in the file is skipped when replayed
            self._log.exception("event.held_file_failed", plate=held.event.text, error=str(exc))

    def _announce(self, session_id: int) -> None:
        """Publish the stored session as a ``detection`` live event (read back, so every sink
        sees what the REST API serves)."""
        if self._bus is None:
            return
        try:
            self._bus.publish(detection_event(self._repository.get_session(session_id)))
        except Exception as exc:  # boundary: the event is stored; only its announcement failed
            self._log.exception("event.announce_failed", session_id=session_id, error=str(exc))
