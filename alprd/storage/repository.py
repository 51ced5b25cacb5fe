"""Every query alprd runs, one module per aggregate; ``Repository`` gathers them.

Methods block: the web layer calls them in an executor. The aggregates: detections
(sessions, vehicles, plates, and the webhook outbox they write), access lists, locations,
statistics and retention; what they share (database, pack, transactions, time format) is in ``storage/base.py``.
"""

from __future__ import annotations

from alprd.config import Config
from alprd.log import get_logger
from alprd.storage.access_lists import AccessLists
from alprd.storage.base import db_time
from alprd.storage.detections import Detections
from alprd.storage.locations import Locations
from alprd.storage.retention import RetentionQueries
from alprd.storage.statistics import Statistics

__all__ = ["Repository", "db_time", "open_repository"]
log = get_logger(__name__)


class Repository(Detections, AccessLists, Locations, Statistics, RetentionQueries):
    """The database of one daemon: ``Repository(db, packs, max_confusions=...)``."""


def open_repository(config: Config, *, wait_for_server: bool = False) -> Repository:
    """Open the configured database (migrating it) and its repository. ``wait_for_server``
    (a gate on PostgreSQL): a server that cannot be reached is no error; the repository
    answers StorageUnavailableError and migrates at the first query that reaches it."""
    from peewee import OperationalError

    from alprd.domain.packs import load_packs
    from alprd.storage.db import apply_migrations, open_database

    later = wait_for_server and config.database_file is None
    db = open_database(config.database, busy_timeout_ms=config.storage.busy_timeout_ms, migrate=not later)
    repository = Repository(db, load_packs(config.regions.codes), max_confusions=config.lists.max_confusions)
    if later:
        try:
            db.connect(reuse_if_open=True)
        except OperationalError as exc:  # refused, unreachable, or a refused login
            log.warning("storage.server_unreachable", error=str(exc), reason="migrations run when it answers")
            repository.schema_pending = True
        else:
            apply_migrations(db)
    repository.site, repository.gate = config.storage.site, config.storage.gate
    repository.outbox_webhooks = tuple(w.key for w in config.webhooks if "detection" in w.events)
    return repository
