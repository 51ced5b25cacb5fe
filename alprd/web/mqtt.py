"""MQTT: every live event on the broker, and Home Assistant discovery of each camera.

Topics (``<prefix>`` is ``mqtt.topic_prefix``, default ``alprd``):

- ``<prefix>/events`` and ``<prefix>/<camera>/events``: each event as JSON, the same body
  as ``/api/events`` and the webhooks (``LiveEvent.as_json``); QoS 1, not retained.
- ``<prefix>/status``: ``online`` (retained) once connected; ``offline`` (retained) on a clean
  stop, and as the broker's last will when the daemon dies or its connection drops.
- ``homeassistant/<component>/alprd_<camera>/<object>/config`` (retained): per camera a
  sensor with the last plate, a binary sensor that is on while the last plate is
  blacklisted, and an event entity (event types ``preview`` and ``detection``), all read
  from ``<prefix>/<camera>/events``. Published at each (re)connect, and for a camera first
  seen in an event (added by a reload).

paho-mqtt runs the connection in its own thread and reconnects on its own (1 s back-off
doubling to 30 s). The bus subscriber only hands the message to paho's queue (bounded:
beyond ``MAX_QUEUED`` waiting messages, events are dropped and counted), so a slow or dead
broker never blocks the publishers. The password is never logged.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

import orjson
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from alprd.bus import LiveEvent
from alprd.config import MqttConfig
from alprd.log import get_logger
from alprd.redact import mask_secrets

log = get_logger("alprd.mqtt")
DISCOVERY_PREFIX = "homeassistant"
MAX_QUEUED = 1000  # messages waiting for the broker (QoS 1); more are dropped and counted
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30


def discovery_configs(prefix: str, camera_id: str) -> dict[str, dict[str, Any]]:
    """Home Assistant discovery messages of one camera: config topic -> payload."""
    node = f"alprd_{camera_id}"
    events = f"{prefix}/{camera_id}/events"
    device = {"identifiers": [node], "name": f"alprd {camera_id}", "manufacturer": "alprd", "model": "ALPR camera"}
    common = {"availability_topic": f"{prefix}/status", "device": device}
    return {
        f"{DISCOVERY_PREFIX}/sensor/{node}/plate/config": {
            **common,
            "name": "Last plate",
            "unique_id": f"{node}_plate",
            "state_topic": events,
            "value_template": "{{ value_json.plate_text }}",
            "json_attributes_topic": events,
            "icon": "mdi:car",
        },
        f"{DISCOVERY_PREFIX}/binary_sensor/{node}/blacklisted/config": {
            **common,
            "name": "Blacklisted plate",
            "unique_id": f"{node}_blacklisted",
            "state_topic": events,
            "value_template": "{{ 'ON' if value_json.list_status == 'blacklist' else 'OFF' }}",
            "payload_on": "ON",
            "payload_off": "OFF",
            "device_class": "problem",
        },
        f"{DISCOVERY_PREFIX}/event/{node}/plate/config": {
            **common,
            "name": "Plate",
            "unique_id": f"{node}_plate_event",
            "state_topic": events,
            "event_types": ["preview", "detection"],
            "value_template": (
                '{"event_type": "{{ value_json.event }}", "plate_text": "{{ value_json.plate_text }}", '
                '"list_status": "{{ value_json.list_status }}"}'
            ),
        },
    }


class MqttSink:
    """Publishes the bus's events to one broker; ``start`` connects (in the background),
    ``close`` says ``offline`` and disconnects."""

    def __init__(self, config: MqttConfig, cameras: Iterable[str], *, client_id: str = "") -> None:
        self.config = config
        self.prefix = config.topic_prefix
        self.status_topic = f"{self.prefix}/status"
        self._lock = threading.Lock()
        self._cameras: set[str] = set(cameras)
        self._connected = threading.Event()
        self.published = 0
        self.dropped = 0
        self.connects = 0
        self._client = self._make_client(client_id)

    def _make_client(self, client_id: str) -> paho.Client:
        cfg = self.config
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        if cfg.username is not None:
            client.username_pw_set(cfg.username, cfg.password)
        if cfg.tls or cfg.tls_ca_file is not None:
            client.tls_set(ca_certs=str(cfg.tls_ca_file) if cfg.tls_ca_file is not None else None)
        client.will_set(self.status_topic, "offline", qos=1, retain=True)
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        client.max_queued_messages_set(MAX_QUEUED)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        return client

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    def start(self) -> MqttSink:
        cfg = self.config
        log.info("mqtt.connecting", host=cfg.host, port=cfg.port, username=cfg.username or "", tls=cfg.tls)
        self._client.connect_async(cfg.host, cfg.port, keepalive=cfg.keepalive_s)
        self._client.loop_start()  # its thread retries the first connection too
        return self

    def close(self, timeout_s: float = 5.0) -> None:
        """Retained ``offline`` (a clean disconnect sends no last will), then disconnect."""
        if self.connected:
            info = self._client.publish(self.status_topic, "offline", qos=1, retain=True)
            try:
                info.wait_for_publish(timeout_s)
            except (RuntimeError, ValueError) as exc:  # dropped or never sent: the will covers it
                log.warning("mqtt.offline_not_sent", error=str(exc))
        self._connected.clear()  # first: our own disconnect is not logged as a lost broker
        self._client.disconnect()
        self._client.loop_stop()
        self._client._reset_sockets()  # paho keeps its wake-up socket pair open after loop_stop
        log.info("mqtt.closed", published=self.published, dropped=self.dropped)

    def offer(self, event: LiveEvent) -> None:
        """Bus subscriber: queue the event on both topics (never waits for the broker)."""
        body = orjson.dumps(event.as_json())
        self._send(f"{self.prefix}/events", body)
        camera = event.camera_id
        if not camera:
            return  # an uploaded image: no camera topic
        with self._lock:
            new = camera not in self._cameras
            self._cameras.add(camera)
        if new and self.connected:
            self._announce(camera)
        self._send(f"{self.prefix}/{camera}/events", body)

    def _send(self, topic: str, payload: bytes | str, *, retain: bool = False) -> None:
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if info.rc in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
            self.published += 1  # NO_CONN with QoS 1: queued by paho, sent after the reconnect
        else:
            self.dropped += 1
            log.warning("mqtt.dropped", topic=topic, error=paho.error_string(info.rc))

    def _announce(self, camera: str) -> None:
        for topic, payload in discovery_configs(self.prefix, camera).items():
            self._send(topic, json.dumps(payload), retain=True)

    def _on_connect(self, client: paho.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any) -> None:
        if reason.is_failure:
            log.warning("mqtt.connect_failed", host=self.config.host, port=self.config.port, error=str(reason))
            return
        self.connects += 1
        log.info("mqtt.connected", host=self.config.host, port=self.config.port, connects=self.connects)
        self._send(self.status_topic, "online", retain=True)
        with self._lock:
            cameras = sorted(self._cameras)
        for camera in cameras:
            self._announce(camera)
        self._connected.set()  # after status and discovery are queued

    def _on_disconnect(
        self, _client: paho.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        if was:
            log.warning("mqtt.disconnected", host=self.config.host, error=mask_secrets(str(reason)))
