"""Fleet mode end to end: two gate daemons and a central daemon (three ``alprd run``
processes) on one real PostgreSQL server (tests/pg_server.py: its own, as it is stopped).

Each gate plays its own rendered clip in a loop (a video file source), so it reads the same
vehicles again and again; one plate is seen at both gates. In order:
1. the three start together on an empty database (the migrations run once, under the lock);
   the plate seen at both is put on the whitelist through the central's API: both gates'
   next events of it say so (lists re-read every second, ``lists.refresh_s``);
2. the link goes down (the server stops): the gates keep reading, hold their events (with
   the last lists they read) and answer 503 for stored data, as the central does;
3. the server starts again: each gate stores its held events, and the central answers
   again; an image of a gate is served through the central (302 to the gate); the plate is
   moved to the blacklist through the central: both gates' next events say so;
4. SIGTERM: each gate's own account (the events it decided, in order, and none held or
   failed) is exactly its rows in PostgreSQL, in the same order, each once (event keys
   unique), and what the central's ``gate=`` filter answers.
Timing enters only as generous deadlines of waits (the clip's passes come every ~6 s).
"""

from __future__ import annotations

import contextlib
import glob
import json
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import free_port, start_daemon
from test_daemon import Collector, is_event, log_reader, metric_samples, notify_reader

from alprd.ops.sample_clip import VehiclePass, render_clip
from tests.reliability.reliability_helpers import upload_status

REPO = Path(__file__).resolve().parents[2]
SHARED = "B1234XYZ"  # seen at both gates
OWN = {"north": "D4321AB", "south": "AB77CD"}  # seen at one gate each
START_TIMEOUT_S = 240.0  # three daemons compile their models at once on a loaded machine
WAIT_S = 60.0  # a wait for one or two vehicle passes (every ~6 s), with room for a slow machine

pytestmark = pytest.mark.skipif(
    not glob.glob("/usr/lib/postgresql/*/bin/initdb"), reason="PostgreSQL not installed (tools/test.sh installs it)"
)


@dataclass
class Running:
    name: str
    port: int
    proc: subprocess.Popen
    notify: socket.socket
    logs: Collector = field(init=False)
    notes: Collector = field(init=False)

    def __post_init__(self) -> None:
        alive = lambda: self.proc.poll() is None  # noqa: E731
        self.logs = Collector(log_reader(self.proc.stderr), alive)
        self.notes = Collector(notify_reader(self.notify), alive)

    def events(self, name: str, since: int = 0, **fields) -> list[dict]:
        return [e for e in list(self.logs.items)[since:] if is_event(name, **fields)(e)]

    def stop(self) -> dict:
        """SIGTERM; exit 0; its ``daemon.stopped`` line (what it decided, stored, held, failed)."""
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(90) == 0, self.name
        return self.logs.wait(is_event("daemon.stopped"), 10, f"{self.name} stopped")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc.stderr.close()
        self.notify.close()


def request(port: int, path: str, body: dict | None = None) -> tuple[int, dict]:
    """(status, JSON body) of a request; an HTTP error's status too."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"{}")


def wait_status(port: int, path: str, status: int, what: str, alive) -> dict:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        got, body = request(port, path)
        if got == status:
            return body
        assert alive(), f"the daemon exited while waiting for {what}"
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {got} {body}")


def wait_until(predicate, what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.1)


def write_config(folder: Path, port: int, database: str, gate: str, clip: Path | None, gate_urls: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    cameras = {}
    if clip is not None:
        cameras[f"{gate}-lane"] = {
            "source": str(clip),
            "location": f"{gate.title()} gate",
            "detect_fps": 5,
            "entry_direction": "right",
            "track_timeout_s": 1.0,
            "dedupe_window_s": 5,  # the clip loops every 13 s: each loop's passes are new events
        }
    config = {
        "server": {"host": "127.0.0.1", "port": port},
        "storage": {"database": database, "site": "depot", "gate": gate, "gate_urls": gate_urls},
        "inference": {"models_dir": str(REPO / "models"), "ocr": {"engine": "ppocr"}},
        "lists": {"refresh_s": 1},
        "log_format": "json",
        "cameras_dir": None,
        "cameras": cameras,
    }
    path = folder / "alprd.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def start(name: str, config: Path, port: int) -> Running:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(config.parent / "notify.sock"))
    return Running(
        name, port, start_daemon(config, config.parent, NOTIFY_SOCKET=str(config.parent / "notify.sock")), sock
    )


class Link:
    """One gate's network link to the server: a TCP relay on 127.0.0.1. ``cut`` resets every
    connection through it and refuses new ones (the server itself stays up for the
    others); ``restore`` lets them through again."""

    def __init__(self, server_port: int) -> None:
        self._server_port = server_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self.up = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                if not self.up:
                    raise ConnectionRefusedError
                upstream = socket.create_connection(("127.0.0.1", self._server_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self._lock:
            for s in self._open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._open.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self._listener.close()


@pytest.fixture
def pg():
    from tests.pg_server import running_server

    with running_server() as server:
        yield server


def test_two_gates_and_a_central_on_one_postgresql_across_a_link_cut(tmp_path, pg):
    database = pg.new_database()
    link = Link(pg.port)  # north's way to the server; south and the central connect directly
    ports = {name: free_port() for name in ("north", "south", "central")}
    gate_urls = {g: f"http://127.0.0.1:{ports[g]}" for g in OWN}
    daemons: dict[str, Running] = {}
    try:
        for gate, own in OWN.items():
            clip = render_clip(tmp_path / f"{gate}.avi", [VehiclePass(SHARED, 1.0), VehiclePass(own, 7.0)])
            url = database.replace(f":{pg.port}/", f":{link.port}/") if gate == "north" else database
            config = write_config(tmp_path / gate, ports[gate], url, gate, clip, {})
            daemons[gate] = start(gate, config, ports[gate])
        config = write_config(tmp_path / "central", ports["central"], database, "", None, gate_urls)
        daemons["central"] = start("central", config, ports["central"])
        run_scenario(pg, link, daemons, database)
    finally:
        link.close()
        for d in daemons.values():
            d.close()
            print(f"--- {d.name}\n" + "\n".join(json.dumps(e) for e in d.logs.items[-40:]))  # shown on failure


def run_scenario(pg, link: Link, daemons: dict[str, Running], database: str) -> None:
    central, north, south = daemons["central"], daemons["north"], daemons["south"]
    gates = [north, south]
    central_alive = lambda: central.proc.poll() is None  # noqa: E731
    started = time.monotonic()
    for d in daemons.values():
        d.notes.wait(lambda m: "READY=1" in m.split("\n"), START_TIMEOUT_S, f"{d.name} READY=1")
    print(f"three daemons ready in {time.monotonic() - started:.1f} s")

    # 1. a list change made at the central reaches both gates
    assert request(central.port, "/api/plate-status", {"plate_text": SHARED, "status_type": "whitelist"})[0] == 200
    for g in gates:
        g.logs.wait(is_event("event.stored", plate=SHARED, list_status="whitelist"), WAIT_S, f"{g.name}: whitelisted")

    # 2. north's link is cut: north reads on and holds its events (with the last lists it
    # read); south stores on, and the central shows it
    link.cut()
    cut = {g.name: g.logs.mark() for g in gates}
    held = north.logs.wait(is_event("event.deferred", plate=SHARED), WAIT_S, "north: held", since=cut["north"])
    assert held["reason"] == "database unreachable"
    assert {e["list_status"] for e in north.events("event.final", cut["north"], plate=SHARED)} == {"whitelist"}
    assert request(north.port, "/detections")[0] == 503
    assert metric_samples(north.port)["alprd_writer_held", ()] >= 1  # what an operator's alert reads
    stored = south.logs.wait(is_event("event.stored"), WAIT_S, "south: stored during north's cut", since=cut["south"])
    status, page = request(central.port, "/detections?gate=south&limit=100")
    assert status == 200 and stored["session_id"] in [d["session_id"] for d in page["detections"]]

    # 3. the server stops (every link down): the central answers 503, south holds too
    pg.stop()
    down = south.logs.mark()
    wait_status(central.port, "/detections", 503, "the central's 503", central_alive)
    south.logs.wait(is_event("event.deferred"), WAIT_S, "south: held", since=down)
    for g in gates:
        status, lines = request(g.port, "/api/detect/lines")
        assert status == 200 and lines[0]["connected"]  # reading on

    # 4. the server and north's link are back: held events stored, the central answers,
    # a new list change reaches both gates
    pg.start()
    link.restore()
    for g in gates:
        wait_until(
            lambda g=g: len(g.events("event.stored", late=True)) >= len(g.events("event.deferred")),
            f"{g.name}: its held events stored",
        )
    wait_status(central.port, "/detections", 200, "the central's answers", central_alive)
    assert [metric_samples(g.port)["alprd_writer_held", ()] for g in gates] == [0, 0]
    check_image_through_central(central.port, north)
    assert request(central.port, "/api/plate-status", {"plate_text": SHARED, "status_type": "blacklist"})[0] == 200
    for g in gates:
        g.logs.wait(is_event("event.final", plate=SHARED, list_status="blacklist"), WAIT_S, f"{g.name}: blacklisted")

    # 5. each gate's own account is its rows, in order, once
    accounts = {g.name: g.stop() for g in gates}
    check_rows(database, central, gates, accounts)
    assert central.stop()["failed"] == 0


def check_image_through_central(port: int, gate: Running) -> None:
    """The central sends a gate's newest image to that gate (302), which serves the JPEG."""
    status, page = request(port, f"/detections?gate={gate.name}&limit=1")
    assert status == 200 and page["count"] >= 1
    path = page["detections"][0]["original_path"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=15) as resp:  # follows the 302
        assert resp.status == 200 and resp.read(2) == b"\xff\xd8"
        assert resp.url == f"http://127.0.0.1:{gate.port}{path}"


def check_rows(database: str, central: Running, gates: list[Running], accounts: dict[str, dict]) -> None:
    import psycopg2

    with psycopg2.connect(database) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT s.gate, p.plate_text, p.plate_status, s.event_key, s.site FROM detection_session s"
            " JOIN plate p ON p.session_id = s.id ORDER BY s.id"
        )
        rows = cur.fetchall()
    conn.close()
    keys = [r[3] for r in rows]
    assert len(set(keys)) == len(keys) and "" not in keys  # each event stored once
    assert {r[0] for r in rows} == set(OWN) and {r[4] for r in rows} == {"depot"}
    for g in gates:
        account = accounts[g.name]
        finals = g.events("event.final")
        held = g.events("event.deferred")
        print(f"{g.name}: {len(finals)} events, {len(held)} held and stored late")
        assert (account["finals"], account["stored"], account["held"], account["failed"]) == (
            len(finals),
            len(finals),
            0,
            0,
        )
        assert held and len(g.events("event.stored", late=True)) == len(held)
        mine = [(text, status) for gate, text, status, _, _ in rows if gate == g.name]
        assert [text for text, _ in mine] == [e["plate"] for e in finals]  # none lost or doubled, in order
        for (_, status), final in zip(mine, finals, strict=True):
            if final["list_status"] != "unknown":
                assert status == final["list_status"]
        status, page = request(central.port, f"/detections?gate={g.name}&limit=100")
        assert status == 200 and page["count"] == len(finals)
        assert sorted(d["detection_details"]["plate_text"] for d in page["detections"]) == sorted(t for t, _ in mine)
    status, page = request(central.port, "/detections?limit=1")
    assert status == 200 and page["count"] == len(rows)


def test_a_central_starts_while_its_server_is_down_and_answers_once_it_is_up(tmp_path, pg):
    """A central (no cameras, no held-events file) started before its database server:
    it starts (READY) without compiling a model, answers 503 for stored data and the
    lists, then 200 once the server is up, with the migrations run then; the first photo
    posted compiles the models; it stops cleanly."""
    database = pg.new_database()
    pg.stop()
    port = free_port()
    central = start("central", write_config(tmp_path / "central", port, database, "", None, {}), port)
    try:
        alive = lambda: central.proc.poll() is None  # noqa: E731
        central.notes.wait(lambda m: "READY=1" in m.split("\n"), START_TIMEOUT_S, "central READY=1")
        assert central.events("storage.server_unreachable") and central.events("lists.none_yet")
        assert central.events("inference.deferred") and not central.events("inference.model_loaded")  # none compiled
        assert request(port, "/detections")[0] == 503
        assert request(port, "/api/plate-status")[0] == 503
        photo = (REPO.parent / "shared" / "datasets" / "openalpr-eu" / "eu1.jpg").read_bytes()
        assert upload_status(port, photo, 60)[0] == 503  # read, but with nowhere to store it: the caller knows
        assert central.events("inference.model_loaded")  # compiled for that first photo
        assert not list(tmp_path.rglob("*.jpg"))  # and no image is left behind
        pg.start()
        wait_status(port, "/detections", 200, "the central's answers", alive)
        assert upload_status(port, photo, 60)[0] == 200
        assert list(tmp_path.rglob("*.jpg"))  # (where the images go: the check above can fail)
        assert request(port, "/api/plate-status", {"plate_text": SHARED, "status_type": "whitelist"})[0] == 200
        status, body = request(port, "/api/plate-status")
        assert status == 200 and SHARED in json.dumps(body), body
        assert central.stop()["event"] == "daemon.stopped"
    finally:
        central.close()
        print("--- central\n" + "\n".join(json.dumps(e) for e in central.logs.items[-40:]))  # shown on failure
