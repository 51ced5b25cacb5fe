"""Shared fixtures. Tests mirror the stages: tests/capture, tests/vision, tests/gate, ...

Third-party data (labelled sets, Intel's vehicle models) lies beside the clone in
../shared, or (sets with a pinned public source) is fetched into .cache/datasets by
tools/test.sh; a test whose data is in neither place is skipped with the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alprd.ops import datasets

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS = REPO_ROOT / "models"  # alprd's models dir ('alprd models fetch' fills it)


class Datasets:
    """``datasets_dir / "openalpr-eu"`` is that set's folder wherever it was found; a set
    found nowhere skips the test (``datasets.why_missing`` gives the reason)."""

    def __truediv__(self, name: str) -> Path:
        found = datasets.locate(name)
        if found is None:
            pytest.skip(datasets.why_missing(name))
        return found


@pytest.fixture(scope="session")
def datasets_dir() -> Datasets:
    return Datasets()


@pytest.fixture(scope="session")
def ov_core():
    """One OpenVINO Core for the whole test session (as the daemon has one per process)."""
    from alprd.vision.ov_model import make_core

    return make_core()
