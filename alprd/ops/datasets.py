"""Third-party labelled sets for tests and ``alprd eval``: found beside the clone or fetched.

A set is looked up in this order:
1. ``../shared/datasets/<name>`` (offline copies kept beside the repository; CI has them);
2. ``.cache/datasets/<name>`` in the repository, filled by ``python -m alprd.ops.datasets
   fetch`` from the set's pinned public source: every file from a fixed commit, each
   checked against the sha256 in ``alprd/ops/data/<name>.sha256``.
A set with no public source that can be pinned (the Kaggle and mixed-source sets) comes
only from (1). ``locate`` returns None when a set is in neither place; ``why_missing``
says why, for a test's skip reason.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from alprd.errors import AlprdError
from alprd.ops.model_fetch import _download, digest_matches

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATASETS = REPO_ROOT.parent / "shared" / "datasets"
CACHE_DATASETS = REPO_ROOT / ".cache" / "datasets"
COMPLETE = ".complete"  # written last into a fetched set: every file is in place and checked


class DatasetError(AlprdError):
    """A set could not be fetched (network, or a file whose hash is not the pinned one)."""


@dataclass(frozen=True, slots=True)
class DatasetSource:
    name: str
    what: str
    licence: str
    base_url: str | None  # files are base_url + name; None: no public source pinned
    manifest: str | None = None  # package data file in alprd/ops/data: "<sha256>  <file>" lines


OPENALPR_BENCHMARKS = "https://raw.githubusercontent.com/openalpr/benchmarks/1bafb5be794cef994b9c4a073ea4aa8e2b36206e/"

SOURCES: tuple[DatasetSource, ...] = (
    DatasetSource(
        "openalpr-eu",
        "108 photos of cars with European plates, one .txt label each (openalpr/benchmarks endtoend/eu)",
        "AGPL-3.0 (openalpr/benchmarks)",
        OPENALPR_BENCHMARKS + "endtoend/eu/",
        "openalpr-eu.sha256",
    ),
    DatasetSource(
        "openalpr-us-crops",
        "745 US plate crops with a groundtruth.csv made for alprd (from openalpr/benchmarks seg_and_ocr)",
        "AGPL-3.0",
        None,
    ),
    DatasetSource("indonesia-plate-crops", "1,615 Indonesian plate crops (Kaggle, login needed)", "not stated", None),
    DatasetSource("vehicle-types", "2,100 vehicle crops (Indonesian photos and Open Images)", "CC BY", None),
    DatasetSource("openlpr-plates", "1,463 photos with plate boxes (OpenLPR)", "Apache-2.0", None),
)


def find(name: str) -> DatasetSource:
    for source in SOURCES:
        if source.name == name:
            return source
    raise KeyError(name)


def manifest(source: DatasetSource) -> list[tuple[str, str]]:
    """(sha256, file name) of every file of a fetchable set, from its package data."""
    if source.manifest is None:
        return []
    text = (resources.files("alprd.ops") / "data" / source.manifest).read_text(encoding="utf-8")
    rows = [line.split(maxsplit=1) for line in text.splitlines() if line.strip()]
    return [(digest, file.strip()) for digest, file in rows]


def locate(name: str, shared: Path = SHARED_DATASETS, cache: Path = CACHE_DATASETS) -> Path | None:
    """The folder of set ``name``: the shared copy, else a completely fetched one, else None."""
    if (shared / name).is_dir():
        return shared / name
    if (cache / name / COMPLETE).is_file():
        return cache / name
    return None


def why_missing(name: str, shared: Path = SHARED_DATASETS, cache: Path = CACHE_DATASETS) -> str:
    """One sentence for a test's skip reason."""
    try:
        source = find(name)
    except KeyError:
        return f"test set '{name}' is not registered in alprd/ops/datasets.py"
    if source.base_url is None:
        return f"test set '{name}' not found in {shared} (no pinned public source to fetch it from)"
    return (
        f"test set '{name}' not found in {shared} nor fetched into {cache} "
        "(python -m alprd.ops.datasets fetch; tools/test.sh runs it)"
    )


def fetch(
    source: DatasetSource,
    cache: Path = CACHE_DATASETS,
    base_url: str | None = None,
    files: list[tuple[str, str]] | None = None,
) -> Path:
    """Every file of ``source`` into ``cache/<name>``, sha256-checked; a set already complete
    is left alone. Nothing half-fetched is left under the set's name. ``base_url`` replaces
    the source's and ``files`` its manifest (tests serve a small set from 127.0.0.1)."""
    dest = cache / source.name
    if (dest / COMPLETE).is_file():
        return dest
    base = base_url or source.base_url
    if base is None:
        raise DatasetError(f"{source.name}: no public source pinned; copy it into {SHARED_DATASETS}")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{source.name}-", dir=cache) as tmp_name:
        tmp = Path(tmp_name)
        for digest, file in manifest(source) if files is None else files:
            out = tmp / file
            try:
                _download(base.rstrip("/") + "/" + file, out)
            except AlprdError as exc:
                raise DatasetError(f"{source.name}: {exc}") from exc
            if not digest_matches(out, digest):
                raise DatasetError(f"{source.name}: {file} does not match the pinned sha256 {digest[:12]}…")
        (tmp / COMPLETE).write_text(f"{base}\n", encoding="utf-8")
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
        tmp.mkdir()  # TemporaryDirectory removes its (now empty) folder on exit
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alprd.ops.datasets", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="each set and where it is")
    f = sub.add_parser("fetch", help="fetch the sets that have a pinned source and are not beside the clone")
    f.add_argument("names", nargs="*", help="sets to fetch (default: every fetchable one)")
    f.add_argument("--base-url", help="fetch from this folder URL instead of the pinned source")
    args = parser.parse_args(argv)
    if args.command == "list":
        for source in SOURCES:
            print(f"{source.name:24} {locate(source.name) or 'absent':60} {source.licence}")
        return 0
    names = args.names or [s.name for s in SOURCES if s.base_url is not None]
    failed = 0
    for name in names:
        if (found := locate(name)) is not None:
            print(f"{name}: {found}")
            continue
        try:
            print(f"{name}: {fetch(find(name), base_url=args.base_url)} (fetched)")
        except (KeyError, DatasetError) as exc:
            print(f"{name}: not fetched: {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
