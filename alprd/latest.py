"""A bounded hand-over of frames from a capture thread to an inference thread.

The capture side never blocks: when the consumer is behind, the oldest waiting frame
is dropped and counted, so the consumer always gets the newest frame and memory
stays bounded at ``maxsize`` frames.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestQueue(Generic[T]):
    def __init__(self, maxsize: int = 1) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be >= 1")
        self._items: deque[T] = deque()
        self._maxsize = maxsize
        self._cond = threading.Condition()
        self._dropped = 0
        self._closed = False

    @property
    def dropped(self) -> int:
        with self._cond:
            return self._dropped

    def put(self, item: T) -> None:
        """Add ``item``; drops (and counts) the oldest when full. Never blocks."""
        with self._cond:
            while len(self._items) >= self._maxsize:
                self._items.popleft()
                self._dropped += 1
            self._items.append(item)
            self._cond.notify()

    def get(self, timeout_s: float | None = None) -> T | None:
        """The oldest waiting item, or None after ``timeout_s`` or once closed and empty."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._items or self._closed, timeout_s):
                return None
            return self._items.popleft() if self._items else None

    def close(self) -> None:
        """Wake every waiting consumer; later gets return what is left, then None."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
