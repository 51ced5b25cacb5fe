"""Fleet mode: a link that goes silent (no reset ever arrives: a cable pulled, a VPN down).

Stopping the server (tests/storage/test_postgres.py) closes every connection at once; a
silent link does not, and a query on it would wait for the kernel's retransmissions
(~15 min) with the event writer stuck behind it. Here the server and a writer run in a
network namespace of their own (``unshare -n``: the machine's network is not touched)
whose loopback is then taken down: packets vanish without an answer. The event that
follows must be held within the wait's deadline (far under 15 min), and stored, in
order, once the loopback is up again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.pg_server import wants_postgres

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 90.0  # libpq's keepalives and tcp_user_timeout (storage/db.py) answer in ~10 s


def _can_unshare() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


pytestmark = [
    pytest.mark.skipif(not wants_postgres(), reason="needs the PostgreSQL pass (ALPRD_TEST_DATABASE)"),
    pytest.mark.skipif(not _can_unshare(), reason="needs 'unshare -n' (root) and 'ip' for a network namespace"),
]


def test_a_silent_link_holds_the_next_event_instead_of_hanging(tmp_path):
    code = f"from tests.storage.test_silent_link import in_namespace; in_namespace({str(tmp_path)!r})"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"a silent link: the next event held after {result['held_after_s']} s")
    assert result["during"] == {"stored": 1, "deferred": 1, "failed": 0}
    assert result["after"] == {"stored": 3, "deferred": 0, "failed": 0}
    assert result["rows"] == ["B1AA", "B2BB", "B3CC"]
    assert result["keys"] == 3


def in_namespace(tmp: str) -> None:
    """Run inside ``unshare -n``: a server on this namespace's loopback, a writer, the
    loopback down and up again; prints what happened as one JSON line."""
    from alprd.domain.packs import load_pack
    from alprd.storage.db import open_database
    from alprd.storage.files import ImageStore
    from alprd.storage.repository import Repository
    from alprd.storage.writer import EventWriter
    from tests.pg_server import running_server
    from tests.storage.test_retention import event

    def loopback(state: str) -> None:
        subprocess.run(["ip", "link", "set", "lo", state], check=True)

    def counts(writer: EventWriter) -> dict[str, int]:
        return {"stored": writer.stored, "deferred": writer.deferred, "failed": writer.failed}

    loopback("up")
    at = [event(t, datetime(2026, 5, 1, 8, i), seed=i) for i, t in enumerate(["B1AA", "B2BB", "B3CC"])]
    with running_server() as server:
        db = open_database(server.new_database(), busy_timeout_ms=2000)
        writer = EventWriter(Repository(db, load_pack("id")), ImageStore(Path(tmp) / "outputs"), annotate=None)
        writer = writer.start()
        assert writer.submit(at[0]) and writer.flush()
        loopback("down")  # the connection stays open; nothing comes back
        started = time.monotonic()
        assert writer.submit(at[1]) and writer.flush(timeout_s=DEADLINE_S), "the writer hung on the silent link"
        held_after_s = round(time.monotonic() - started, 1)
        during = counts(writer)
        loopback("up")
        assert writer.submit(at[2]) and writer.flush(timeout_s=DEADLINE_S)
        after = counts(writer)
        writer.close()
        db.close()  # this thread's connection died on the silent link too: a new one
        rows = [r[0] for r in db.execute_sql("SELECT plate_text FROM plate ORDER BY id").fetchall()]
        keys = db.execute_sql("SELECT COUNT(DISTINCT event_key) FROM detection_session").fetchone()[0]
        db.close()
    print(json.dumps({"held_after_s": held_after_s, "during": during, "after": after, "rows": rows, "keys": keys}))
