"""Opening storage at start-up: the database (migrated) and the image store, with the
files of saves that a crash interrupted before their rows committed removed, and the
outbox rows of webhooks no longer configured dropped."""

from __future__ import annotations

from alprd.config import Config
from alprd.log import get_logger
from alprd.storage.files import ImageStore
from alprd.storage.repository import Repository, open_repository

log = get_logger(__name__)


def open_storage(config: Config) -> tuple[Repository, ImageStore]:
    """Blocking; call before anything writes (the writer, cameras and API start after it)."""
    repository = open_repository(config)
    if config.database_file is None and not config.storage.gate:
        log.warning("storage.unnamed_gate", reason="a shared database: give each gate its own storage.gate")
    store = ImageStore.from_config(config)
    removed = store.recover(repository.is_image_referenced)
    if removed:
        log.warning("storage.orphans_removed", files=removed, reason="saves interrupted before their rows committed")
    dropped = repository.outbox_drop_others(repository.outbox_webhooks)
    if dropped:
        log.warning("webhook.outbox_dropped", rows=dropped, reason="their webhook no longer takes detections")
    return repository, store
