"""sd_notify over a real unix datagram socket in tmp_path."""

import os
import socket
import threading

import pytest

from alprd.sdnotify import Notifier, watchdog_interval_s


@pytest.fixture
def notify_socket(tmp_path):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    yield str(path), sock
    sock.close()


def test_messages_arrive(notify_socket):
    path, sock = notify_socket
    n = Notifier(path)
    assert n.enabled
    assert n.ready("2 cameras")
    assert sock.recv(4096) == b"READY=1\nSTATUS=2 cameras"
    assert n.watchdog()
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert n.stopping()
    assert sock.recv(4096) == b"STOPPING=1"
    n.close()


def test_from_environment(notify_socket, monkeypatch):
    path, sock = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    n = Notifier()
    assert n.status("starting")
    assert sock.recv(4096) == b"STATUS=starting"
    n.close()


def test_abstract_socket():
    name = f"alprd-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2)
    try:
        n = Notifier("@" + name)
        assert n.watchdog()
        assert sock.recv(64) == b"WATCHDOG=1"
        n.close()
    finally:
        sock.close()


def test_no_socket_is_a_no_op(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    n = Notifier()
    assert not n.enabled and not n.ready() and not n.watchdog()


def test_gone_socket_does_not_raise(tmp_path):
    n = Notifier(str(tmp_path / "missing.sock"))
    assert n.ready() is False
    n.close()


@pytest.mark.parametrize(
    "usec,pid,expected",
    [("30000000", None, 15.0), ("", None, 10.0), ("x", None, 10.0), ("30000000", "1", 10.0), ("0", None, 10.0)],
)
def test_watchdog_interval(monkeypatch, usec, pid, expected):
    monkeypatch.setenv("WATCHDOG_USEC", usec)
    if pid is None:
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
    else:
        monkeypatch.setenv("WATCHDOG_PID", pid)
    assert watchdog_interval_s() == expected


def test_a_receiver_that_stops_reading_never_blocks_the_sender(notify_socket):
    path, _sock = notify_socket  # bound, never read: its queue fills up
    n = Notifier(path)
    results: list[bool] = []
    sender = threading.Thread(target=lambda: results.extend(n.status(f"message {i}") for i in range(2000)))
    sender.start()
    sender.join(60)  # a blocking send would never return: the receiver never reads
    n.close()
    assert not sender.is_alive()
    assert results[0] is True and results[-1] is False  # the queue filled; later ones were dropped
