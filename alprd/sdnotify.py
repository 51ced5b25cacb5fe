"""A dependency-free ``sd_notify``: READY=1, STATUS=, WATCHDOG=1, STOPPING=1.

Messages go as one datagram to the unix socket named by ``NOTIFY_SOCKET`` (a path, or
``@name`` for the abstract namespace). Without the variable every call is a no-op, so
the daemon runs the same outside systemd.
"""

from __future__ import annotations

import os
import socket


class Notifier:
    def __init__(self, address: str | None = None) -> None:
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):
            address = "\0" + address[1:]
        self._address = address or None
        self._socket: socket.socket | None = None
        if self._address:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            # Never block the event loop: a receiver that stops reading costs a message, not a hang.
            self._socket.setblocking(False)

    @property
    def enabled(self) -> bool:
        return self._socket is not None

    def notify(self, *fields: str) -> bool:
        """Send ``fields`` (e.g. ``"READY=1"``, ``"STATUS=..."``); False if not delivered."""
        if self._socket is None or self._address is None or not fields:
            return False
        try:
            self._socket.sendto("\n".join(fields).encode(), self._address)
        except OSError:
            return False
        return True

    def ready(self, status: str = "") -> bool:
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, status: str) -> bool:
        return self.notify(f"STATUS={status}")

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self, status: str = "") -> bool:
        return self.notify("STOPPING=1", *([f"STATUS={status}"] if status else []))

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def watchdog_interval_s(default_s: float = 10.0) -> float:
    """Half of systemd's ``WATCHDOG_USEC`` (the recommended ping rate), or ``default_s``."""
    try:
        usec = int(os.environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return default_s
    if os.environ.get("WATCHDOG_PID") not in (None, "", str(os.getpid())):
        return default_s
    return usec / 2_000_000 if usec > 0 else default_s
