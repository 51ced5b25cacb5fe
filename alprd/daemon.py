"""The composition root: the one place that builds and wires every part of the daemon.

Start order: logging -> database -> models (compiled) -> event writer -> cameras ->
retention job -> REST API socket -> ``READY=1``. Stop order is the reverse: ``STOPPING=1``,
API closed, retention stopped, cameras stopped (workers flush live tracks as final
events), writer drained, database closed; exit 0. SIGHUP reloads the camera configs.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from alprd.bus import EventBus, preview_event
from alprd.capture.reader import CameraReader, default_opener
from alprd.capture.sources import quiet_native_logs
from alprd.config import Config, load_config
from alprd.domain.lists import ListName, match_list_status
from alprd.domain.messages import PlateEvent
from alprd.domain.packs import load_packs
from alprd.errors import AlprdError
from alprd.gate.lines import GateLines
from alprd.log import configure_logging, get_logger
from alprd.sdnotify import Notifier, watchdog_interval_s
from alprd.storage.held import HeldFile
from alprd.storage.repository import Repository
from alprd.storage.retention import start_retention
from alprd.storage.startup import open_held_file, open_storage
from alprd.storage.writer import EventWriter

log = get_logger("alprd.daemon")
WORKER_STALE_S = 60.0  # a worker that has not looped for this long is hung
STATS_LOG_S = 60.0  # every camera's state is logged this often


class EventRouter:
    """Decides each event's list status, logs it, and hands finals to the writer.

    Called from the inference threads; never blocks (the access lists are a cached dict,
    replaced by the REST API's list routes through ``on_lists_changed``).
    """

    def __init__(self, writer: EventWriter, max_confusions: int, bus: EventBus | None = None) -> None:
        self._writer = writer
        self._bus = bus
        self._max_confusions = max_confusions
        self._lists: dict[str, ListName] = {}
        self.previews = 0
        self.finals = 0

    def set_lists(self, lists: dict[str, ListName]) -> None:
        self._lists = lists

    def __call__(self, event: PlateEvent) -> PlateEvent:
        status = match_list_status(event.text, self._lists, self._max_confusions)
        event = replace(event, list_status=status)
        now = time.time()
        log.info(
            "event.final" if event.kind == "final" else "event.preview",
            camera=event.camera_id,
            plate=event.text,
            track=event.track_id,
            confidence=event.confidence,
            list_status=status,
            direction=event.direction,
            location=event.location,
            reads=event.reads_count,
            latency_ms=round((now - event.last_seen_s) * 1000, 1),
        )
        if event.kind == "final":
            self.finals += 1
            self._writer.submit(event)
        else:
            self.previews += 1
            if self._bus is not None:
                self._bus.publish(preview_event(event))
        return event


@dataclass(frozen=True, slots=True)
class _Parts:
    repository: Repository
    writer: EventWriter
    router: EventRouter
    lines: GateLines
    bus: EventBus
    held: HeldFile | None  # PostgreSQL: held events and the last lists read


class Daemon:
    def __init__(self, config: Config, config_path: Path | None) -> None:
        self.config = config
        self.config_path = config_path
        self.notifier = Notifier()
        self._stop = asyncio.Event()
        self._reload = asyncio.Event()

    async def run(self) -> int:
        async with AsyncExitStack() as stack:  # parts stop in reverse order of start
            stack.callback(self.notifier.close)
            parts = await self._start(stack)
            self._install_signals()
            cameras = len(parts.lines.states())
            self.notifier.ready(f"{cameras} camera(s), API on {self.config.server.host}:{self.config.server.port}")
            log.info("daemon.ready", cameras=cameras, port=self.config.server.port)
            try:
                await self._supervise(parts)
            finally:
                self.notifier.stopping("stopping")
                log.info("daemon.stopping")
        log.info(
            "daemon.stopped",
            finals=parts.router.finals,
            stored=parts.writer.stored,
            stored_without_images=parts.writer.stored_without_images,
            held=parts.writer.deferred,
            failed=parts.writer.failed,
        )
        return 0

    async def _start(self, stack: AsyncExitStack) -> _Parts:
        config = self.config
        self.notifier.status("opening database")
        # A gate on PostgreSQL: held events survive a restart, and it starts without its server.
        held = await asyncio.to_thread(open_held_file, config) if config.cameras else None
        if held is not None:
            stack.callback(held.close)
        repository, store = await asyncio.to_thread(open_storage, config, held)
        stack.callback(repository.db.close)
        self.notifier.status("compiling models")
        pipeline = await asyncio.to_thread(_pipeline_for, config)
        bus = EventBus()  # live events: the SSE hub, the webhooks, MQTT and the actions subscribe
        mqtt = _start_mqtt(config, bus, stack)  # stops after the writer has drained (LIFO)
        actions = _start_actions(config, bus, stack)  # likewise: the writer's last events still fire
        writer = EventWriter(repository, store, pipeline.annotate, bus=bus, held_file=held).start()
        stack.push_async_callback(asyncio.to_thread, writer.close)
        router = EventRouter(writer, config.lists.max_confusions, bus)
        await start_lists(repository, router.set_lists, held)
        packs = load_packs(config.regions.codes)  # as the pipeline's, without building a lazy one
        fits = packs.matches_format if packs.packs else None  # no pack: every vote fits
        capture = partial(CameraReader, opener=default_opener(str(config.base_dir)))
        lines = GateLines(pipeline, router, capture, fits)
        lines.start(config.cameras)
        stack.push_async_callback(asyncio.to_thread, lines.stop)
        retention = start_retention(
            repository,
            store,
            retention_days=config.storage.retention_days,
            outputs_max_mb=config.storage.outputs_max_mb,
        )
        stack.callback(retention.shutdown, wait=False)
        parts = _Parts(repository, writer, router, lines, bus, held)
        runner = await self._serve(parts, pipeline, mqtt, actions)
        stack.push_async_callback(runner.cleanup)
        return parts

    async def _serve(self, parts: _Parts, pipeline, mqtt, actions) -> web.AppRunner:
        from alprd.web.app import create_app
        from alprd.web.server import start_api

        # The REST API is the only writer of the access lists: it hands the router each new set.
        app = create_app(
            self.config,
            repository=parts.repository,
            pipeline=pipeline,
            lines=parts.lines,
            on_lists_changed=parts.router.set_lists,
            bus=parts.bus,
            writer_pending=lambda: parts.writer.pending,
            writer_held=lambda: parts.writer.deferred,
            mqtt_connected=(lambda: mqtt.connected) if mqtt is not None else None,
            action_stats=actions.stats if actions is not None else None,
        )
        return await start_api(app, self.config.server)

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._stop.set)
        loop.add_signal_handler(signal.SIGINT, self._stop.set)
        loop.add_signal_handler(signal.SIGHUP, self._reload.set)

    async def _supervise(self, parts: _Parts) -> None:
        """Health loop: watchdog pings while every part is alive; reloads; statistics."""
        lines, writer, router = parts.lines, parts.writer, parts.router
        interval_s = watchdog_interval_s(default_s=5.0)
        next_stats_s = time.monotonic() + STATS_LOG_S
        next_lists_s = time.monotonic() + self.config.lists.refresh_s
        lists = Background()  # the loop never waits on the database (a slow link): only the watchdog
        while not self._stop.is_set():
            if time.monotonic() >= next_lists_s and lists.idle:
                next_lists_s = time.monotonic() + self.config.lists.refresh_s
                lists.run(refresh_lists(parts.repository, router.set_lists, parts.held))
            if self._reload.is_set():
                self._reload.clear()
                await self._reload_cameras(lines)
            unhealthy = lines.healthy(WORKER_STALE_S)
            if not unhealthy and writer.alive:
                self.notifier.watchdog()
            else:
                log.error("daemon.unhealthy", cameras=unhealthy, writer_alive=writer.alive)
            states = lines.states()
            if time.monotonic() >= next_stats_s:
                next_stats_s += STATS_LOG_S
                for st in states:
                    log.info(
                        "camera.stats",
                        camera=st.camera_id,
                        connected=st.connected,
                        fps_in=st.fps_in,
                        fps_analysed=st.fps_analysed,
                        frames_dropped=st.frames_dropped,
                        last_error=st.last_error,
                    )
            self.notifier.status(
                f"{sum(s.connected for s in states)}/{len(states)} cameras connected, "
                f"{router.finals} events, {writer.pending} pending, {writer.deferred} held"
            )
            await _wait_any(self._stop, self._reload, timeout_s=next_wait_s(time.monotonic(), interval_s, next_lists_s))
        await lists.cancel()

    async def _reload_cameras(self, lines: GateLines) -> None:
        if self.config_path is None:
            log.warning("daemon.reload_skipped", reason="config path unknown")
            return
        self.notifier.notify("RELOADING=1")
        try:
            config = await asyncio.to_thread(load_config, self.config_path)
        except AlprdError as exc:
            log.error("daemon.reload_failed", error=str(exc))
        else:
            report = await asyncio.to_thread(lines.reload, config.cameras)
            log.info(
                "daemon.reloaded",
                added=report.added,
                removed=report.removed,
                restarted=report.restarted,
                unchanged=report.unchanged,
            )
        self.notifier.notify("READY=1")


class Background:
    """At most one coroutine at a time, run beside the loop that starts it."""

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None

    @property
    def idle(self) -> bool:
        return self._task is None or self._task.done()

    def run(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._task = asyncio.create_task(coro)

    async def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def next_wait_s(now_s: float, interval_s: float, next_lists_s: float) -> float:
    """How long the health loop sleeps: its interval, cut short by the next lists refresh
    (``lists.refresh_s`` may be shorter than the watchdog interval)."""
    return max(0.0, min(interval_s, next_lists_s - now_s))


async def _wait_any(*events: asyncio.Event, timeout_s: float) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


def _start_mqtt(config: Config, bus: EventBus, stack: AsyncExitStack):
    """The MQTT sink when ``mqtt:`` is configured (connects in the background), else None."""
    if config.mqtt is None:
        return None
    from alprd.web.mqtt import MqttSink

    mqtt = config.mqtt
    if mqtt.tls_ca_file is not None:
        mqtt = mqtt.model_copy(update={"tls_ca_file": config.resolve(mqtt.tls_ca_file)})
    sink = MqttSink(mqtt, config.cameras).start()
    stack.callback(sink.close)
    unsubscribe = bus.subscribe(sink.offer)
    stack.callback(unsubscribe)
    return sink


def _start_actions(config: Config, bus: EventBus, stack: AsyncExitStack):
    """The gate actions' runner when ``actions:`` has rules (its own event loop thread), else None."""
    if not config.actions:
        return None
    from alprd.web.actions import ActionRunner

    runner = ActionRunner(config.actions).start()
    stack.callback(runner.close)
    unsubscribe = bus.subscribe(runner.offer)
    stack.callback(unsubscribe)
    return runner


async def refresh_lists(
    repository: Repository, set_lists: Callable[[dict[str, ListName]], None], held: HeldFile | None = None
) -> bool:
    """Hand the gate the lists as stored now (fleet mode: another gate or the central server
    may have changed them, and ``held`` keeps them for a start without the server); when
    the database cannot be read the last known lists stay."""
    try:
        lists = await asyncio.to_thread(repository.list_statuses)
    except Exception as exc:  # boundary: keep the last known lists, try again next time
        log.warning("lists.refresh_failed", error=str(exc))
        return False
    set_lists(lists)
    if held is not None:
        try:
            await asyncio.to_thread(held.save_lists, lists)
        except Exception as exc:  # boundary: the gate has its lists; only the local copy is stale
            log.warning("lists.save_failed", error=str(exc))
    return True


async def start_lists(
    repository: Repository, set_lists: Callable[[dict[str, ListName]], None], held: HeldFile | None
) -> None:
    """The gate's first lists: the database's; a gate on PostgreSQL whose server cannot be
    reached starts with the lists it last read (``held``), or none, as a central does (its
    lists come with the first refresh that reaches the server)."""
    if held is None and repository.schema_pending:
        log.warning("lists.none_yet", reason="the database server cannot be reached")
        set_lists({})
    elif held is None:
        set_lists(await asyncio.to_thread(repository.list_statuses))
    elif not await refresh_lists(repository, set_lists, held):
        last = await asyncio.to_thread(held.last_lists)
        log.warning("lists.last_known", plates=len(last or {}), saved=last is not None)
        set_lists(last or {})


def _pipeline_for(config: Config):
    """The pipeline, compiled now for a gate; for a daemon without cameras (a central) one
    compiled on the first photo posted to it (``LazyPipeline``)."""
    if config.cameras:
        return _build_pipeline(config)
    from alprd.vision.lazy_pipeline import LazyPipeline, detector_algorithm

    model = config.model_path(config.inference.plate_detector.model)
    log.info("inference.deferred", reason="no cameras: models are compiled for the first POST /detect/image")
    return LazyPipeline(partial(_build_pipeline, config), partial(detector_algorithm, model))


def _build_pipeline(config: Config):
    from alprd.vision.ov_model import make_core, performance_hint
    from alprd.vision.pipeline import ImagePipeline

    # Beside the SQLite file; with PostgreSQL in data/ beside the config.
    cache_dir = (config.database_file or config.resolve(Path("data/alprd.db"))).parent / "ov-cache"
    hint = performance_hint(config.inference.performance, len(config.cameras))
    pipeline = ImagePipeline.from_config(config, make_core(cache_dir, hint))
    pipeline.warm_up()  # alone, before any two threads infer at once (an OpenVINO start-up deadlock)
    return pipeline


def run_daemon(config: Config, config_path: Path | None = None) -> int:
    """Run until SIGTERM/SIGINT; returns the exit code (0 after a clean stop)."""
    configure_logging(config.log_format)
    quiet_native_logs()
    log.info("daemon.starting", cameras=len(config.cameras), config=str(config_path or ""))
    return asyncio.run(Daemon(config, config_path).run())
