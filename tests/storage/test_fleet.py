"""Fleet mode on either server: an event retried with its key is stored once; lists edited
through another connection (another gate, the central server) reach a gate's router."""

from __future__ import annotations

import asyncio
from datetime import datetime

from test_retention import event

from alprd.daemon import refresh_lists
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
