"""Peewee models, bound late to the database through ``database_proxy``.

Flat tables: a detection session (one uploaded image or one vehicle pass at a gate)
owns vehicles and plates; a plate may belong to a vehicle. Plates carry a few
denormalised columns of their session and vehicle (``detected_at``,
``vehicle_class``) so that the list, search and statistics queries touch one
indexed table. These models are the one definition of the tables: the numbered
migrations in ``alprd.storage.migrations`` create them from here at their version
(``alprd.storage.schema``), never ``create_tables``; a field added later is marked
``added_in(n, ...)`` and added by migration n.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from peewee import (
    AutoField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from alprd.domain.lists import UNKNOWN
from alprd.domain.packs import DEFAULT_PLATE_TYPE
from alprd.storage.schema import added_in

database_proxy = DatabaseProxy()


class LocalTimeField(DateTimeField):
    """A wall-clock time stored as ``'YYYY-MM-DD HH:MM:SS'`` text (``storage.base.db_time``)
    on SQLite and PostgreSQL alike; read back as a datetime. Text goes in unchanged, so the
    server never parses or re-formats it (PostgreSQL would by its DateStyle)."""

    def db_value(self, value: Any) -> Any:
        return value.isoformat(" ") if isinstance(value, datetime) else value


class BaseModel(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class DetectionSession(BaseModel):
    id = AutoField()
    detected_at = LocalTimeField(index=True)
    location = CharField(default="")
    notes = TextField(default="")
    camera_id = CharField(default="")
    source = CharField(default="upload")  # "upload" or "camera"
    direction = CharField(default="unknown")
    original_path = CharField(default="")
    annotated_path = CharField(default="")
    vehicle_annotated_path = CharField(default="")
    processing_time_s = FloatField(default=0.0)
    image_width_px = IntegerField(default=0)
    image_height_px = IntegerField(default=0)
    site = added_in(8, CharField(default=""))
    gate = added_in(8, CharField(default=""))
    # A camera event's key: stored once however often retried.
    event_key = added_in(8, CharField(default=""))

    class Meta:
        table_name = "detection_session"


class Vehicle(BaseModel):
    id = AutoField()
    session = ForeignKeyField(DetectionSession, backref="vehicles", on_delete="CASCADE", index=True)
    vehicle_index = IntegerField()
    vehicle_class = CharField()
    confidence = FloatField()
    x1 = FloatField()
    y1 = FloatField()
    x2 = FloatField()
    y2 = FloatField()
    image_path = CharField(default="")
    detected_at = LocalTimeField()

    class Meta:
        table_name = "vehicle"


class Plate(BaseModel):
    id = AutoField()
    session = ForeignKeyField(DetectionSession, backref="plates", on_delete="CASCADE", index=True)
    vehicle = ForeignKeyField(Vehicle, backref="plates", null=True, on_delete="CASCADE", index=True)
    plate_index = IntegerField()
    plate_text = CharField(index=True)
    ocr_confidence = FloatField()
    x1 = FloatField()
    y1 = FloatField()
    x2 = FloatField()
    y2 = FloatField()
    plate_type = CharField(default=DEFAULT_PLATE_TYPE)
    plate_status = CharField(default=UNKNOWN)
    region_code = CharField(default="")
    region_name = CharField(default="")
    text_color = CharField(default="")
    background_color = CharField(default="")
    image_path = CharField(default="")
    detected_at = LocalTimeField(index=True)
    vehicle_class = CharField(default="unknown")
    vehicle_confidence = FloatField(default=0.0)
    site = added_in(8, CharField(default=""))
    gate = added_in(8, CharField(default=""))

    class Meta:
        table_name = "plate"
        # the list filters (vehicleType, plateType) read a page in id order from one range
        indexes = ((("vehicle_class", "id"), False), (("plate_type", "id"), False))


class PlateStatus(BaseModel):
    plate_text = CharField(primary_key=True)
    status = CharField()
    created_at = LocalTimeField()

    class Meta:
        table_name = "plate_status"


class Location(BaseModel):
    id = AutoField()
    name = CharField(unique=True)
    type = CharField(default="")
    created_at = LocalTimeField()

    class Meta:
        table_name = "location"


ALL_MODELS = (DetectionSession, Vehicle, Plate, PlateStatus, Location)
