"""Webhooks: each configured receiver with its outbox backlog and delivery counts."""

from __future__ import annotations

from pydantic import BaseModel, Field

from alprd.web.schemas.base import Timestamp

__all__ = ["WebhookList", "WebhookStatus"]


class WebhookStatus(BaseModel):
    name: str = Field(description="The webhook's name (its url when none is set).")
    url: str = Field(description="Receiver, with any password in it masked.")
    events: list[str]
    backlog: int = Field(description="Stored detections waiting for a 2xx answer (the outbox).")
    oldest_waiting: Timestamp | None = Field(description="When the oldest waiting event was stored.")
    delivered: int = Field(description="Events acknowledged with 2xx (since the database was created).")
    failed: int = Field(description="Failed attempts (each retry counts).")
    last_error: str
    last_error_at: Timestamp | None
    last_delivered_at: Timestamp | None
    previews_sent: int = Field(description="Previews acknowledged since start (best-effort, not stored).")
    previews_failed: int = Field(description="Previews lost since start (receiver failed, or too many at once).")


class WebhookList(BaseModel):
    webhooks: list[WebhookStatus]
