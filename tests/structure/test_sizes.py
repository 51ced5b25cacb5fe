"""Modules stay short and docs stay one screen: the limits of issue 16, checked."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 400
MAX_DOC_WORDS = 3000


def test_no_module_in_alprd_is_over_400_lines():
    long = {
        str(p.relative_to(REPO)): n
        for p in sorted((REPO / "alprd").rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_file_in_docs_is_over_3000_words():
    wordy = {
        str(p.relative_to(REPO)): n
        for p in sorted((REPO / "docs").rglob("*.md"))
        if (n := len(p.read_text(encoding="utf-8").split())) > MAX_DOC_WORDS
    }
    assert wordy == {}
