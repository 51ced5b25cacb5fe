"""The REST app served for real (alprd.web.server.start_api) on 127.0.0.1, in a thread
with its own event loop, so tests can talk to it through raw sockets."""

from __future__ import annotations

import asyncio
import socket
import threading

from aiohttp import web

from alprd.config import ServerConfig
from alprd.web.server import ApiRunner, start_api


class LiveApi:
    def __init__(self, app: web.Application, server: ServerConfig) -> None:
        self.app = app
        self.server = server
        self.port = 0
        self.runner: ApiRunner | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-api", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self.runner = self._loop.run_until_complete(start_api(self.app, self.server, port=0))
        self.port = self.runner.addresses[0][1]
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self.runner.cleanup())
        self._loop.close()

    def __enter__(self) -> LiveApi:
        self._thread.start()
        assert self._ready.wait(30), "the API did not start"
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)

    def connect(self, timeout_s: float = 10.0) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout_s)
        return sock

    def request(self, raw: bytes, timeout_s: float = 10.0) -> bytes:
        """Send a whole request on a new connection; the whole answer (server closes)."""
        with self.connect(timeout_s) as sock:
            sock.sendall(raw)
            return read_all(sock)


def read_all(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


def get(path: str, *, headers: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n".encode()
