"""Opening storage at start-up: the database (migrated) and the image store, with the
files of saves that a crash interrupted before their rows committed removed, and the
outbox rows of webhooks no longer configured dropped; on PostgreSQL, the file of events held
while the server could not be reached (their images are kept)."""

from __future__ import annotations

from alprd.config import Config
from alprd.log import get_logger
from alprd.storage.files import ImageStore
from alprd.storage.held import HeldFile
from alprd.storage.repository import Repository, open_repository

log = get_logger(__name__)


def open_held_file(config: Config) -> HeldFile | None:
    """The held-events file of a gate on PostgreSQL (``storage.held_file``); None on SQLite,
    whose events wait only for a full disk, the disk that file would be on."""
    if config.database_file is not None:
        return None
    held = HeldFile(config.resolve(config.storage.held_file))
    if waiting := len(held):
        log.warning("event.held_loaded", events=waiting, file=str(held.path))
    return held


def open_storage(config: Config, held: HeldFile | None = None) -> tuple[Repository, ImageStore]:
    """Blocking; call before anything writes (the writer, cameras and API start after it).
    The image files ``held`` names are kept: their rows are still to be stored. On
    PostgreSQL (a gate, with ``held``, or a central) a server that cannot be reached is no
    error: the daemon starts, and the files of interrupted saves wait for a start that can
    ask the server about them."""
    repository = open_repository(config, wait_for_server=config.database_file is None)
    if config.database_file is None and not config.storage.gate:
        log.warning("storage.unnamed_gate", reason="a shared database: give each gate its own storage.gate")
    store = ImageStore.from_config(config)
    if repository.schema_pending:
        log.warning("storage.recover_skipped", reason="the database server cannot be reached")
        return repository, store
    keep = held.image_paths() if held is not None else set()
    removed = store.recover(lambda path: path in keep or repository.is_image_referenced(path))
    if removed:
        log.warning("storage.orphans_removed", files=removed, reason="saves interrupted before their rows committed")
    dropped = repository.outbox_drop_others(repository.outbox_webhooks)
    if dropped:
        log.warning("webhook.outbox_dropped", rows=dropped, reason="their webhook no longer takes detections")
    return repository, store
