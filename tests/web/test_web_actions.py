"""Gate actions: the pure rules (matching, placeholders, de-duplication over an injected
clock) table-driven, then the runner against a real HTTP server on 127.0.0.1 and real
commands (a Python script writing its argv to a file). Latency from the bus publish to the
receiver is printed, never asserted; waits are on conditions, bounded by steps."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from pydantic import TypeAdapter, ValidationError
from structlog.testing import capture_logs

from alprd.bus import EventBus, LiveEvent
from alprd.config import Config
from alprd.config_actions import TEMPLATE_FIELDS, ActionRule, ActionWhen, CommandAction, HttpAction
from alprd.web.actions import ActionRunner, Deduper, command_argv, event_fields, fill, http_call, matches
from alprd.web.app import create_app

RULE: TypeAdapter[HttpAction | CommandAction] = TypeAdapter(ActionRule)
EVENT = LiveEvent(
    event="preview",
    plate_text="B1234XY",
    confidence=0.93,
    list_status="whitelist",
    camera_id="gate1",
    location="North gate",
    direction="entry",
    time_s=1_796_165_855.0,
    vehicle_type="car",
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def rule(**fields) -> HttpAction | CommandAction:
    return RULE.validate_python({"name": "open", **fields})


async def until(condition, what: str, steps: int = 2000) -> None:
    """Let both loops run until ``condition()`` holds (bounded by steps of 5 ms)."""
    for _ in range(steps):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


# ---- the pure rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "event", "fires"),
    [
        ({}, EVENT, True),
        ({"event": ["detection"]}, EVENT, False),
        ({"list_status": ["whitelist"]}, EVENT, True),
        ({"list_status": ["blacklist", "unknown"]}, EVENT, False),
        ({"cameras": ["gate1", "gate2"]}, EVENT, True),
        ({"cameras": ["gate2"]}, EVENT, False),
        ({"cameras": ["gate1"]}, replace(EVENT, camera_id=""), False),  # an upload has no camera
        ({"direction": ["entry"]}, EVENT, True),
        ({"direction": ["exit"]}, EVENT, False),
        ({"event": ["preview"], "list_status": ["whitelist"], "direction": ["exit"]}, EVENT, False),
    ],
)
def test_a_rule_matches_when_every_condition_holds(when, event, fires):
    assert matches(ActionWhen.model_validate(when), event) is fires


def test_placeholders_are_the_event_json_fields_and_camera():
    assert set(EVENT.as_json()) | {"camera"} == TEMPLATE_FIELDS
    assert {f.name for f in dataclass_fields(LiveEvent)} <= TEMPLATE_FIELDS


def test_http_call_encodes_url_values_and_builds_valid_json_from_any_text():
    tricky = replace(EVENT, location='Gate "A" & B\n/?x=1', plate_text="B 12")
    r = rule(
        http={
            "url": "http://relay.lan/open?plate={plate_text}&where={location}",
            "body": {"plate": "{plate_text}", "where": "{location}", "n": 2, "list": ["{camera}"]},
            "headers": {"X-Where": "{location}"},
        }
    )
    call = http_call(r, event_fields(tricky))
    assert call.method == "POST"
    assert call.url == "http://relay.lan/open?plate=B%2012&where=Gate%20%22A%22%20%26%20B%0A%2F%3Fx%3D1"
    assert json.loads(call.body) == {"plate": "B 12", "where": 'Gate "A" & B\n/?x=1', "n": 2, "list": ["gate1"]}
    assert call.headers == {"X-Where": 'Gate "A" & B /?x=1', "Content-Type": "application/json"}


def test_a_text_body_is_sent_as_written_and_json_braces_are_not_placeholders():
    r = rule(http={"url": "http://relay.lan/x", "body": '{"relay": 1, "plate": "{plate_text}"}', "method": "PUT"})
    call = http_call(r, event_fields(EVENT))
    assert call.body == b'{"relay": 1, "plate": "B1234XY"}'
    assert call.headers["Content-Type"] == "text/plain; charset=utf-8" and call.method == "PUT"
    own_type = rule(http={"url": "http://r/x", "body": "{plate_text}", "headers": {"content-type": "text/csv"}})
    assert http_call(own_type, event_fields(EVENT)).headers == {"content-type": "text/csv"}


def test_command_placeholders_fill_each_argument_and_never_reach_a_shell():
    hostile = replace(EVENT, location="x; rm -rf / $(reboot) `id`")
    r = rule(command=["relay-cli", "--plate={plate_text}", "{location}", "{session_id}"])
    assert command_argv(r, event_fields(hostile)) == [
        "relay-cli",
        "--plate=B1234XY",
        "x; rm -rf / $(reboot) `id`",
        "",  # a preview has no session: null is empty
    ]
    assert fill("{camera}/{plate_text}", event_fields(EVENT)) == "gate1/B1234XY"


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ({"name": "a", "http": {"url": "http://r/{plate}"}}, "unknown placeholder {plate}"),
        ({"name": "a", "command": ["x", "{bogus}"]}, "unknown placeholder {bogus}"),
        ({"name": "a", "when": {"list_status": ["whitelist"]}}, "needs 'http: {url, ...}' or 'command:"),
        ({"name": "a", "command": []}, "at least 1 item"),
        ({"name": "a", "http": {"url": "ftp://r"}}, "should match pattern"),
        ({"name": "a b", "command": ["x"]}, "should match pattern"),
        ({"name": "a", "command": ["x"], "when": {"list_status": ["green"]}}, "'whitelist', 'blacklist' or 'unknown'"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(raw, error):
    with pytest.raises(ValidationError, match=error.replace("{", r"\{").replace("(", r"\(")):
        RULE.validate_python(raw)


def test_two_actions_with_one_name_are_refused():
    with pytest.raises(ValidationError, match="two actions have the same name"):
        Config.model_validate({"actions": [{"name": "a", "command": ["x"]}, {"name": "a", "command": ["y"]}]})


def test_dedupe_one_pass_fires_once_and_the_rate_limit_is_per_camera():
    d = Deduper(dedupe_s=30.0, min_interval_s=2.0)
    assert d.check("gate1", "B1234XY", 100.0) is None  # the preview fires
    assert d.check("gate1", "B1234XYZ", 108.0) == "duplicate"  # its final, one edit apart
    assert d.check("gate1", "B1234XY", 129.9) == "duplicate"
    assert d.check("gate2", "B1234XY", 100.5) is None  # another camera is another gate
    assert d.check("gate1", "D777AA", 101.0) == "rate_limited"  # another car, too soon at gate1
    assert d.check("gate1", "D777AA", 102.0) is None
    assert d.check("gate1", "B1234XY", 130.0) is None  # a new pass after dedupe_s
    assert Deduper(0.0, 0.0).check("g", "A", 1.0) is None and Deduper(0.0, 0.0).check("g", "A", 1.0) is None


# ---- the runner against real receivers -------------------------------------------------------


class Relay:
    """A relay board's HTTP API on 127.0.0.1: keeps each request, answers ``status`` after
    ``delay_s``; notes when each request arrived (``time.perf_counter``)."""

    def __init__(self, status: int = 200, delay_s: float = 0.0) -> None:
        self.status = status
        self.delay_s = delay_s
        self.requests: list[tuple[str, str, bytes, dict[str, str], float]] = []

    async def handle(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        body = await request.read()
        self.requests.append((request.method, request.path_qs, body, dict(request.headers), arrived))
        await asyncio.sleep(self.delay_s)
        return web.Response(status=self.status, text="ok")


@pytest.fixture
async def relay(aiohttp_server):
    async def start(status: int = 200, delay_s: float = 0.0) -> tuple[Relay, str]:
        r = Relay(status, delay_s)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", r.handle)
        server = await aiohttp_server(app, host="127.0.0.1")
        return r, str(server.make_url("")).rstrip("/")

    return start


@pytest.fixture
def runners() -> Iterator[list[ActionRunner]]:
    started: list[ActionRunner] = []
    yield started
    for runner in started:
        runner.close(timeout_s=2.0)


def start(runners: list[ActionRunner], rules, clock=None) -> tuple[ActionRunner, EventBus]:
    runner = ActionRunner(rules, clock=clock or FakeClock()).start()
    runners.append(runner)
    bus = EventBus()
    bus.subscribe(runner.offer)
    return runner, bus


async def test_a_whitelisted_preview_opens_the_barrier_once_per_pass(relay, runners, capsys):
    board, base = await relay()
    clock = FakeClock()
    open_rule = rule(
        when={"list_status": ["whitelist"], "cameras": ["gate1"]},
        http={"url": base + "/relay/1/on?plate={plate_text}", "body": {"plate": "{plate_text}", "cam": "{camera}"}},
    )
    runner, bus = start(runners, [open_rule], clock)

    bus.publish(replace(EVENT, list_status="unknown", plate_text="Z999"))  # not listed: nothing
    published = time.perf_counter()
    bus.publish(EVENT)
    await until(lambda: len(board.requests) == 1, "the relay called")
    method, path, body, headers, arrived = board.requests[0]
    with capsys.disabled():
        print(f"\n  action latency, bus publish -> relay request: {(arrived - published) * 1000:.1f} ms")
    assert (method, path) == ("POST", "/relay/1/on?plate=B1234XY")
    assert json.loads(body) == {"plate": "B1234XY", "cam": "gate1"}
    assert headers["Content-Type"] == "application/json"

    clock.now += 8.0  # the pass's final, stored: its text one character longer
    final = replace(EVENT, event="detection", plate_text="B1234XYZ", session_id=7)
    bus.publish(final)
    await until(lambda: runner.stats()[0].skipped["duplicate"] == 1, "the final skipped")
    clock.now += 60.0  # the same car again, later: a new pass
    bus.publish(final)
    await until(lambda: len(board.requests) == 2, "the second pass fired")
    await until(lambda: runner.stats()[0].fired == 2, "counted")
    stats = runner.stats()[0]
    assert (stats.fired, stats.failed, dict(stats.skipped)) == (2, 0, {"duplicate": 1})


async def test_failures_are_logged_and_counted(relay, runners):
    broken, base = await relay(status=503)
    slow, slow_base = await relay(delay_s=5.0)
    rules = [
        rule(name="broken", http={"url": base + "/x", "method": "GET"}),
        rule(name="slow", http={"url": slow_base + "/x", "timeout_s": 0.2}),
        rule(name="nobody", http={"url": "http://127.0.0.1:9/x", "timeout_s": 1}),  # the discard port: refused
    ]
    with capture_logs() as logs:
        runner, bus = start(runners, rules)
        bus.publish(EVENT)
        await until(lambda: sum(s.failed for s in runner.stats()) == 3, "three failures")
    failed = {e["action"]: e["error"] for e in logs if e["event"] == "action.failed"}
    assert failed["broken"].startswith("HTTP 503 from http://127.0.0.1:")
    assert failed["slow"].startswith("no answer within 0.2 s")
    assert "127.0.0.1:9" in failed["nobody"]
    assert all(e["plate"] == "B1234XY" and e["camera"] == "gate1" for e in logs if e["event"] == "action.failed")
    assert len(broken.requests) == 1 and len(slow.requests) == 1


# A command's output file appears whole (written aside, then renamed): the test waits for it.
WRITE_THEN_RENAME = (
    "import json, os, sys\n"
    "open({out!r} + '.tmp', 'w').write(json.dumps({value}))\n"
    "os.replace({out!r} + '.tmp', {out!r})\n"
)


async def test_a_command_gets_each_value_as_one_argument(tmp_path, runners, capsys):
    script = tmp_path / "relay.py"
    out = tmp_path / "argv.json"
    script.write_text(WRITE_THEN_RENAME.format(out=str(out), value="sys.argv[1:]"))
    hostile = replace(EVENT, location="x; touch pwned $(touch pwned2)")
    runner, bus = start(runners, [rule(command=[sys.executable, str(script), "{plate_text}", "{location}"])])
    published = time.perf_counter()
    bus.publish(hostile)
    await until(out.exists, "the command ran", steps=4000)
    with capsys.disabled():
        latency_ms = (time.perf_counter() - published) * 1000
        print(f"\n  action latency, bus publish -> command wrote its file: {latency_ms:.1f} ms")
    await until(lambda: runner.stats()[0].fired == 1, "counted")
    assert json.loads(out.read_text()) == ["B1234XY", "x; touch pwned $(touch pwned2)"]
    assert not (tmp_path / "pwned").exists() and not Path("pwned2").exists()


async def test_a_command_never_sees_the_daemons_keys(tmp_path, runners, monkeypatch):
    monkeypatch.setenv("ALPRD_API_KEY", "write-secret")
    monkeypatch.setenv("ALPRD_READ_KEY", "read-secret")
    monkeypatch.setenv("ALPRD_SITE_NOTE", "kept")
    script = tmp_path / "env.py"
    out = tmp_path / "env.json"
    script.write_text(WRITE_THEN_RENAME.format(out=str(out), value="dict(os.environ)"))
    runner, bus = start(runners, [rule(command=[sys.executable, str(script)])])
    bus.publish(EVENT)
    await until(out.exists, "the command ran", steps=4000)
    env = json.loads(out.read_text())
    assert "ALPRD_API_KEY" not in env and "ALPRD_READ_KEY" not in env
    assert env["ALPRD_SITE_NOTE"] == "kept"


async def test_a_failing_or_hanging_command_fails_with_the_reason(tmp_path, runners):
    rules = [
        rule(name="exit3", command=[sys.executable, "-c", "import sys; sys.stderr.write('relay jammed'); sys.exit(3)"]),
        rule(name="hangs", command=[sys.executable, "-c", "import time; time.sleep(30)"], timeout_s=0.3),
        rule(name="missing", command=[str(tmp_path / "no-such-program")]),
    ]
    with capture_logs() as logs:
        runner, bus = start(runners, rules)
        bus.publish(EVENT)
        await until(lambda: sum(s.failed for s in runner.stats()) == 3, "three failures", steps=4000)
    failed = {e["action"]: e["error"] for e in logs if e["event"] == "action.failed"}
    assert failed["exit3"].endswith("exited with 3: relay jammed")
    assert failed["hangs"].endswith("still running after 0.3 s: killed")
    assert failed["missing"].startswith("cannot run ") and "No such file" in failed["missing"]


async def test_firings_beyond_max_in_flight_are_skipped_not_queued(relay, runners):
    slow, base = await relay(delay_s=0.5)
    runner, bus = start(runners, [rule(http={"url": base + "/x"}, max_in_flight=1)])
    bus.publish(EVENT)
    bus.publish(replace(EVENT, camera_id="gate2"))  # another gate while the first call runs
    await until(lambda: runner.stats()[0].skipped["busy"] == 1, "the second skipped")
    await until(lambda: runner.stats()[0].fired == 1 and not runner._in_flight["open"], "the first done")
    assert len(slow.requests) == 1


async def test_metrics_count_fired_failed_and_skipped(aiohttp_client, config, repository, relay, runners):
    _, base = await relay()
    runner, bus = start(
        runners, [rule(name="ok", http={"url": base + "/x"}), rule(name="bad", command=["/nonexistent"])]
    )
    bus.publish(EVENT)
    bus.publish(EVENT)  # the same pass: skipped by both
    await until(lambda: sum(s.skipped["duplicate"] for s in runner.stats()) == 2, "both skipped")
    await until(lambda: [s.failed for s in runner.stats()] == [0, 1], "the failure counted")
    client = await aiohttp_client(create_app(config, repository=repository, action_stats=runner.stats))
    text = await (await client.get("/metrics")).text()
    got = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert got["alprd_action_fired_total", (("action", "ok"),)] == 1
    assert got["alprd_action_failed_total", (("action", "ok"),)] == 0
    assert got["alprd_action_failed_total", (("action", "bad"),)] == 1
    assert got["alprd_action_skipped_total", (("action", "bad"), ("reason", "duplicate"))] == 1
    assert got["alprd_action_skipped_total", (("action", "ok"), ("reason", "busy"))] == 0


def test_a_runner_ignores_events_before_start_and_after_close():
    runner = ActionRunner([rule(command=["true"])])
    runner.offer(EVENT)  # not started: dropped, nothing raised
    runner.close()
    runner.start()
    runner.close()
    runner.offer(EVENT)  # closed: dropped
    assert runner.stats()[0].fired == 0
