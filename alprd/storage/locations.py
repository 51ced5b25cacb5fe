"""Locations: the named places (gates) sessions are recorded at."""

from __future__ import annotations

from datetime import datetime

from peewee import IntegrityError

from alprd.errors import ConflictError
from alprd.storage.base import RepositoryBase, as_datetime, db_time
from alprd.storage.models import Location
from alprd.storage.records import LocationRecord


class Locations(RepositoryBase):
    def list_locations(self) -> list[LocationRecord]:
        return [_location(x) for x in Location.select().order_by(Location.id)]

    def get_location(self, location_id: int) -> LocationRecord:
        return _location(self._require(Location, location_id, "Location"))

    def create_location(self, name: str, type_: str) -> LocationRecord:
        try:
            with self._writing():
                loc = Location.create(name=name, type=type_, created_at=db_time(datetime.now()))
        except IntegrityError as exc:
            raise ConflictError(f"a location named '{name}' already exists") from exc
        return _location(loc)

    def update_location(self, location_id: int, *, name: str | None, type_: str | None) -> LocationRecord:
        changes = {k: v for k, v in (("name", name), ("type", type_)) if v is not None}
        try:
            with self._writing():
                self._require(Location, location_id, "Location")
                if changes:
                    Location.update(**changes).where(Location.id == location_id).execute()
        except IntegrityError as exc:
            raise ConflictError(f"a location named '{name}' already exists") from exc
        return self.get_location(location_id)

    def delete_location(self, location_id: int) -> None:
        with self._writing():
            self._require(Location, location_id, "Location")
            Location.delete().where(Location.id == location_id).execute()

    def location_types(self) -> list[str]:
        return [r[0] for r in self.db.execute_sql("SELECT DISTINCT type FROM location WHERE type != '' ORDER BY type")]

    def count_locations(self) -> int:
        return Location.select().count()


def _location(loc: Location) -> LocationRecord:
    return LocationRecord(id=loc.id, name=loc.name, type=loc.type, created_at=as_datetime(loc.created_at))
