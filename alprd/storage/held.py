"""The local queue of held events (fleet mode): events a gate could not store because its
PostgreSQL server could not be reached, kept in a small SQLite file so a restart while the
link is down loses none of them.

Each row is one event in arrival order: its key (``detection_session.event_key``: a replay
of an event whose commit did happen stores nothing twice), the reason it waits, the event
without its frame's pixels (JSON) and the paths of its images, saved in ``outputs_dir``.
The writer appends a row when it holds an event and deletes it once the server stored the
event; a crash between the two replays a stored key, which is skipped. The file also keeps
the last access lists the gate read, for a start while the server cannot be reached.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from alprd.domain.lists import LIST_NAMES, ListName
from alprd.domain.messages import Box, Detection, Frame, OcrResult, PlateEvent, PlateRead
from alprd.storage.files import StoredImages

FORMAT = 1  # PRAGMA user_version of the file


@dataclass(frozen=True)
class Held:
    event: PlateEvent  # without its frame's pixels
    images: StoredImages  # saved, waiting for their rows (none when the disk is full)
    key: str  # the event's key: stored once however often retried
    reason: str


class HeldFile:
    """Held events in a SQLite file, oldest first. Used by the writer's thread only (and at
    start-up, before that thread runs); the lock keeps a stray call from another thread safe."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")  # a held event survives a power cut
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, FORMAT):
            raise ValueError(f"{path}: held-events file format {version}, this alprd reads {FORMAT}")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS held (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,"
            " reason TEXT NOT NULL, event TEXT NOT NULL, images TEXT NOT NULL)"
        )
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS lists (id INTEGER PRIMARY KEY CHECK (id = 1), statuses TEXT NOT NULL)"
        )
        self._conn.execute(f"PRAGMA user_version={FORMAT}")

    def append(self, held: Held) -> None:
        row = (held.key, held.reason, json.dumps(encode_event(held.event)), json.dumps(encode_images(held.images)))
        with self._lock:
            self._conn.execute("INSERT OR IGNORE INTO held (key, reason, event, images) VALUES (?, ?, ?, ?)", row)

    def remove(self, key: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM held WHERE key = ?", (key,))

    def load(self) -> list[Held]:
        """Every held event, oldest first (images without a journal: ``ImageStore.recover``
        ran at start-up and kept the files this file names)."""
        with self._lock:
            rows = self._conn.execute("SELECT key, reason, event, images FROM held ORDER BY seq").fetchall()
        return [Held(decode_event(json.loads(e)), decode_images(json.loads(i)), k, r) for k, r, e, i in rows]

    def image_paths(self) -> set[str]:
        """The image files the held events name (kept by ``ImageStore.recover``)."""
        return {p for held in self.load() for p in held.images.all_paths()}

    def save_lists(self, statuses: dict[str, ListName]) -> None:
        """The access lists as last read from the server (plate text -> list name)."""
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO lists (id, statuses) VALUES (1, ?)", (json.dumps(statuses),))

    def last_lists(self) -> dict[str, ListName] | None:
        """The lists last saved; None if the gate never read them."""
        with self._lock:
            row = self._conn.execute("SELECT statuses FROM lists WHERE id = 1").fetchone()
        if row is None:
            return None
        return {plate: cast(ListName, name) for plate, name in json.loads(row[0]).items() if name in LIST_NAMES}

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM held").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def encode_images(images: StoredImages) -> dict[str, Any]:
    return {**asdict(images), "journal": ""}


def decode_images(data: dict[str, Any]) -> StoredImages:
    return StoredImages(
        original=data["original"],
        annotated=data["annotated"],
        vehicle_annotated=data["vehicle_annotated"],
        vehicle_crops=tuple(data["vehicle_crops"]),
        plate_crops=tuple(data["plate_crops"]),
    )


def encode_event(event: PlateEvent) -> dict[str, Any]:
    """The event as JSON-able data; the frame keeps its shape and type, not its pixels."""
    frame = event.frame
    return {
        "camera_id": event.camera_id,
        "track_id": event.track_id,
        "kind": event.kind,
        "text": event.text,
        "confidence": event.confidence,
        "read": asdict(event.read),
        "frame": {
            "camera_id": frame.camera_id,
            "index": frame.index,
            "timestamp_s": frame.timestamp_s,
            "shape": list(frame.image.shape),
            "dtype": str(frame.image.dtype),
        },
        "first_seen_s": event.first_seen_s,
        "last_seen_s": event.last_seen_s,
        "reads_count": event.reads_count,
        "direction": event.direction,
        "list_status": event.list_status,
        "location": event.location,
    }


def decode_event(data: dict[str, Any]) -> PlateEvent:
    f = data["frame"]
    blank = np.broadcast_to(np.zeros((1,) * len(f["shape"]), np.dtype(f["dtype"])), tuple(f["shape"]))
    frame = Frame(f["camera_id"], f["index"], f["timestamp_s"], blank)
    fields = {k: v for k, v in data.items() if k not in ("read", "frame")}
    return PlateEvent(read=_read(data["read"]), frame=frame, **fields)


def _detection(data: dict[str, Any]) -> Detection:
    return Detection(Box(**data["box"]), data["confidence"], data["label"])


def _read(data: dict[str, Any]) -> PlateRead:
    ocr = data["ocr"]
    return PlateRead(
        plate=_detection(data["plate"]),
        ocr=OcrResult(
            ocr["text"],
            ocr["confidence"],
            tuple(ocr["char_confidences"]),
            tuple((text, conf) for text, conf in ocr["candidates"]),
            ocr["engine"],
        ),
        vehicle=_detection(data["vehicle"]) if data["vehicle"] is not None else None,
        **{k: v for k, v in data.items() if k not in ("plate", "ocr", "vehicle")},
    )
