"""One schemathesis run against a live API on 127.0.0.1 (tests/web and tests/reliability)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_schemathesis(
    port: int,
    *,
    checks: str,
    seed: int,
    max_examples: int,
    cwd: Path,
    timeout_s: float,
    config_file: Path | None = None,
    headers: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """``schemathesis run`` over the app's /openapi.json: examples, coverage and fuzzing
    phases, 2 workers, no shrinking, a fixed seed; /api/events (an endless stream, no
    response ever completes: tests/web/test_web_live.py covers it) left out."""
    cmd = [sys.executable, "-m", "schemathesis.cli"]
    if config_file is not None:
        cmd += ["--config-file", str(config_file)]
    cmd += ["run", f"http://127.0.0.1:{port}/openapi.json", "--checks", checks]
    for header in headers:
        cmd += ["--header", header]
    cmd += [
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "2",
        "--no-shrink",
        "--request-timeout",
        "20",
        "--output-truncate",
        "true",
        "--exclude-path",
        "/api/events",
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, cwd=cwd)
