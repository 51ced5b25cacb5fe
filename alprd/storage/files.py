"""Image files under ``outputs/``: originals, annotated images and crops, written atomically.

Layout (the paths the REST API returns, relative to the outputs folder's parent name
``outputs``)::

    outputs/uploaded/<stamp>_uploaded-image.jpg   original (<stamp>_2_... for a second
                                                  image in the same second, and so on)
    outputs/plates/<stamp>_plate.jpg              annotated image
    outputs/vehicles/<stamp>_vehicle.jpg          annotated image (hard link, no extra space)
    outputs/vehicles/crops/<token>_v<n>.jpg       one per vehicle
    outputs/plates/crops/<token>_p<n>.jpg         one per plate

``<stamp>`` is the time (``2025-06-07_12-34-56``), followed on a fleet gate by the gate's
name (``storage.gate``: ``2025-06-07_12-34-56_north``): gates that share one database
write to disks of their own, and a name two gates took in the same second would let the
central send a client to the wrong gate's file.

Every file is encoded in memory, written to a temporary file in ``outputs/.pending`` and
linked or renamed into place, so a reader never sees half a JPEG. A full disk raises
StorageFullError and removes whatever this save had written. An image above
``max_pixels`` (``storage.max_stored_image_mp``) is scaled down first, so a small upload of
a huge, well-compressed image cannot store many times its size.

No orphans after a crash: before a file is created its path is appended to the save's
journal (``outputs/.pending/<token>.paths``); the caller ``settle``s the save once the rows
that name the files have committed. At start-up ``recover`` deletes every journalled file
that no row references (the process died between the files and the commit) and empties
``.pending``: a cost of a few queries per interrupted save, not a walk of ``outputs/``.
"""

from __future__ import annotations

import errno
import math
import os
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

import cv2
import numpy as np

from alprd.config import Config, StorageConfig
from alprd.domain.messages import Box, ImageResult
from alprd.errors import BadInputError, StorageFullError

URL_PREFIX = "outputs"
PENDING_DIR = ".pending"
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _megapixels(mp: float) -> int:
    return int(mp * 1_000_000)


_DEFAULT_MAX_PIXELS = _megapixels(StorageConfig().max_stored_image_mp)


@dataclass(frozen=True, slots=True)
class StoredImages:
    """Relative paths (``outputs/...``) of the files saved for one image or event."""

    original: str = ""
    annotated: str = ""
    vehicle_annotated: str = ""
    vehicle_crops: tuple[str, ...] = ()  # same order as ImageResult.vehicles
    plate_crops: tuple[str, ...] = ()  # same order as ImageResult.reads
    journal: str = field(default="", compare=False)  # file name in .pending until settled

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


def fit_pixels(image: np.ndarray, max_pixels: int) -> np.ndarray:
    """``image`` scaled down (aspect ratio kept) to at most ``max_pixels``; itself when it fits."""
    h, w = image.shape[:2]
    if h * w <= max_pixels:
        return image
    scale = math.sqrt(max_pixels / (h * w))
    new_h = max(1, int(h * scale))
    new_w = max(1, min(int(w * scale), max_pixels // new_h))
    return cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise BadInputError("image could not be encoded as JPEG")
    return buf.tobytes()


class ImageStore:
    """Writes and deletes the image files of detections under one outputs folder."""

    def __init__(
        self, outputs_dir: Path, *, jpeg_quality: int = 90, max_pixels: int = _DEFAULT_MAX_PIXELS, gate: str = ""
    ) -> None:
        self.outputs_dir = Path(outputs_dir)
        self.jpeg_quality = jpeg_quality
        self.max_pixels = max_pixels
        self.gate_tag = re.sub(r"[^A-Za-z0-9_-]", "-", gate)  # in every file stem: unique across a fleet

    @classmethod
    def from_config(cls, config: Config) -> ImageStore:
        storage = config.storage
        return cls(
            config.resolve(storage.outputs_dir), max_pixels=_megapixels(storage.max_stored_image_mp), gate=storage.gate
        )

    def _encode(self, image: np.ndarray) -> bytes:
        return encode_jpeg(fit_pixels(image, self.max_pixels), self.jpeg_quality)

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
        journal = _Journal(self.outputs_dir / PENDING_DIR / f"{token}.paths")
        try:
            stamp = f"{file_stamp(when)}_{self.gate_tag}" if self.gate_tag else file_stamp(when)
            original_path, stem = self._write_original(stamp, token, original, written, journal)
            annotated_path = self._write(f"plates/{stem}_plate.jpg", annotated, written, journal)
            vehicle_annotated = self._link(annotated_path, f"vehicles/{stem}_vehicle.jpg", written, journal)
            vehicles = tuple(
                self._write(f"vehicles/crops/{token}_v{i}.jpg", c, written, journal)
                for i, c in enumerate(vehicle_crops, 1)
            )
            plates = tuple(
                self._write(f"plates/crops/{token}_p{i}.jpg", c, written, journal) for i, c in enumerate(plate_crops, 1)
            )
        except BaseException:
            self.delete(written)
            journal.remove()
            raise
        return StoredImages(
            original_path, annotated_path, vehicle_annotated, vehicles, plates, journal=journal.name if written else ""
        )

    def settle(self, images: StoredImages) -> None:
        """The rows naming these files have committed: the files are no longer pending."""
        if images.journal:
            (self.outputs_dir / PENDING_DIR / images.journal).unlink(missing_ok=True)

    def discard(self, images: StoredImages) -> None:
        """The rows were not stored: remove the files and their journal."""
        self.delete(images.all_paths())
        self.settle(images)

    def recover(self, is_referenced: Callable[[str], bool]) -> int:
        """At start-up, before anything writes: delete journalled files that no row
        references and empty ``.pending``; returns how many files were removed."""
        pending = self.outputs_dir / PENDING_DIR
        if not pending.is_dir():
            return 0
        removed = 0
        for entry in sorted(pending.iterdir()):
            if entry.suffix == ".paths":
                paths = [p for p in entry.read_text(encoding="utf-8", errors="replace").splitlines() if p]
                removed += self.delete(p for p in dict.fromkeys(paths) if not is_referenced(p))
            entry.unlink(missing_ok=True)
        return removed

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

    def _write_original(
        self, stamp: str, token: str, image: np.ndarray | None, written: list[str], journal: _Journal
    ) -> tuple[str, str]:
        """Write the original under the first free name '<stamp>[_n]_uploaded-image.jpg'
        (os.link never overwrites, so two images of the same second get _2, _3, ...);
        returns its path and the stem the other files of this save share."""
        if image is None or image.size == 0:
            return "", f"{stamp}_{token}"
        data = self._encode(image)
        folder = self.outputs_dir / "uploaded"
        tmp = self.outputs_dir / PENDING_DIR / f"{token}.original.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(data)
            for n in range(1, 10_000):
                stem = stamp if n == 1 else f"{stamp}_{n}"
                rel = f"{URL_PREFIX}/uploaded/{stem}_uploaded-image.jpg"
                journal.note(rel)  # before the name exists: a crash after the link is covered
                try:
                    os.link(tmp, folder / f"{stem}_uploaded-image.jpg")
                except FileExistsError:
                    continue
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

    def _write(self, sub_path: str, image: np.ndarray | None, written: list[str], journal: _Journal) -> str:
        if image is None or image.size == 0:
            return ""
        data = self._encode(image)
        target = self.outputs_dir / sub_path
        rel = f"{URL_PREFIX}/{sub_path}"
        tmp = self.outputs_dir / PENDING_DIR / f".{target.name}.tmp"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            journal.note(rel)
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
        written.append(rel)
        return rel

    def _link(self, source_rel: str, sub_path: str, written: list[str], journal: _Journal) -> str:
        """A second name for an already written file (no extra disk space)."""
        if not source_rel:
            return ""
        target = self.outputs_dir / sub_path
        rel = f"{URL_PREFIX}/{sub_path}"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            journal.note(rel)
            os.link(self.absolute(source_rel), target)
        except OSError as exc:
            if exc.errno in _FULL_ERRNOS:
                raise StorageFullError(f"no space left to write {target}") from exc
            raise
        written.append(rel)
        return rel


class _Journal:
    """The paths one save is about to create, appended before each is created (flushed to
    the kernel: it survives the process being killed, which is the crash it is for)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self._started = False

    def note(self, relative: str) -> None:
        if not self._started:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._started = True
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(relative + "\n")

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
