"""Image files under ``outputs/``: originals, annotated images and crops, written atomically.

Layout (the paths the REST API returns, relative to the outputs folder's parent name
``outputs``)::

    outputs/uploaded/<stamp>_uploaded-image.jpg   original (<stamp>_2_... for a second
                                                  image in the same second, and so on)
    outputs/plates/<stamp>_plate.jpg              annotated image
    outputs/vehicles/<stamp>_vehicle.jpg          annotated image (hard link, no extra space)
    outputs/vehicles/crops/<token>_v<n>.jpg       one per vehicle
    outputs/plates/crops/<token>_p<n>.jpg         one per plate

Every file is encoded in memory, written to a temporary file in its folder and renamed
into place, so a reader never sees half a JPEG. A full disk raises StorageFullError and
removes whatever this save had written.
"""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import cv2
import numpy as np

from alprd.domain.messages import Box, ImageResult
from alprd.errors import BadInputError, StorageFullError

URL_PREFIX = "outputs"
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


@dataclass(frozen=True, slots=True)
class StoredImages:
    """Relative paths (``outputs/...``) of the files saved for one image or event."""

    original: str = ""
    annotated: str = ""
    vehicle_annotated: str = ""
    vehicle_crops: tuple[str, ...] = ()  # same order as ImageResult.vehicles
    plate_crops: tuple[str, ...] = ()  # same order as ImageResult.reads

    def all_paths(self) -> list[str]:
        paths = [self.original, self.annotated, self.vehicle_annotated, *self.vehicle_crops, *self.plate_crops]
        return [p for p in paths if p]


def file_stamp(when: datetime) -> str:
    """'2025-06-07_12-34-56', the timestamp form of file names and of /detect/image."""
    return when.strftime("%Y-%m-%d_%H-%M-%S")


def crop(image: np.ndarray, box: Box) -> np.ndarray | None:
    """The pixels inside ``box`` clamped to the image, or None when nothing is left."""
    h, w = image.shape[:2]
    x1, y1 = max(0, int(box.x1)), max(0, int(box.y1))
    x2, y2 = min(w, int(round(box.x2))), min(h, int(round(box.y2)))
    if x2 <= x1 or y2 <= y1:
        return None
    return image[y1:y2, x1:x2]


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise BadInputError("image could not be encoded as JPEG")
    return buf.tobytes()


class ImageStore:
    """Writes and deletes the image files of detections under one outputs folder."""

    def __init__(self, outputs_dir: Path, *, jpeg_quality: int = 90) -> None:
        self.outputs_dir = Path(outputs_dir)
        self.jpeg_quality = jpeg_quality

    def absolute(self, relative: str) -> Path:
        """The file of a stored relative path ``outputs/...`` (no check it exists)."""
        parts = PurePosixPath(relative).parts
        if parts and parts[0] == URL_PREFIX:
            parts = parts[1:]
        return self.outputs_dir.joinpath(*parts)

    def save_result(
        self, image: np.ndarray, result: ImageResult, *, annotated: np.ndarray | None, when: datetime
    ) -> StoredImages:
        """Save the original, the annotated image and a crop of every vehicle and plate."""
        return self.save(
            when=when,
            original=image,
            annotated=annotated,
            vehicle_crops=[crop(image, v.box) for v in result.vehicles],
            plate_crops=[crop(image, r.plate.box) for r in result.reads],
        )

    def save(
        self,
        *,
        when: datetime,
        original: np.ndarray | None,
        annotated: np.ndarray | None,
        vehicle_crops: Sequence[np.ndarray | None] = (),
        plate_crops: Sequence[np.ndarray | None] = (),
    ) -> StoredImages:
        token = uuid.uuid4().hex[:8]
        written: list[str] = []
        try:
            original_path, stem = self._write_original(file_stamp(when), token, original, written)
            annotated_path = self._write(f"plates/{stem}_plate.jpg", annotated, written)
            vehicle_annotated = self._link(annotated_path, f"vehicles/{stem}_vehicle.jpg", written)
            vehicles = tuple(
                self._write(f"vehicles/crops/{token}_v{i}.jpg", c, written) for i, c in enumerate(vehicle_crops, 1)
            )
            plates = tuple(
                self._write(f"plates/crops/{token}_p{i}.jpg", c, written) for i, c in enumerate(plate_crops, 1)
            )
        except BaseException:
            self.delete(written)
            raise
        return StoredImages(original_path, annotated_path, vehicle_annotated, vehicles, plates)

    def delete(self, relative_paths: Iterable[str]) -> int:
        """Delete stored files (missing ones are ignored); returns how many were removed."""
        removed = 0
        for rel in relative_paths:
            if not rel:
                continue
            try:
                self.absolute(rel).unlink()
                removed += 1
            except FileNotFoundError:
                pass
        return removed

    def _write_original(self, stamp: str, token: str, image: np.ndarray | None, written: list[str]) -> tuple[str, str]:
        """Write the original under the first free name '<stamp>[_n]_uploaded-image.jpg'
        (os.link never overwrites, so two images of the same second get _2, _3, ...);
        returns its path and the stem the other files of this save share."""
        if image is None or image.size == 0:
            return "", f"{stamp}_{token}"
        data = encode_jpeg(image, self.jpeg_quality)
        folder = self.outputs_dir / "uploaded"
        tmp = folder / f".{token}.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(data)
            for n in range(1, 10_000):
                stem = stamp if n == 1 else f"{stamp}_{n}"
                try:
                    os.link(tmp, folder / f"{stem}_uploaded-image.jpg")
                except FileExistsError:
                    continue
                rel = f"{URL_PREFIX}/uploaded/{stem}_uploaded-image.jpg"
                written.append(rel)
                return rel, stem
            raise StorageFullError(f"no free file name for {stamp} in {folder}")
        except OSError as exc:
            if exc.errno in _FULL_ERRNOS:
                raise StorageFullError(
                    f"no space left to write {folder} ({len(data)} bytes): free disk space "
                    "or lower storage.outputs_max_mb / retention_days"
                ) from exc
            raise
        finally:
            tmp.unlink(missing_ok=True)

    def _write(self, sub_path: str, image: np.ndarray | None, written: list[str]) -> str:
        if image is None or image.size == 0:
            return ""
        data = encode_jpeg(image, self.jpeg_quality)
        target = self.outputs_dir / sub_path
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if exc.errno in _FULL_ERRNOS:
                raise StorageFullError(
                    f"no space left to write {target} ({len(data)} bytes): free disk space "
                    "or lower storage.outputs_max_mb / retention_days"
                ) from exc
            raise
        rel = f"{URL_PREFIX}/{sub_path}"
        written.append(rel)
        return rel

    def _link(self, source_rel: str, sub_path: str, written: list[str]) -> str:
        """A second name for an already written file (no extra disk space)."""
        if not source_rel:
            return ""
        target = self.outputs_dir / sub_path
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(self.absolute(source_rel), target)
        except OSError as exc:
            if exc.errno in _FULL_ERRNOS:
                raise StorageFullError(f"no space left to write {target}") from exc
            raise
        rel = f"{URL_PREFIX}/{sub_path}"
        written.append(rel)
        return rel
