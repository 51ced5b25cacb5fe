"""What every storage aggregate shares: the database, the pack, transactions, time format.

Times are stored as naive local time ('YYYY-MM-DD HH:MM:SS', the gate's wall clock,
which is what operators read on the dashboard); an aware datetime is converted first.
Multi-row writes run in one transaction (``db.atomic()``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from peewee import Database, InterfaceError, Model, OperationalError
from peewee import DatabaseError as PeeweeDatabaseError

from alprd.domain.packs import Pack, Packs, as_packs
from alprd.errors import NotFoundError, StorageFullError, StorageUnavailableError
from alprd.storage.db import apply_migrations, is_disk_full
from alprd.storage.dialect import dialect_of


def db_time(when: datetime) -> str:
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return when.strftime("%Y-%m-%d %H:%M:%S")


def as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


class RepositoryBase:
    """The state and transaction helpers the aggregate mixins of ``Repository`` use."""

    # The identity stored with each detection (``storage.site``/``gate``, set by ``open_repository``).
    site: str = ""
    gate: str = ""
    # Fleet mode: a gate that started while its server could not be reached; the migrations
    # run at the first read or write that reaches it (``open_repository(wait_for_server=True)``).
    schema_pending: bool = False

    def __init__(self, db: Database, packs: Pack | Packs, *, max_confusions: int = 1) -> None:
        self.db = db
        self.packs = as_packs(packs)  # region and plate type of a text: the pack it fits
        self.max_confusions = max_confusions
        self.dialect = dialect_of(db)

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """One read snapshot (WAL; PostgreSQL: REPEATABLE READ): a page and its count agree
        while writers go on."""
        with self._connected(), self.db.atomic(**self.dialect.snapshot):
            yield

    def _ensure_schema(self) -> None:
        """Migrate a database opened while its server could not be reached, once it answers;
        until then StorageUnavailableError (the writer holds its events, the API answers 503)."""
        if not self.schema_pending:
            return
        try:
            apply_migrations(self.db)  # under the advisory lock: two threads migrate once
        except (OperationalError, InterfaceError) as exc:
            self._unavailable(exc)
            raise
        self.schema_pending = False

    @contextmanager
    def _connected(self) -> Iterator[None]:
        """Reads outside a transaction: a lost connection is StorageUnavailableError."""
        try:
            self._ensure_schema()
            yield
        except (OperationalError, InterfaceError) as exc:
            self._unavailable(exc)
            raise

    @contextmanager
    def server_errors(self) -> Iterator[None]:
        """Around a call from outside storage (the API's database executor): a lost or
        refused PostgreSQL connection, wherever it surfaced, is StorageUnavailableError (503)."""
        try:
            yield
        except (OperationalError, InterfaceError) as exc:
            self._unavailable(exc)
            raise

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One write transaction; a full disk, however SQLite and Peewee report it, is
        StorageFullError (HTTP 507), so every write of the API and the writer gets it."""
        try:
            self._ensure_schema()
            with self.db.atomic():
                yield
        except (sqlite3.Error, PeeweeDatabaseError, InterfaceError) as exc:
            if is_disk_full(exc):
                raise StorageFullError(
                    "the database disk is full: free disk space or lower storage.outputs_max_mb / retention_days"
                ) from exc
            self._unavailable(exc)
            raise

    def _unavailable(self, exc: BaseException) -> None:
        """PostgreSQL: a lost or refused connection is StorageUnavailableError (HTTP 503; the
        event writer holds its events and retries). SQLite's errors stay as they are."""
        if self.dialect.name == "postgresql" and isinstance(exc, OperationalError | InterfaceError):
            raise StorageUnavailableError(f"the database server cannot be reached: {exc}") from exc

    @staticmethod
    def _require(model: type[Model], record_id: int, what: str) -> Any:
        obj = model.get_or_none(model._meta.primary_key == record_id)
        if obj is None:
            raise NotFoundError(f"{what} with ID {record_id} not found")
        return obj
