"""A small tmpfs that a test can fill to the last byte and empty again (root only)."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest


class SmallFilesystem:
    def __init__(self, path: Path, size_kib: int) -> None:
        self.path = path
        self.size_kib = size_kib
        self._filler = path / "filler"

    def mount(self) -> SmallFilesystem:
        if os.geteuid() != 0:
            pytest.skip("a full filesystem needs a tmpfs mount: run as root (CI does)")
        self.path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={self.size_kib}k", "tmpfs", str(self.path)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        return self

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False)

    def fill(self) -> None:
        """Write until ENOSPC: not one more byte fits."""
        with open(self._filler, "ab", buffering=0) as fh:
            for size in (64 * 1024, 4096, 512, 1):
                try:
                    while True:
                        fh.write(b"\0" * size)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)
