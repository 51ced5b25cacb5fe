"""Test sets: found beside the clone, or fetched from a pinned source (here a local HTTP server)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from alprd.ops import datasets
from alprd.ops.datasets import COMPLETE, DatasetError, DatasetSource, fetch, locate, manifest, why_missing

SOURCE = DatasetSource("tiny", "two labelled files", "test", "https://example.invalid/tiny/")


@pytest.fixture
def served(tmp_path: Path):
    """A folder of two files over HTTP on 127.0.0.1, and their manifest."""
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (folder / "a.txt").write_text("a.jpg\t1\t2\t3\t4\tAB123\n")
    files = [(hashlib.sha256((folder / n).read_bytes()).hexdigest(), n) for n in ("a.jpg", "a.txt")]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", files
    server.shutdown()
    server.server_close()


def test_fetch_checks_every_file_then_marks_the_set_complete(tmp_path: Path, served) -> None:
    url, files = served
    cache = tmp_path / "cache"
    dest = fetch(SOURCE, cache, base_url=url, files=files)
    assert dest == cache / "tiny" and (dest / COMPLETE).is_file()
    assert (dest / "a.txt").read_text().endswith("AB123\n")
    assert locate("tiny", shared=tmp_path / "no-shared", cache=cache) == dest
    # complete: a second fetch does not download (the server is not even asked)
    assert fetch(SOURCE, cache, base_url="http://127.0.0.1:9/", files=files) == dest


def test_a_file_with_another_hash_leaves_nothing_behind(tmp_path: Path, served) -> None:
    url, files = served
    cache = tmp_path / "cache"
    bad = [files[0], ("0" * 64, files[1][1])]
    with pytest.raises(DatasetError, match="a.txt does not match the pinned sha256"):
        fetch(SOURCE, cache, base_url=url, files=bad)
    assert list(cache.iterdir()) == []
    assert locate("tiny", shared=tmp_path / "no-shared", cache=cache) is None


def test_offline_fetch_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="tiny: cannot download http://127.0.0.1:9/a.jpg"):
        fetch(SOURCE, tmp_path, base_url="http://127.0.0.1:9/", files=[("0" * 64, "a.jpg")])


def test_the_shared_copy_comes_first(tmp_path: Path) -> None:
    (tmp_path / "shared" / "tiny").mkdir(parents=True)
    (tmp_path / "cache" / "tiny").mkdir(parents=True)  # not complete: ignored anyway
    assert locate("tiny", shared=tmp_path / "shared", cache=tmp_path / "cache") == tmp_path / "shared" / "tiny"


def test_skip_reasons_name_the_set_and_what_to_do(tmp_path: Path) -> None:
    fetchable = why_missing("openalpr-eu", shared=tmp_path / "s", cache=tmp_path / "c")
    assert "'openalpr-eu'" in fetchable and "python -m alprd.ops.datasets fetch" in fetchable
    assert "no pinned public source" in why_missing("vehicle-types", shared=tmp_path / "s", cache=tmp_path / "c")


def test_openalpr_eu_is_pinned_file_by_file() -> None:
    source = datasets.find("openalpr-eu")
    files = manifest(source)
    assert source.base_url and "/1bafb5be794cef994b9c4a073ea4aa8e2b36206e/" in source.base_url
    names = {name for _, name in files}
    assert len(files) == 216 and {"eu1.jpg", "eu1.txt", "test_097.txt"} <= names
    assert all(len(digest) == 64 and int(digest, 16) >= 0 for digest, _ in files)


def test_the_manifest_matches_the_shared_copy() -> None:
    shared = datasets.SHARED_DATASETS / "openalpr-eu"
    if not shared.is_dir():
        pytest.skip(datasets.why_missing("openalpr-eu"))
    for digest, name in manifest(datasets.find("openalpr-eu")):
        assert hashlib.sha256((shared / name).read_bytes()).hexdigest() == digest, name
