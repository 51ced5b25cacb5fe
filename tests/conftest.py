"""Shared fixtures. Tests mirror the stages: tests/capture, tests/inference, ..."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
DATASETS = SHARED / "datasets"
SHARED_MODELS = SHARED / "models"  # third-party models, read by path (never copied in)
MODELS = REPO_ROOT / "models"  # alprd's models dir ('alprd models fetch' fills it)


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    if not DATASETS.is_dir():
        pytest.fail(f"shared datasets not found at {DATASETS}")
    return DATASETS


@pytest.fixture(scope="session")
def ov_core():
    """One OpenVINO Core for the whole test session (as the daemon has one per process)."""
    from alprd.vision.ov_model import make_core

    return make_core()
