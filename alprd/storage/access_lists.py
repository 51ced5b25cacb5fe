"""Access lists: plate text -> whitelist | blacklist, and re-applying them to stored plates."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from peewee import Database

from alprd.domain.lists import LIST_NAMES, UNKNOWN, ListName, compile_lists, normalise_plate_text
from alprd.errors import BadInputError, NotFoundError
from alprd.storage import statistics
from alprd.storage.base import RepositoryBase, db_time
from alprd.storage.dialect import executemany
from alprd.storage.models import PlateStatus


def read_lists(db: Database) -> dict[str, ListName]:
    """plate_text -> its list (``set_status`` keeps other names out)."""
    rows = db.execute_sql("SELECT plate_text, status FROM plate_status ORDER BY plate_text")
    return {text: cast(ListName, status) for text, status in rows}


class AccessLists(RepositoryBase):
    def list_statuses(self) -> dict[str, ListName]:
        with self._connected():
            return read_lists(self.db)

    def set_status(self, plate_text: str, status: str) -> str:
        text = normalise_plate_text(plate_text)
        if not text:
            raise BadInputError("plate_text must contain letters or digits")
        if status not in LIST_NAMES:
            raise BadInputError(f"status_type must be one of {', '.join(LIST_NAMES)}")
        with self._writing():
            PlateStatus.insert(plate_text=text, status=status, created_at=db_time(datetime.now())).on_conflict(
                conflict_target=[PlateStatus.plate_text], update={PlateStatus.status: status}
            ).execute()
        return text

    def remove_status(self, plate_text: str) -> None:
        text = normalise_plate_text(plate_text)
        with self._writing():
            if PlateStatus.delete().where(PlateStatus.plate_text == text).execute() == 0:
                raise NotFoundError(f"Plate {plate_text} is not in any status list")

    def sync_all_statuses(self) -> dict[str, int]:
        """Re-apply the lists to every stored plate; returns plates per status afterwards."""
        table = compile_lists(read_lists(self.db), self.max_confusions)
        texts = [r[0] for r in self.db.execute_sql("SELECT DISTINCT plate_text FROM plate")]
        rows = [(t, table.get(t, UNKNOWN)) for t in texts]
        with self._writing():
            self.db.execute_sql(
                "CREATE TEMP TABLE IF NOT EXISTS sync_status (plate_text TEXT PRIMARY KEY, status TEXT)"
            )
            self.db.execute_sql("DELETE FROM sync_status")
            executemany(self.db, "INSERT INTO sync_status VALUES (?, ?)", rows)
            # Plates stored since the texts were read keep the status they were stored with.
            self.db.execute_sql(
                "UPDATE plate SET plate_status = s.status FROM sync_status s "
                "WHERE s.plate_text = plate.plate_text AND plate.plate_status != s.status"
            )
            self.db.execute_sql("DELETE FROM sync_status")
        counts = dict(statistics.counts_by(self.db, "status"))
        per_list: dict[str, int] = {name: counts.get(name, 0) for name in LIST_NAMES}
        return {**per_list, "unclassified": sum(n for k, n in counts.items() if k not in LIST_NAMES)}
