"""Put registered model files in place, checking every hash (``alprd models fetch``).

Wheels come from PyPI through pip (``pip download --no-deps``); publisher files from
their URL, or from a local mirror folder holding known copies. A file already in place
with the right hash is left alone. Any mismatch raises ModelError and leaves nothing
half-written behind.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from alprd.errors import ModelError
from alprd.ops.model_registry import Committed, ModelSource, SourceFile, UrlFile, WheelFile
from alprd.vision.ov_model import file_digest

DOWNLOAD_TIMEOUT_S = 60.0


def digest_matches(path: Path, digest: str) -> bool:
    """``digest`` is "sha256:<hex>", "sha384:<hex>" or a bare sha256 hex."""
    algorithm, _, value = digest.rpartition(":")
    return path.is_file() and file_digest(path, algorithm or "sha256") == value


@dataclass(frozen=True, slots=True)
class FetchResult:
    dest: Path
    how: str  # "present", "downloaded", "mirror", "wheel", "committed", "bundled"


def _install(tmp: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(tmp), str(dest))


def _pip_download(package: str, version: str, workdir: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary",
        ":all:",
        "-d",
        str(workdir),
        f"{package}=={version}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        raise ModelError(f"pip download {package}=={version} failed: {tail[0]}")


def fetch_wheel_file(item: WheelFile, models_dir: Path, wheel_dir: Path | None = None) -> FetchResult:
    dest = models_dir / item.dest
    if digest_matches(dest, item.sha256):
        return FetchResult(dest, "present")
    with tempfile.TemporaryDirectory(prefix="alprd-fetch-") as tmp_name:
        tmp = Path(tmp_name)
        wheel = (wheel_dir / item.wheel) if wheel_dir and (wheel_dir / item.wheel).is_file() else None
        if wheel is None:
            _pip_download(item.package, item.version, tmp)
            wheel = tmp / item.wheel
        if not digest_matches(wheel, item.wheel_sha256):
            raise ModelError(f"{item.wheel}: sha256 differs from the pinned {item.wheel_sha256[:12]}…")
        out = tmp / "member"
        with zipfile.ZipFile(wheel) as zf, zf.open(item.member) as src, out.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        if not digest_matches(out, item.sha256):
            raise ModelError(f"{item.member} in {item.wheel}: sha256 differs from the pinned value")
        _install(out, dest)
    return FetchResult(dest, "wheel")


def _download(url: str, out: Path) -> None:
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, out.open("wb") as f:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=out.name, leave=False) as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    f.write(block)
                    bar.update(len(block))
    except urllib.error.HTTPError as exc:
        raise ModelError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise ModelError(
            f"cannot download {url}: {getattr(exc, 'reason', exc)} "
            "(no internet? on an offline machine use --mirror DIR with a copy of the files)"
        ) from exc


def fetch_url_file(
    item: UrlFile, models_dir: Path, mirror: Path | None = None, base_url: str | None = None
) -> FetchResult:
    """From ``mirror`` when it holds a known copy, else from the URL (``base_url`` replaces
    the URL's folder, for tests with a local server)."""
    dest = models_dir / item.dest
    if digest_matches(dest, item.digest) or (item.mirror_sha256 and digest_matches(dest, item.mirror_sha256)):
        return FetchResult(dest, "present")
    if mirror is not None:
        copy = mirror / item.name
        if copy.is_file() and (
            digest_matches(copy, item.digest) or (item.mirror_sha256 and digest_matches(copy, item.mirror_sha256))
        ):
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(copy, dest)
            return FetchResult(dest, "mirror")
        if copy.is_file():
            raise ModelError(f"{copy}: hash matches neither the publisher's file nor the known copy")
    url = item.url if base_url is None else base_url.rstrip("/") + "/" + item.url.rsplit("/", 1)[1]
    with tempfile.TemporaryDirectory(prefix="alprd-fetch-") as tmp_name:
        out = Path(tmp_name) / item.name
        _download(url, out)
        if not digest_matches(out, item.digest):
            raise ModelError(f"{url}: downloaded file does not match the pinned {item.digest[:20]}…")
        _install(out, dest)
    return FetchResult(dest, "downloaded")


def bundled_copy(item: Committed) -> Path | None:
    """The copy of a committed model that came with alprd: inside the installed package
    (``alprd.bundled_models``: the wheel carries models/), else a clone's models/."""
    spec = importlib.util.find_spec("alprd.bundled_models")
    roots = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    roots.append(Path(__file__).resolve().parents[2] / "models")
    return next((root / item.dest for root in roots if (root / item.dest).is_file()), None)


def check_committed(item: Committed, models_dir: Path) -> FetchResult:
    """A committed model in place: already there (a clone's models/), or copied from the
    installed package; either way its sha256 is the model card's."""
    dest = models_dir / item.dest
    how = "committed"
    if not dest.is_file():
        copy = bundled_copy(item)
        if copy is None:
            raise ModelError(f"{dest}: committed model file missing (git checkout; git lfs is not used)")
        if not digest_matches(copy, item.sha256):
            raise ModelError(f"{copy}: sha256 differs from the model card's {item.sha256[:12]}…")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(copy, dest)
        how = "bundled"
    if not digest_matches(dest, item.sha256):
        raise ModelError(f"{dest}: sha256 differs from the model card's {item.sha256[:12]}…")
    return FetchResult(dest, how)


def fetch_file(
    item: SourceFile,
    models_dir: Path,
    *,
    mirror: Path | None = None,
    base_url: str | None = None,
    wheel_dir: Path | None = None,
) -> FetchResult:
    if isinstance(item, WheelFile):
        return fetch_wheel_file(item, models_dir, wheel_dir)
    if isinstance(item, UrlFile):
        return fetch_url_file(item, models_dir, mirror, base_url)
    return check_committed(item, models_dir)


def fetch(source: ModelSource, models_dir: Path, **kwargs: object) -> list[FetchResult]:
    """Every file of one source in place (see ``fetch_file`` for the keyword options)."""
    return [fetch_file(item, models_dir, **kwargs) for item in source.files]  # type: ignore[arg-type]


def status(source: ModelSource, models_dir: Path) -> str:
    """'ok', 'missing' or 'BAD HASH' for ``alprd models list``."""
    states = []
    for item in source.files:
        dest = models_dir / item.dest
        if not dest.is_file():
            states.append("missing")
            continue
        digests = [item.digest, item.mirror_sha256] if isinstance(item, UrlFile) else [item.sha256]
        states.append("ok" if any(d and digest_matches(dest, d) for d in digests) else "BAD HASH")
    return "ok" if all(s == "ok" for s in states) else ("missing" if "missing" in states else "BAD HASH")
