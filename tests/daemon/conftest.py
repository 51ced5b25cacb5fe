"""Fixtures for the gate daemon tests: rendered clips and a real GStreamer RTSP server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alprd.ops.sample_clip import VehiclePass, render_clip

SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
DEBIAN_PYTHON = "/usr/bin/python3"  # has python3-gi; the project's Python need not


REPO = Path(__file__).resolve().parents[2]


def start_daemon(config: Path, cwd: Path, **env: str) -> subprocess.Popen:
    """``alprd run --config CONFIG`` of this checkout (its folder first on PYTHONPATH,
    whatever alprd is installed), JSON logs on ``stderr`` as text, ``env`` added to the
    environment; a systemd watchdog of the test run itself (WATCHDOG_PID) is not passed on."""
    full = dict(os.environ, **env)
    full.pop("WATCHDOG_PID", None)
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "alprd", "run", "--config", str(config)],
        cwd=cwd,
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def encode_h264(src: Path, dst: Path) -> Path:
    subprocess.run([DEBIAN_PYTHON, str(SERVER_SCRIPT), "encode", str(src), str(dst)], check=True, timeout=120)
    return dst


def render_h264(folder: Path, name: str, passes: list[VehiclePass], **kw) -> Path:
    avi = render_clip(folder / f"{name}.avi", passes, **kw)
    return encode_h264(avi, folder / f"{name}.mkv")


class RtspServer:
    """One GStreamer RTSP server process on 127.0.0.1 (start, kill, freeze, resume)."""

    def __init__(self, port: int, mounts: dict[str, Path]) -> None:
        self.port = port
        self.mounts = mounts
        self.proc: subprocess.Popen | None = None

    def url(self, mount: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{mount}"

    def start(self, mounts: dict[str, Path] | None = None, timeout_s: float = 15.0) -> RtspServer:
        self.mounts = mounts or self.mounts
        args = [DEBIAN_PYTHON, str(SERVER_SCRIPT), "serve", "--port", str(self.port)]
        args += [f"{m}={p}" for m, p in self.mounts.items()]
        deadline = time.monotonic() + timeout_s
        while True:  # the port may linger for a moment after a kill
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            line = self.proc.stdout.readline()
            if line.startswith("READY"):
                return self
            self.kill()
            if time.monotonic() > deadline:
                raise RuntimeError(f"RTSP server did not start: {line!r}")
            time.sleep(0.3)

    def kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
        self.proc.wait(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()
        self.proc = None

    def freeze(self) -> None:
        """SIGSTOP: connections stay open but no data flows (a frozen camera)."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)


@pytest.fixture
def rtsp_server():
    servers: list[RtspServer] = []

    def make(mounts: dict[str, Path], port: int | None = None) -> RtspServer:
        server = RtspServer(port or free_port(), mounts).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.kill()
