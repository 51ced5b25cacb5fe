"""The webhook outbox: stored detections waiting for their receivers (at-least-once delivery).

``Detections.save_image_result`` calls :meth:`Outbox._enqueue_detection` inside its own
transaction, so a detection and its outbox rows commit (or vanish) together, whatever
crashes after. A row leaves the outbox only when its receiver answered 2xx
(:meth:`Outbox.outbox_delivered`); the sender (``alprd.web.webhooks``) reads the oldest
row of each camera (:meth:`Outbox.outbox_heads`), so each camera's events go in order.

Fleet mode (gates sharing a PostgreSQL database): each gate delivers its own rows and
keeps its own counts (``webhook_stat`` is keyed (gate, webhook)). What
:meth:`Outbox.outbox_backlog` shows follows who asks: a named gate its own rows and counts
(and those of before it had a name, gate ''); a daemon without a gate name (the central, or
a lone gate) every gate's, added up per webhook name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson

from alprd.storage import queries
from alprd.storage.base import RepositoryBase, as_datetime, db_time
from alprd.storage.live import detection_event

MAX_ERROR_CHARS = 500
# This gate's rows (fleet mode: gates share the table), and rows written before it had a name.
_MINE = "gate IN (?, '')"
_STAT_COLUMNS = "webhook, delivered, failed, last_error, last_error_at, last_delivered_at"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    webhook: str
    camera_id: str
    payload: bytes  # the event's JSON
    attempts: int


@dataclass(frozen=True, slots=True)
class WebhookBacklog:
    """One webhook's outbox, as ``GET /api/webhooks`` shows it."""

    webhook: str
    backlog: int = 0
    oldest_at: datetime | None = None
    delivered: int = 0
    failed: int = 0
    last_error: str = ""
    last_error_at: datetime | None = None
    last_delivered_at: datetime | None = None


class Outbox(RepositoryBase):
    # Keys of the webhooks that take ``detection`` events (set by ``open_repository``).
    outbox_webhooks: tuple[str, ...] = ()
    # Called (from the writing thread) after rows were committed: the sender looks at once.
    outbox_listener: Callable[[], None] | None = None

    def _outbox_committed(self) -> None:
        """Tell the listener, once the outermost transaction has committed the new rows."""
        if self.outbox_webhooks and self.outbox_listener is not None and not self.db.in_transaction():
            self.outbox_listener()

    def _enqueue_detection(self, session_id: int) -> None:
        """One outbox row per detection webhook; call inside the session's write transaction."""
        if not self.outbox_webhooks:
            return
        session = queries.session_with_children(self.db, session_id)
        payload = orjson.dumps(detection_event(session).as_json()).decode()  # what every sink gets
        now = db_time(datetime.now())
        self.db.execute_sql(
            "INSERT INTO webhook_outbox (webhook, camera_id, session_id, payload, created_at, gate) VALUES "
            + ", ".join("(?, ?, ?, ?, ?, ?)" for _ in self.outbox_webhooks),
            [v for key in self.outbox_webhooks for v in (key, session.camera_id, session_id, payload, now, self.gate)],
        )

    def outbox_heads(self, webhook: str) -> list[OutboxRow]:
        """The oldest waiting row of each camera for ``webhook``, oldest first."""
        with self._reading():
            cursor = self.db.execute_sql(
                "SELECT id, webhook, camera_id, payload, attempts FROM webhook_outbox WHERE id IN "
                f"(SELECT MIN(id) FROM webhook_outbox WHERE webhook = ? AND {_MINE} GROUP BY camera_id) ORDER BY id",
                (webhook, self.gate),
            )
            return [OutboxRow(r[0], r[1], r[2], str(r[3]).encode(), r[4]) for r in cursor.fetchall()]

    def outbox_delivered(self, row_id: int, webhook: str, at: datetime) -> None:
        with self._writing():
            self.db.execute_sql("DELETE FROM webhook_outbox WHERE id = ?", (row_id,))
            self.db.execute_sql(
                "INSERT INTO webhook_stat (gate, webhook, delivered, last_delivered_at) VALUES (?, ?, 1, ?) "
                "ON CONFLICT (gate, webhook) DO UPDATE SET delivered = webhook_stat.delivered + 1, "
                "last_delivered_at = excluded.last_delivered_at",
                (self.gate, webhook, db_time(at)),
            )

    def outbox_failed(self, row_id: int, webhook: str, error: str, at: datetime) -> None:
        error = error[:MAX_ERROR_CHARS]
        with self._writing():
            self.db.execute_sql(
                "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?", (error, row_id)
            )
            self.db.execute_sql(
                "INSERT INTO webhook_stat (gate, webhook, failed, last_error, last_error_at) VALUES (?, ?, 1, ?, ?) "
                "ON CONFLICT (gate, webhook) DO UPDATE SET failed = webhook_stat.failed + 1, "
                "last_error = excluded.last_error, last_error_at = excluded.last_error_at",
                (self.gate, webhook, error, db_time(at)),
            )

    def outbox_drop_others(self, keep: tuple[str, ...]) -> int:
        """Delete the waiting rows of webhooks no longer configured; how many were deleted."""
        with self._writing():
            marks = ", ".join("?" for _ in keep) or "''"
            cursor = self.db.execute_sql(
                f"DELETE FROM webhook_outbox WHERE webhook NOT IN ({marks}) AND {_MINE}", (*keep, self.gate)
            )
            return int(cursor.rowcount or 0)

    def outbox_backlog(self, webhooks: tuple[str, ...]) -> list[WebhookBacklog]:
        """Each of ``webhooks`` with its waiting rows and delivery counts, in that order
        (this gate's, or every gate's for a daemon without a gate name: module docstring)."""
        scope, args = (f"WHERE {_MINE}", (self.gate,)) if self.gate else ("", ())
        with self._reading():
            waiting = {
                r[0]: (int(r[1]), r[2])
                for r in self.db.execute_sql(
                    f"SELECT webhook, COUNT(*), MIN(created_at) FROM webhook_outbox {scope} GROUP BY webhook", args
                ).fetchall()
            }
            stats = self.db.execute_sql(f"SELECT {_STAT_COLUMNS} FROM webhook_stat {scope}", args).fetchall()
        out = {key: WebhookBacklog(webhook=key) for key in webhooks}
        for key, (count, oldest) in waiting.items():
            if key in out:
                out[key] = replace(out[key], backlog=count, oldest_at=_dt(oldest))
        for row in stats:
            if row[0] in out:
                out[row[0]] = _add_stat(out[row[0]], row)
        return [out[key] for key in webhooks]


def _add_stat(seen: WebhookBacklog, row: tuple) -> WebhookBacklog:
    """``seen`` with one gate's ``webhook_stat`` row added: counts summed, the latest error kept."""
    _, delivered, failed, error, error_at, delivered_at = row
    error_at, delivered_at = _dt(error_at), _dt(delivered_at)
    newer_error = error_at is not None and (seen.last_error_at is None or error_at > seen.last_error_at)
    return replace(
        seen,
        delivered=seen.delivered + int(delivered),
        failed=seen.failed + int(failed),
        last_error=str(error) if newer_error else seen.last_error,
        last_error_at=error_at if newer_error else seen.last_error_at,
        last_delivered_at=max((t for t in (seen.last_delivered_at, delivered_at) if t is not None), default=None),
    )


def _dt(value: Any) -> datetime | None:
    return None if value is None else as_datetime(value)
