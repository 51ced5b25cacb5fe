"""Retention: delete detections older than ``retention_days`` and keep ``outputs/`` under its cap.

:func:`enforce_retention` is one pass (through the repository's retention methods and
the image store); :func:`start_retention` runs it on an APScheduler background job.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

from alprd.log import get_logger
from alprd.storage import queries
from alprd.storage.base import RepositoryBase, db_time
from alprd.storage.files import ImageStore

if TYPE_CHECKING:
    from alprd.storage.repository import Repository

_BATCH = 200


class RetentionQueries(RepositoryBase):
    """The deletes the retention job runs (through ``Repository``)."""

    def delete_older_than(self, cutoff: datetime) -> list[str]:
        """Delete this gate's sessions (with their vehicles and plates) detected before ``cutoff``.

        Fleet mode: each gate expires its own rows, whose images are on its disk (and rows
        stored before it had a name, ``gate = ''``)."""
        ids = [
            r[0]
            for r in self.db.execute_sql(
                "SELECT id FROM detection_session WHERE detected_at < ? AND gate IN (?, '')",
                (db_time(cutoff), self.gate),
            )
        ]
        return self.delete_sessions(ids)

    def image_paths_oldest_first(self, limit: int) -> list[tuple[int, list[str]]]:
        """(session id, its image paths) of this gate's ``limit`` oldest sessions."""
        return queries.image_paths_oldest_first(self.db, limit, self.gate)

    def delete_sessions(self, session_ids: list[int]) -> list[str]:
        """Delete sessions with their vehicles and plates; returns their image paths."""
        paths: list[str] = []
        with self._writing():
            for start in range(0, len(session_ids), 500):
                chunk = session_ids[start : start + 500]
                paths += [p for _, ps in queries.image_paths_of(self.db, chunk) for p in ps]
                marks = ",".join("?" * len(chunk))
                self.db.execute_sql(f"DELETE FROM detection_session WHERE id IN ({marks})", chunk)
        return paths


@dataclass(frozen=True, slots=True)
class RetentionReport:
    expired_sessions_files: int
    capped_sessions: int
    outputs_bytes: int


def folder_bytes(folder: Path) -> int:
    """Total size of the regular files under ``folder`` (hard links counted once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                st = os.stat(os.path.join(root, name))
            except FileNotFoundError:
                continue
            key = (st.st_dev, st.st_ino)
            if key not in seen:
                seen.add(key)
                total += st.st_size
    return total


def enforce_retention(
    repository: Repository,
    store: ImageStore,
    *,
    retention_days: int,
    outputs_max_bytes: int,
    now: datetime | None = None,
) -> RetentionReport:
    """Delete expired sessions and their images, then the oldest ones while over the cap."""
    now = now or datetime.now()
    expired = repository.delete_older_than(now - timedelta(days=retention_days))
    removed = store.delete(expired)
    capped = 0
    size = folder_bytes(store.outputs_dir)
    while size > outputs_max_bytes:
        oldest = repository.image_paths_oldest_first(_BATCH)
        if not oldest:
            break
        for session_id, paths in oldest:
            freed = paths_bytes(store, paths)
            repository.delete_sessions([session_id])
            store.delete(paths)
            capped += 1
            size -= freed
            if size <= outputs_max_bytes:
                break
    return RetentionReport(removed, capped, folder_bytes(store.outputs_dir))


def paths_bytes(store: ImageStore, paths: list[str]) -> int:
    """Bytes that deleting ``paths`` frees (a file with two names counted once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for rel in paths:
        try:
            st = store.absolute(rel).stat()
        except (FileNotFoundError, ValueError):
            continue
        if (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            total += st.st_size
    return total


def start_retention(
    repository: Repository,
    store: ImageStore,
    *,
    retention_days: int,
    outputs_max_mb: int,
    interval_s: float = 3600.0,
) -> BackgroundScheduler:
    """A started scheduler running the retention pass now and every ``interval_s``."""
    log = get_logger("alprd.storage")

    def job() -> None:
        try:
            report = enforce_retention(
                repository, store, retention_days=retention_days, outputs_max_bytes=outputs_max_mb * 1024 * 1024
            )
        except Exception as exc:  # boundary: a failed pass is retried at the next interval
            log.exception("retention.failed", error=str(exc))
            return
        log.info(
            "retention.done",
            expired_files=report.expired_sessions_files,
            capped_sessions=report.capped_sessions,
            outputs_mb=round(report.outputs_bytes / 1e6, 1),
        )

    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        job,
        "interval",
        seconds=interval_s,
        next_run_time=datetime.now(),
        id="retention",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler
