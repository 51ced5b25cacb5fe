"""GET /api/webhooks: the configured webhooks, their outbox backlog and failures."""

from __future__ import annotations

from datetime import datetime

from alprd.redact import mask_secrets
from alprd.web import keys
from alprd.web import schemas as s
from alprd.web.endpoint import Call, Endpoint
from alprd.web.serialize import stamp


def _stamp(when: datetime | None) -> str | None:
    return stamp(when) if when is not None else None


async def list_webhooks(call: Call) -> s.WebhookList:
    senders = call.app[keys.WEBHOOKS]
    rows = await call.db(call.app[keys.REPOSITORY].outbox_backlog, tuple(x.key for x in senders))
    return s.WebhookList(
        webhooks=[
            s.WebhookStatus(
                name=mask_secrets(sender.key),
                url=mask_secrets(sender.config.url),
                events=list(sender.config.events),
                backlog=row.backlog,
                oldest_waiting=_stamp(row.oldest_at),
                delivered=row.delivered,
                failed=row.failed,
                last_error=row.last_error,
                last_error_at=_stamp(row.last_error_at),
                last_delivered_at=_stamp(row.last_delivered_at),
                previews_sent=sender.previews_sent,
                previews_failed=sender.previews_failed,
            )
            for sender, row in zip(senders, rows, strict=True)
        ]
    )


ENDPOINTS = (
    Endpoint("GET", ("/api/webhooks",), list_webhooks, "Webhook Backlog", tag="webhooks", response=s.WebhookList),
)
