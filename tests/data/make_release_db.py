"""Writes tests/data/alprd-<version>.db: a small database made by this release's code, kept
so that later releases prove their migrations open it and keep its rows
(tests/storage/test_upgrade.py). Run once per release that changes the schema:

    python tests/data/make_release_db.py
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from alprd import __version__
from alprd.domain.messages import Box, Detection, ImageResult, OcrResult, PlateRead
from alprd.domain.packs import load_pack
from alprd.storage.db import open_database
from alprd.storage.files import StoredImages
from alprd.storage.repository import Repository

# (plate text, vehicle class or None for a plate without its vehicle, location, time)
ROWS = [
    ("B1234XYZ", "car", "Gate 1", datetime(2026, 11, 30, 7, 15, 2)),
    ("D5678AB", "motorcycle", "Gate 1", datetime(2026, 11, 30, 8, 40, 31)),
    ("AB123CD", None, "Gate 2", datetime(2026, 12, 1, 17, 5, 0)),
]


def main() -> int:
    out = Path(__file__).with_name(f"alprd-{__version__}.db")
    out.unlink(missing_ok=True)
    db = open_database(out)
    repo = Repository(db, load_pack("id"))
    for i, (text, cls, location, when) in enumerate(ROWS):
        vehicle = Detection(Box(10, 10, 600, 400), 0.91, cls) if cls else None
        plate = Detection(Box(200, 300, 320, 340), 0.88, "plate")
        read = PlateRead(plate, OcrResult(text, 0.9 - i / 100), vehicle=vehicle)
        result = ImageResult(640, 480, (vehicle,) if vehicle else (), (read,))
        repo.save_image_result(result, StoredImages(), location=location, detected_at=when, processing_time_s=0.2)
    repo.set_status("B1234XYZ", "whitelist")
    repo.sync_all_statuses()
    repo.create_location("Gate 1", "entrance")
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute_sql("PRAGMA journal_mode=DELETE")  # one self-contained file
    db.execute_sql("VACUUM")
    db.close()
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
