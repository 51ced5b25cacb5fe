"""Detections: sessions, their vehicles and plates (writes, reads, edits, deletes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alprd.domain.lists import UNKNOWN, match_list_status, normalise_plate_text
from alprd.domain.messages import Box, Detection, ImageResult, PlateEvent, PlateRead
from alprd.domain.packs import plate_facts
from alprd.errors import BadInputError, NotFoundError
from alprd.storage import queries
from alprd.storage.access_lists import read_lists
from alprd.storage.base import RepositoryBase, db_time
from alprd.storage.files import StoredImages
from alprd.storage.models import DetectionSession, Plate, Vehicle
from alprd.storage.outbox import Outbox
from alprd.storage.records import DeleteOutcome, DetectionRow, PlateRecord, SessionRecord, VehicleRecord


class Detections(Outbox, RepositoryBase):
    # ---- writes of detections -------------------------------------------------------

    def save_image_result(
        self,
        result: ImageResult,
        images: StoredImages,
        *,
        location: str,
        detected_at: datetime,
        processing_time_s: float,
        camera_id: str = "",
        source: str = "upload",
        direction: str = "unknown",
        list_status: str | None = None,
        event_key: str = "",
    ) -> int:
        """Store one session with its vehicles and plates; returns the session id.

        With an ``event_key`` already stored (a retry of a save whose commit did happen)
        nothing is written and that session's id is returned.
        """
        with self._connected():
            lists = read_lists(self.db) if list_status is None else {}
        at = db_time(detected_at)
        with self._writing():
            if event_key and (done := self._session_of_key(event_key)) is not None:
                return done
            session = DetectionSession.create(
                detected_at=at,
                location=location,
                camera_id=camera_id,
                source=source,
                direction=direction,
                original_path=images.original,
                annotated_path=images.annotated,
                vehicle_annotated_path=images.vehicle_annotated,
                processing_time_s=processing_time_s,
                image_width_px=result.width,
                image_height_px=result.height,
                site=self.site,
                gate=self.gate,
                event_key=event_key,
            )
            vehicles = result.all_vehicles()
            vehicle_ids: dict[Detection, tuple[int, str, float]] = {}
            for i, det in enumerate(vehicles):
                v = Vehicle.create(
                    session=session.id,
                    vehicle_index=i + 1,
                    vehicle_class=det.label,
                    confidence=det.confidence,
                    **_box(det.box),
                    image_path=_nth(images.vehicle_crops, i),
                    detected_at=at,
                )
                vehicle_ids.setdefault(det, (v.id, det.label, det.confidence))
            for i, read in enumerate(result.reads):
                vehicle = vehicle_ids.get(read.vehicle) if read.vehicle is not None else None
                status = list_status or match_list_status(read.ocr.text, lists, self.max_confusions)
                self._insert_plate(session.id, vehicle, i + 1, read, status, _nth(images.plate_crops, i), at)
            self._enqueue_detection(session.id)  # the webhook outbox, in the same transaction
        self._outbox_committed()
        return session.id

    def save_image_result_and_read(self, result: ImageResult, images: StoredImages, **kwargs: Any) -> SessionRecord:
        """``save_image_result`` and the stored session read back in the same transaction, so
        the caller answers with what it stored even when a DELETE removes it right after."""
        with self._writing():
            session = self.get_session(self.save_image_result(result, images, **kwargs))
        self._outbox_committed()
        return session

    def is_image_referenced(self, path: str) -> bool:
        """Does any row name this stored image path (start-up recovery of interrupted saves)?"""
        return self.gate_of_image(path) is not None

    def gate_of_image(self, path: str) -> str | None:
        """The gate whose row names this stored image path (central: where the file is);
        None when no row names it."""
        with self._connected():
            row = self.db.execute_sql(IMAGE_GATE_SQL, (path, path, path)).fetchone()
        return None if row is None else str(row[0])

    def _session_of_key(self, event_key: str) -> int | None:
        row = self.db.execute_sql("SELECT id FROM detection_session WHERE event_key = ?", (event_key,)).fetchone()
        return None if row is None else int(row[0])

    def save_event(self, event: PlateEvent, images: StoredImages, event_key: str = "") -> int:
        """Store a gate's final plate event as a session of one vehicle (if seen) and one plate.

        Its time is the last sighting; its processing time the track's duration (first to
        last sighting: how long the gate took to decide), as an event has no single image.
        """
        return self.save_image_result(
            event.result(),
            images,
            location=event.location,
            camera_id=event.camera_id,
            source="camera",
            detected_at=datetime.fromtimestamp(event.last_seen_s),
            direction=event.direction,
            processing_time_s=max(0.0, event.last_seen_s - event.first_seen_s),
            list_status=event.list_status if event.list_status != UNKNOWN else None,
            event_key=event_key,
        )

    def _insert_plate(
        self,
        session_id: int,
        vehicle: tuple[int, str, float] | None,
        index: int,
        read: PlateRead,
        status: str,
        image_path: str,
        at: str,
    ) -> int:
        text = normalise_plate_text(read.ocr.text) or read.ocr.text
        facts = plate_facts(self.packs, text, read.background_color)
        return Plate.insert(
            session=session_id,
            vehicle=vehicle[0] if vehicle else None,
            plate_index=index,
            plate_text=text,
            ocr_confidence=read.ocr.confidence,
            **_box(read.plate.box),
            plate_type=facts.plate_type,
            plate_status=status,
            region_code=facts.region_code,
            region_name=facts.region_name,
            text_color=read.text_color,
            background_color=read.background_color,
            image_path=image_path,
            detected_at=at,
            vehicle_class=vehicle[1] if vehicle else "unknown",
            vehicle_confidence=vehicle[2] if vehicle else 0.0,
            site=self.site,
            gate=self.gate,
        ).execute()

    # ---- reads of detections --------------------------------------------------------

    def list_detections(
        self,
        *,
        limit: int,
        offset: int,
        vehicle_type: str | None = None,
        plate_type: str | None = None,
        search: str | None = None,
        gate: str | None = None,
    ) -> tuple[list[DetectionRow], int]:
        """A page of plates (newest first) matching the filters, and how many match."""
        with self._reading():
            return queries.list_detections(
                self.db,
                limit=limit,
                offset=offset,
                vehicle_type=vehicle_type or None,
                plate_type=plate_type or None,
                search=normalise_plate_text(search or "") or None,
                gate=gate or None,
            )

    def latest_session(self) -> SessionRecord | None:
        row = self.db.execute_sql("SELECT MAX(id) FROM detection_session").fetchone()
        if not row or row[0] is None:
            return None
        try:
            return self.get_session(row[0])
        except NotFoundError:  # deleted between the two reads
            return None

    def get_session(self, session_id: int) -> SessionRecord:
        return queries.session_with_children(self.db, session_id)

    def list_sessions(self, *, limit: int, offset: int) -> tuple[list[SessionRecord], int]:
        with self._reading():
            return queries.list_sessions(self.db, limit=limit, offset=offset)

    def update_session(self, session_id: int, *, location: str | None, notes: str | None) -> SessionRecord:
        changes = {k: v for k, v in (("location", location), ("notes", notes)) if v is not None}
        with self._writing():
            self._require(DetectionSession, session_id, "Session")
            if changes:
                DetectionSession.update(**changes).where(DetectionSession.id == session_id).execute()
        return self.get_session(session_id)

    def get_vehicle(self, vehicle_id: int) -> VehicleRecord:
        return queries.vehicle_with_plates(self.db, vehicle_id)

    def update_vehicle(self, vehicle_id: int, *, vehicle_class: str | None, confidence: float | None) -> VehicleRecord:
        with self._writing():
            self._require(Vehicle, vehicle_id, "Vehicle")
            changes: dict = {}
            if vehicle_class is not None:
                changes["vehicle_class"] = vehicle_class
            if confidence is not None:
                changes["confidence"] = confidence
            if changes:
                Vehicle.update(**changes).where(Vehicle.id == vehicle_id).execute()
                Plate.update(
                    vehicle_class=vehicle_class if vehicle_class is not None else Plate.vehicle_class,
                    vehicle_confidence=confidence if confidence is not None else Plate.vehicle_confidence,
                ).where(Plate.vehicle == vehicle_id).execute()
        return self.get_vehicle(vehicle_id)

    def get_plate(self, plate_id: int) -> PlateRecord:
        return queries.plate_by_id(self.db, plate_id)

    def update_plate(
        self,
        plate_id: int,
        *,
        plate_text: str | None = None,
        plate_status: str | None = None,
        plate_type: str | None = None,
    ) -> PlateRecord:
        changes: dict = {}
        if plate_text is not None:
            text = normalise_plate_text(plate_text)
            if not text:
                raise BadInputError("plate_text must contain letters or digits")
            facts = plate_facts(self.packs, text, "")
            changes.update(plate_text=text, region_code=facts.region_code, region_name=facts.region_name)
        if plate_status is not None:
            changes["plate_status"] = plate_status
        if plate_type is not None:
            changes["plate_type"] = plate_type
        with self._writing():
            self._require(Plate, plate_id, "Plate")
            if changes:
                Plate.update(**changes).where(Plate.id == plate_id).execute()
        return self.get_plate(plate_id)

    def delete_vehicle(self, vehicle_id: int) -> DeleteOutcome:
        """Delete a vehicle and its plates; its session too when nothing is left in it.

        Each delete checks its row count: on PostgreSQL another request may delete the same
        rows between the read and the write; the one that loses is NotFoundError (404)."""
        with self._writing():
            vehicle = self._require(Vehicle, vehicle_id, "Vehicle")
            plates = list(Plate.select(Plate.id, Plate.image_path).where(Plate.vehicle == vehicle_id))
            paths = [vehicle.image_path, *(p.image_path for p in plates)]
            Plate.delete().where(Plate.vehicle == vehicle_id).execute()
            if not Vehicle.delete().where(Vehicle.id == vehicle_id).execute():
                raise NotFoundError(f"Vehicle with ID {vehicle_id} not found")
            session_paths = self._delete_session_if_empty(vehicle.session_id)
        return DeleteOutcome(len(plates), True, session_paths is not None, _paths(paths, session_paths))

    def delete_plate(self, plate_id: int) -> DeleteOutcome:
        """Delete a plate; its vehicle when it has no other plate; the session when empty
        (row counts checked as in ``delete_vehicle``)."""
        with self._writing():
            plate = self._require(Plate, plate_id, "Plate")
            if not Plate.delete().where(Plate.id == plate_id).execute():
                raise NotFoundError(f"Plate with ID {plate_id} not found")
            paths = [plate.image_path]
            vehicle_deleted = False
            if plate.vehicle_id is not None and not Plate.select().where(Plate.vehicle == plate.vehicle_id).exists():
                vehicle = Vehicle.get_or_none(Vehicle.id == plate.vehicle_id)
                if vehicle is not None and Vehicle.delete().where(Vehicle.id == vehicle.id).execute():
                    paths.append(vehicle.image_path)
                    vehicle_deleted = True
            session_paths = self._delete_session_if_empty(plate.session_id)
        return DeleteOutcome(1, vehicle_deleted, session_paths is not None, _paths(paths, session_paths))

    def _delete_session_if_empty(self, session_id: int) -> list[str] | None:
        if Vehicle.select().where(Vehicle.session == session_id).exists():
            return None
        if Plate.select().where(Plate.session == session_id).exists():
            return None
        s = DetectionSession.get_or_none(DetectionSession.id == session_id)
        if s is None or not DetectionSession.delete().where(DetectionSession.id == session_id).execute():
            return None  # another request deleted it
        return [s.original_path, s.annotated_path, s.vehicle_annotated_path]


# The gate of the first row naming an image path (PostgreSQL: each part from an index,
# migration 11).
IMAGE_GATE_SQL = (
    "SELECT gate FROM detection_session WHERE ? IN (original_path, annotated_path, vehicle_annotated_path) "
    "UNION ALL SELECT s.gate FROM vehicle v JOIN detection_session s ON s.id = v.session_id "
    "WHERE v.image_path = ? UNION ALL SELECT gate FROM plate WHERE image_path = ? LIMIT 1"
)


def _box(box: Box) -> dict[str, float]:
    return {"x1": box.x1, "y1": box.y1, "x2": box.x2, "y2": box.y2}


def _paths(*groups: list[str] | None) -> tuple[str, ...]:
    return tuple(p for group in groups for p in (group or ()) if p)


def _nth(paths: tuple[str, ...], i: int) -> str:
    return paths[i] if i < len(paths) else ""
