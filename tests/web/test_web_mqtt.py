"""The MQTT sink against Debian's real ``mosquitto`` broker on 127.0.0.1 (started here, on a
free port): events on both topics, retained status and last will, Home Assistant discovery,
reconnect after the broker restarts. Waits are on conditions, each with a bounded timeout."""

from __future__ import annotations

import getpass
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from structlog.testing import capture_logs

from alprd.bus import EventBus, LiveEvent
from alprd.config import MqttConfig
from alprd.web.mqtt import MqttSink, discovery_configs

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
pytestmark = pytest.mark.skipif(not Path(MOSQUITTO).is_file(), reason="Debian's mosquitto is not installed")
REPO = Path(__file__).resolve().parents[2]
WAIT_S = 20.0  # bound of every wait: generous, never a timing assert


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Broker:
    """One mosquitto process on 127.0.0.1:port; ``restart`` stops it and starts a new one."""

    def __init__(self, folder: Path, password_file: Path | None = None) -> None:
        self.port = free_port()
        self.conf = folder / "mosquitto.conf"
        # Run as we are (as root, mosquitto would switch to its own user, who cannot read tmp_path).
        lines = [f"listener {self.port} 127.0.0.1", "persistence false", f"user {getpass.getuser()}"]
        if password_file is None:
            lines.append("allow_anonymous true")
        else:
            lines += ["allow_anonymous false", f"password_file {password_file}"]
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stderr=subprocess.DEVNULL)
        wait_for(self._listening, "mosquitto to listen")

    def _listening(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"mosquitto exited with {self.proc.returncode}")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(WAIT_S)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


class Listener:
    """A test client subscribed to ``topics``; every message lands in ``messages``."""

    def __init__(self, port: int, topics: list[str]) -> None:
        self.messages: queue.Queue[paho.MQTTMessage] = queue.Queue()
        self.client = paho.Client(CallbackAPIVersion.VERSION2)
        self.client.on_message = lambda _c, _u, msg: self.messages.put(msg)
        subscribed: queue.Queue[bool] = queue.Queue()
        self.client.on_subscribe = lambda *_a: subscribed.put(True)
        self.client.on_connect = lambda client, *_a: client.subscribe([(t, 1) for t in topics])
        # connect_async, not connect: paho's connect() then loop_start() leaks a socket pair.
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()
        subscribed.get(timeout=WAIT_S)

    def next(self, topic: str, payload: bytes | None = None) -> paho.MQTTMessage:
        """The next message on ``topic`` (with ``payload`` when given); others are skipped."""
        deadline = time.monotonic() + WAIT_S
        while True:
            msg = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            if msg.topic == topic and (payload is None or msg.payload == payload):
                return msg

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.client._reset_sockets()  # paho keeps its wake-up socket pair open after loop_stop


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(tmp_path)
    b.start()
    yield b
    b.stop()


@pytest.fixture
def listen(broker: Broker) -> Iterator[Callable[..., Listener]]:
    made: list[Listener] = []

    def make(*topics: str) -> Listener:
        made.append(Listener(broker.port, list(topics or ("#",))))
        return made[-1]

    yield make
    for listener in made:
        listener.close()


def event(camera: str, plate: str, status: str = "unknown", kind: str = "detection") -> LiveEvent:
    return LiveEvent(kind, plate, 0.91, status, camera, "North", "in", 1_700_000_000.0, session_id=7)  # type: ignore[arg-type]


def sink_for(broker: Broker, cameras: tuple[str, ...] = ("gate1",), **cfg) -> MqttSink:
    sink = MqttSink(MqttConfig(host="127.0.0.1", port=broker.port, **cfg), cameras).start()
    assert sink.wait_connected(WAIT_S)
    return sink


def test_events_reach_both_topics_through_the_bus(broker, listen):
    listener = listen("alprd/events", "alprd/+/events")
    sink = sink_for(broker)
    bus = EventBus()
    bus.subscribe(sink.offer)
    try:
        bus.publish(event("gate1", "AB123CD", "blacklist"))
        bus.publish(event("", "ZZ999ZZ"))  # an uploaded image: no camera topic
        first = listener.next("alprd/events")
        assert json.loads(first.payload) == event("gate1", "AB123CD", "blacklist").as_json()
        on_camera = listener.next("alprd/gate1/events")
        assert on_camera.payload == first.payload and not on_camera.retain
        assert json.loads(listener.next("alprd/events").payload)["plate_text"] == "ZZ999ZZ"
        assert sink.dropped == 0
    finally:
        sink.close()


def test_status_online_retained_then_offline_on_a_clean_stop(broker, listen):
    sink = sink_for(broker, topic_prefix="site/a")
    listen("site/a/status").next("site/a/status", b"online")  # on the broker (live or retained) ...
    online = listen("site/a/status").next("site/a/status")  # ... so a later subscriber gets it retained
    assert (online.payload, online.retain) == (b"online", True)
    sink.close()
    assert not sink.connected
    offline = listen("site/a/status").next("site/a/status")
    assert (offline.payload, offline.retain) == (b"offline", True)


def test_discovery_configs_are_retained_per_camera_and_for_a_camera_seen_later(broker, listen):
    sink = sink_for(broker, cameras=("gate1",))
    try:
        expected = discovery_configs("alprd", "gate1")
        for topic in expected:  # each on the broker (live or retained) before a new subscriber ...
            listen(topic).next(topic)
        listener = listen("homeassistant/#")  # ... that gets them retained
        got = {}
        while len(got) < len(expected):
            msg = listener.messages.get(timeout=WAIT_S)
            assert msg.retain
            got[msg.topic] = json.loads(msg.payload)
        assert got == expected
        assert sorted(topic.split("/")[1] for topic in got) == ["binary_sensor", "event", "sensor"]
        sensor = got["homeassistant/sensor/alprd_gate1/plate/config"]
        assert sensor["state_topic"] == "alprd/gate1/events" and sensor["availability_topic"] == "alprd/status"
        sink.offer(event("gate9", "AB123CD"))  # a camera added by a reload
        assert json.loads(listener.next("homeassistant/binary_sensor/alprd_gate9/blacklisted/config").payload)[
            "unique_id"
        ] == ("alprd_gate9_blacklisted")
    finally:
        sink.close()


SINK_SCRIPT = """
import sys, time
from alprd.config import MqttConfig
from alprd.web.mqtt import MqttSink
sink = MqttSink(MqttConfig(host="127.0.0.1", port=int(sys.argv[1])), ["gate1"]).start()
assert sink.wait_connected(20)
print("connected", flush=True)
time.sleep(600)
"""


def test_last_will_offline_when_the_client_is_killed(broker, listen, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = tmp_path / "sink.log"
    with out.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-c", SINK_SCRIPT, str(broker.port)], stdout=log_file, stderr=log_file, env=env
        )
    try:
        wait_for(lambda: "connected\n" in out.read_text() or proc.poll() is not None, "the sink process to connect")
        assert proc.poll() is None, out.read_text()
        listener = listen("alprd/status")
        assert listener.next("alprd/status").payload == b"online"
        proc.send_signal(signal.SIGKILL)
        will = listener.next("alprd/status", b"offline")
        assert will.payload == b"offline"
        assert listen("alprd/status").next("alprd/status").payload == b"offline"  # and retained
    finally:
        proc.kill()
        proc.wait(WAIT_S)


def test_reconnects_after_the_broker_restarts(broker, listen):
    sink = sink_for(broker)
    try:
        broker.stop()
        wait_for(lambda: not sink.connected, "the sink to notice the broker is gone")
        broker.restart()
        wait_for(lambda: sink.connected, "the sink to reconnect")
        assert sink.connects == 2
        # The new broker kept nothing (no persistence): status and discovery are published again.
        assert listen("alprd/status").next("alprd/status").payload == b"online"
        listen("homeassistant/sensor/#").next("homeassistant/sensor/alprd_gate1/plate/config")
        listener = listen("alprd/gate1/events")
        sink.offer(event("gate1", "CD456EF"))
        assert json.loads(listener.next("alprd/gate1/events").payload)["plate_text"] == "CD456EF"
    finally:
        sink.close()


def test_login_with_a_password_that_never_reaches_the_log(tmp_path):
    passwd = shutil.which("mosquitto_passwd")
    if passwd is None:
        pytest.skip("mosquitto_passwd is not installed")
    password_file = tmp_path / "passwd"
    subprocess.run([passwd, "-b", "-c", str(password_file), "alprd", "s3cret-pw"], check=True)
    password_file.chmod(0o600)
    broker = Broker(tmp_path, password_file)
    broker.start()
    try:
        with capture_logs() as logs:
            good = sink_for(broker, username="alprd", password="s3cret-pw")
            good.close()
            bad = MqttSink(
                MqttConfig(host="127.0.0.1", port=broker.port, username="alprd", password="wrong-pw"), ()
            ).start()
            wait_for(lambda: any(e["event"] == "mqtt.connect_failed" for e in logs), "the refused login")
            assert not bad.connected
            bad.close()
        assert {"mqtt.connecting", "mqtt.connected", "mqtt.closed", "mqtt.connect_failed"} <= {e["event"] for e in logs}
        assert "s3cret-pw" not in repr(logs) and "wrong-pw" not in repr(logs)
    finally:
        broker.stop()
