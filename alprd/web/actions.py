"""Gate actions: an event that matches a rule of ``actions:`` calls an HTTP API or runs a command.

The bus subscriber (:meth:`ActionRunner.offer`, called on the inference or writer thread)
only hands the event to the runner's own event loop thread, so capture, inference and
storage never wait for a relay board. There each rule that matches is checked against
:class:`Deduper` and its ``max_in_flight``, then fired as a task with its own timeout.

One vehicle pass fires a rule once: a firing is remembered per (camera, plate) for the
rule's ``dedupe_s``; a later event of the same camera whose plate is equal or one edit
apart (a preview's text and its final's may differ by a character) is skipped as a
``duplicate``. ``min_interval_s`` limits each camera's firings whatever the plate
(``rate_limited``). Skips, firings and failures are logged and counted (``/metrics``).

Placeholders (``{plate_text}``, ``{camera}``, ...) are filled per argument, never through a
shell: URL values are percent-encoded, a mapping body is encoded as JSON, header values
lose line breaks. Time comes from the injected ``clock``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson

from alprd.bus import LiveEvent
from alprd.config_actions import PLACEHOLDER, ActionWhen, CommandAction, HttpAction
from alprd.domain.text import edit_distance
from alprd.log import get_logger
from alprd.redact import mask_secrets

log = get_logger("alprd.actions")
Rule = HttpAction | CommandAction
SAME_PLATE_EDITS = 1  # a preview's text and its final's: equal or one edit apart
STDERR_TAIL = 300  # characters of a failed command's stderr kept for the log


def matches(when: ActionWhen, event: LiveEvent) -> bool:
    """Does ``event`` pass every condition of ``when`` (an empty list: any value)?"""
    return (
        event.event in when.event
        and (not when.list_status or event.list_status in when.list_status)
        and (not when.cameras or event.camera_id in when.cameras)
        and (not when.direction or event.direction in when.direction)
    )


def event_fields(event: LiveEvent) -> dict[str, str]:
    """Placeholder values: the event's JSON fields as text (null: empty), and ``camera``."""
    fields = {k: "" if v is None else str(v) for k, v in event.as_json().items()}
    fields["camera"] = event.camera_id
    return fields


def fill(template: str, fields: Mapping[str, str], encode: Callable[[str], str] = str) -> str:
    """``template`` with each ``{name}`` replaced by ``encode(fields[name])``."""
    return PLACEHOLDER.sub(lambda m: encode(fields.get(m.group(1), m.group(0))), template)


def fill_json(value: Any, fields: Mapping[str, str]) -> Any:
    """A mapping body with placeholders filled in every string (keys and values)."""
    if isinstance(value, str):
        return fill(value, fields)
    if isinstance(value, dict):
        return {fill(str(k), fields): fill_json(v, fields) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fill_json(v, fields) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class HttpCall:
    method: str
    url: str
    body: bytes | None
    headers: dict[str, str]


def http_call(rule: HttpAction, fields: Mapping[str, str]) -> HttpCall:
    """The request a rule sends for an event."""
    req = rule.http
    headers = {k: fill(v, fields).replace("\r", " ").replace("\n", " ") for k, v in req.headers.items()}
    has_type = any(k.lower() == "content-type" for k in headers)
    body: bytes | None = None
    if isinstance(req.body, dict):
        body = orjson.dumps(fill_json(req.body, fields))
        content_type = "application/json"
    elif req.body is not None:
        body = fill(req.body, fields).encode()
        content_type = "text/plain; charset=utf-8"
    if body is not None and not has_type:
        headers["Content-Type"] = content_type
    return HttpCall(req.method, fill(req.url, fields, lambda v: quote(v, safe="")), body, headers)


def command_argv(rule: CommandAction, fields: Mapping[str, str]) -> list[str]:
    """The argv a rule runs for an event: placeholders filled in each argument, no shell."""
    return [fill(arg, fields) for arg in rule.command]


class Deduper:
    """Which events of a rule fire: not a duplicate of a recent firing, not too soon after the
    camera's last one. Pure state over an injected time (seconds, any monotonic origin)."""

    def __init__(self, dedupe_s: float, min_interval_s: float) -> None:
        self.dedupe_s = dedupe_s
        self.min_interval_s = min_interval_s
        self._fired: dict[str, list[tuple[str, float]]] = {}  # camera -> (plate, time) of recent firings

    def check(self, camera: str, plate: str, now_s: float) -> str | None:
        """None: fire (and remember it); else why not: 'duplicate' or 'rate_limited'."""
        recent = [(p, t) for p, t in self._fired.get(camera, []) if now_s - t < max(self.dedupe_s, self.min_interval_s)]
        self._fired[camera] = recent
        if any(now_s - t < self.dedupe_s and edit_distance(p, plate) <= SAME_PLATE_EDITS for p, t in recent):
            return "duplicate"
        if any(now_s - t < self.min_interval_s for _, t in recent):
            return "rate_limited"
        recent.append((plate, now_s))
        return None


@dataclass
class ActionStats:
    """One rule's counts: ``fired`` (started), ``failed`` (of those), ``skipped`` by reason."""

    name: str
    fired: int = 0
    failed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


class ActionRunner:
    """Fires the rules on its own event loop thread; ``start`` it, hand it events with
    ``offer`` (any thread), ``close`` it (waits for running firings, at most ``timeout_s``)."""

    def __init__(self, rules: Sequence[Rule], *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rules = tuple(rules)
        self._clock = clock
        self._dedupers = {r.name: Deduper(r.dedupe_s, r.min_interval_s) for r in self.rules}
        self._in_flight: dict[str, set[asyncio.Task]] = {r.name: set() for r in self.rules}
        self._stats = {r.name: ActionStats(r.name) for r in self.rules}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None  # from start(); offer() ignores events before
        self._thread: threading.Thread | None = None
        self._http: aiohttp.ClientSession | None = None

    def start(self) -> ActionRunner:
        loop = self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="alprd-actions", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), loop).result()
        log.info("actions.started", rules=[r.name for r in self.rules])
        return self

    async def _open(self) -> None:
        self._http = aiohttp.ClientSession()

    def close(self, timeout_s: float = 5.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or loop.is_closed():
            return
        with contextlib.suppress(TimeoutError):
            asyncio.run_coroutine_threadsafe(self._drain(timeout_s), loop).result(timeout_s + 1.0)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout_s)
        loop.close()
        log.info("actions.closed", **{s.name: s.fired for s in self.stats()})

    async def _drain(self, timeout_s: float) -> None:
        tasks = [t for running in self._in_flight.values() for t in running]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=timeout_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    def stats(self) -> list[ActionStats]:
        """A copy of every rule's counts (any thread)."""
        with self._lock:
            return [ActionStats(s.name, s.fired, s.failed, Counter(s.skipped)) for s in self._stats.values()]

    def offer(self, event: LiveEvent) -> None:
        """Bus subscriber: hand the event to the runner's loop (never waits)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile (shutdown)
            loop.call_soon_threadsafe(self._dispatch, event, time.perf_counter())

    def _dispatch(self, event: LiveEvent, offered_s: float) -> None:
        fields: dict[str, str] | None = None
        for rule in self.rules:
            if not matches(rule.when, event):
                continue
            running = self._in_flight[rule.name]
            reason = "busy" if len(running) >= rule.max_in_flight else None
            reason = reason or self._dedupers[rule.name].check(event.camera_id, event.plate_text, self._clock())
            if reason is not None:
                self._count(rule.name, skipped=reason)
                log.info(
                    "action.skipped", action=rule.name, reason=reason, camera=event.camera_id, plate=event.plate_text
                )
                continue
            fields = fields or event_fields(event)
            task = asyncio.get_running_loop().create_task(self._fire(rule, fields, offered_s))
            running.add(task)
            task.add_done_callback(running.discard)

    async def _fire(self, rule: Rule, fields: Mapping[str, str], offered_s: float) -> None:
        self._count(rule.name, fired=1)
        try:
            if isinstance(rule, HttpAction):
                error = await self._send(http_call(rule, fields), rule.http.timeout_s)
            else:
                error = await run_command(command_argv(rule, fields), rule.timeout_s)
        except Exception as exc:  # boundary: one firing's bug never stops the runner
            log.exception("action.crashed", action=rule.name)
            error = f"{type(exc).__name__}: {exc}"
        latency_ms = round((time.perf_counter() - offered_s) * 1000, 1)
        where = {"action": rule.name, "camera": fields["camera"], "plate": fields["plate_text"]}
        if error is None:
            log.info("action.fired", **where, kind=fields["event"], latency_ms=latency_ms)
        else:
            self._count(rule.name, failed=1)
            log.warning(
                "action.failed", **where, kind=fields["event"], error=mask_secrets(error), latency_ms=latency_ms
            )

    async def _send(self, call: HttpCall, timeout_s: float) -> str | None:
        assert self._http is not None
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        try:
            async with self._http.request(
                call.method, call.url, data=call.body, headers=call.headers, timeout=timeout
            ) as resp:
                await resp.read()
                return None if 200 <= resp.status < 300 else f"HTTP {resp.status} from {call.url}"
        except TimeoutError:
            return f"no answer within {timeout_s} s from {call.url}"
        except (aiohttp.ClientError, OSError) as exc:
            return f"{type(exc).__name__}: {exc} ({call.url})"

    def _count(self, name: str, *, fired: int = 0, failed: int = 0, skipped: str | None = None) -> None:
        with self._lock:
            stats = self._stats[name]
            stats.fired += fired
            stats.failed += failed
            if skipped is not None:
                stats.skipped[skipped] += 1


# The daemon's secrets never reach an action's command (it may be any program).
SECRET_ENV = ("ALPRD_API_KEY", "ALPRD_READ_KEY")


def command_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of an action's command: the daemon's, without its keys."""
    return {k: v for k, v in environ.items() if k not in SECRET_ENV}


async def run_command(argv: list[str], timeout_s: float) -> str | None:
    """Run ``argv`` (no shell); None when it exits 0 within ``timeout_s``, else what went wrong."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=command_env(os.environ),
        )
    except OSError as exc:
        return f"cannot run {argv[0]}: {exc.strerror or exc}"
    try:
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return f"{argv[0]} still running after {timeout_s} s: killed"
    if proc.returncode != 0:
        tail = stderr.decode(errors="replace").strip()[-STDERR_TAIL:]
        return f"{argv[0]} exited with {proc.returncode}" + (f": {tail}" if tail else "")
    return None
