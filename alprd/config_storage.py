"""Storage settings (the ``storage:`` section): where rows and images go, and the gate's
identity stored with each detection (fleet mode: many gates on one PostgreSQL database).

Kept apart from :mod:`alprd.config` so each module stays short; ``alprd.config`` re-exports
:class:`StorageConfig`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, StringConstraints

from alprd.config_camera import StrictModel

Name = Annotated[str, StringConstraints(max_length=64, pattern=r"^[A-Za-z0-9 _.-]*$")]
PostgresUrl = Annotated[str, StringConstraints(pattern=r"^postgres(ql)?://[^/]+/[^/?#]+")]
BaseUrl = Annotated[str, StringConstraints(max_length=200, pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$")]


class StorageConfig(StrictModel):
    database: PostgresUrl | Path = Field(
        Path("data/alprd.db"),
        union_mode="left_to_right",
        description="SQLite database file, or a PostgreSQL database (fleet): postgresql://user:pass@host:port/db",
    )
    outputs_dir: Path = Field(Path("outputs"), description="Images: originals, crops, annotated.")
    held_file: Path = Field(
        Path("data/held-events.db"),
        description="PostgreSQL only: events held while the server cannot be reached, kept across restarts "
        "(a SQLite file; their images stay in outputs_dir).",
    )
    retention_days: int = Field(90, ge=1, le=3650, description="Rows and images older are deleted.")
    outputs_max_mb: int = Field(10_000, ge=10, le=10_000_000, description="Oldest images are deleted above this size.")
    busy_timeout_ms: int = Field(5000, ge=100, le=60_000, description="SQLite busy timeout; PostgreSQL: connect.")
    max_stored_image_mp: float = Field(
        8.3,
        ge=0.1,
        le=40,
        description="Stored images (originals, annotated, crops) above this many megapixels are scaled "
        "down before saving (8.3: 3840x2160 fits); boxes and image_resolution stay the analysed image's.",
    )
    site: Name = Field("", description="This gate's site (car park, building), stored with each detection.")
    gate: Name = Field(
        "", description="This gate's name, stored with each detection; the API's gate filter (README: Fleet mode)."
    )
    gate_urls: dict[Name, BaseUrl] = Field(
        {},
        description="Central daemon: each gate's base URL (north: http://north.lan:8000); an image stored by "
        "another gate is answered with a redirect to that gate (README: Fleet mode).",
    )
