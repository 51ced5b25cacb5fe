"""Fleet mode on either server: an event retried with its key is stored once; lists edited
through another connection (another gate, the central server) reach a gate's router."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from test_retention import event

from alprd.daemon import Background, next_wait_s, refresh_lists
from alprd.domain.packs import load_pack
from alprd.storage.db import open_database
from alprd.storage.files import StoredImages
from alprd.storage.repository import Repository


def test_a_save_retried_with_its_key_is_stored_once(database_target):
    db = open_database(database_target)
    repo = Repository(db, load_pack("id"))
    e = event("B1234XY", datetime(2026, 5, 1, 8, 0))
    first = repo.save_event(e, StoredImages(), "k1")
    again = repo.save_event(e, StoredImages(), "k1")  # its commit happened; the answer was lost
    other = repo.save_event(e, StoredImages(), "k2")
    unkeyed = [repo.save_event(e, StoredImages()) for _ in range(2)]  # uploads have no key
    assert first == again and len({first, other, *unkeyed}) == 4
    assert repo.list_detections(limit=10, offset=0)[1] == 4
    db.close()


def test_lists_edited_elsewhere_reach_the_gate_and_stay_when_the_database_fails(database_target):
    gate = Repository(open_database(database_target), load_pack("id"))
    central = Repository(open_database(database_target), load_pack("id"))
    seen: list[dict] = []
    central.set_status("B1AB", "blacklist")
    assert asyncio.run(refresh_lists(gate, seen.append)) is True
    assert seen[-1] == {"B1AB": "blacklist"}
    central.set_status("D2CD", "whitelist")
    assert asyncio.run(refresh_lists(gate, seen.append)) is True
    assert seen[-1] == {"B1AB": "blacklist", "D2CD": "whitelist"}

    class Down:
        def list_statuses(self):
            raise ConnectionError("link down")

    assert asyncio.run(refresh_lists(Down(), seen.append)) is False  # type: ignore[arg-type]
    assert len(seen) == 2  # the router keeps the last lists it was given
    gate.db.close()
    central.db.close()


@pytest.mark.parametrize(
    ("now_s", "interval_s", "next_lists_s", "wait_s"),
    [
        (100.0, 5.0, 130.0, 5.0),  # lists far off: the watchdog interval
        (100.0, 5.0, 101.0, 1.0),  # lists.refresh_s (1 s) under the interval: woken for them
        (100.0, 5.0, 99.5, 0.0),  # a refresh overdue: no sleep
    ],
)
def test_the_health_loop_wakes_for_each_lists_refresh(now_s, interval_s, next_lists_s, wait_s):
    assert next_wait_s(now_s, interval_s, next_lists_s) == wait_s


def test_a_lists_refresh_stuck_on_the_database_holds_up_nothing_and_is_not_doubled():
    """The health loop (watchdog pings) starts each refresh beside itself: while one waits on
    a slow link, the loop goes on and starts no second one; at stop it is cancelled."""

    async def scenario() -> list[str]:
        seen: list[str] = []
        release = asyncio.Event()

        async def refresh(name: str) -> None:
            seen.append(name)
            await release.wait()

        lists = Background()
        assert lists.idle
        lists.run(refresh("first"))
        await asyncio.sleep(0)  # the loop's next turn: the refresh is waiting
        assert not lists.idle and seen == ["first"]
        release.set()
        await asyncio.sleep(0)
        assert lists.idle
        release.clear()
        lists.run(refresh("second"))
        await asyncio.sleep(0)
        await lists.cancel()  # the daemon stops while it waits
        assert lists.idle
        return seen

    assert asyncio.run(scenario()) == ["first", "second"]


def _gate(db, name: str, webhooks: tuple[str, ...] = ()) -> Repository:
    """A gate's repository (the models bind one database per process: gates share ``db``)."""
    repo = Repository(db, load_pack("id"))
    repo.site, repo.gate, repo.outbox_webhooks = "depot", name, webhooks
    return repo


def test_each_gate_expires_and_delivers_its_own_rows(database_target):
    """Gates share the tables: retention deletes a gate's own old rows (their images are on
    its disk), and each gate's webhook sender sees and drops only its own outbox rows."""
    db = open_database(database_target)
    north, south = _gate(db, "north", ("crm",)), _gate(db, "south", ("crm", "barrier"))
    old, new = datetime(2026, 1, 1, 8, 0), datetime(2026, 5, 1, 8, 0)
    for repo in (north, south):
        for i, when in enumerate((old, new)):
            repo.save_event(event(f"{repo.gate[0].upper()}{i}AB", when), StoredImages())
    assert len(north.delete_older_than(datetime(2026, 3, 1))) == 0  # no image paths: rows only
    texts = sorted(r[0] for r in north.db.execute_sql("SELECT plate_text FROM plate"))
    assert texts == ["N1AB", "S0AB", "S1AB"]
    assert [sid for sid, _ in south.image_paths_oldest_first(10)] == [
        r[0] for r in south.db.execute_sql("SELECT id FROM detection_session WHERE gate = 'south' ORDER BY id")
    ]

    heads = north.outbox_heads("crm")  # its own oldest row (rows outlive their session)
    assert len(heads) == 1 and b"N0AB" in heads[0].payload
    assert north.outbox_drop_others(("crm",)) == 0  # south's 'barrier' rows are not north's to drop
    assert len(south.outbox_heads("barrier")) == 1
    assert {(b.webhook, b.backlog) for b in south.outbox_backlog(("crm", "barrier"))} == {("crm", 2), ("barrier", 2)}
    db.close()


def test_each_gate_keeps_its_own_webhook_counts_and_a_gate_without_a_name_sees_them_all(database_target):
    """Two gates deliver to a webhook of the same name: each counts its own (one row was
    shared before); a daemon without a gate name (the central) shows the sum and the
    latest error of any gate."""
    db = open_database(database_target)
    north, south, central = _gate(db, "north"), _gate(db, "south"), _gate(db, "")
    at = datetime(2026, 5, 1, 8, 0)
    for _ in range(3):
        north.outbox_delivered(0, "crm", at)
    south.outbox_delivered(0, "crm", at.replace(minute=5))
    north.outbox_failed(0, "crm", "north: 503", at.replace(minute=7))
    south.outbox_failed(0, "crm", "south: timeout", at.replace(minute=9))
    south.outbox_failed(0, "crm", "south: refused", at.replace(minute=2))  # south's last, older than north's
    seen = {r.gate: r.outbox_backlog(("crm", "barrier")) for r in (north, south, central)}
    assert [(b.delivered, b.failed, b.last_error) for b in seen["north"]] == [(3, 1, "north: 503"), (0, 0, "")]
    assert [(b.delivered, b.failed, b.last_error) for b in seen["south"]] == [(1, 2, "south: refused"), (0, 0, "")]
    crm = seen[""][0]
    assert (crm.delivered, crm.failed, crm.last_error) == (4, 3, "north: 503")
    assert (crm.last_error_at, crm.last_delivered_at) == (at.replace(minute=7), at.replace(minute=5))
    db.close()


def test_webhook_counts_of_before_the_gates_had_names_survive_the_upgrade(database_target, monkeypatch):
    """A database at migration 8 (one webhook_stat row per name): its counts stay, as gate
    '' (a gate's own from before it had a name), and a named gate adds its own to them."""
    import alprd.storage.db as storage_db

    every = storage_db.migrations_of
    monkeypatch.setattr(storage_db, "migrations_of", lambda db: every(db)[:8])
    db = open_database(database_target)
    db.execute_sql(
        "INSERT INTO webhook_stat (webhook, delivered, failed, last_error, last_error_at, last_delivered_at) "
        "VALUES ('crm', 7, 2, 'HTTP 500', '2026-04-01 10:00:00', '2026-04-02 11:00:00')"
    )
    monkeypatch.setattr(storage_db, "migrations_of", every)
    storage_db.apply_migrations(db)
    north = _gate(db, "north")
    north.outbox_delivered(0, "crm", datetime(2026, 5, 1, 8, 0))
    [crm] = north.outbox_backlog(("crm",))
    assert (crm.delivered, crm.failed, crm.last_error) == (8, 2, "HTTP 500")
    assert crm.last_delivered_at == datetime(2026, 5, 1, 8, 0)
    rows = db.execute_sql("SELECT gate, delivered FROM webhook_stat ORDER BY gate").fetchall()
    assert [tuple(r) for r in rows] == [("", 7), ("north", 1)]
    db.close()
