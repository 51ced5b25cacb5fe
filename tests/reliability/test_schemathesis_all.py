"""schemathesis with every check (``--checks all``: server errors, schema conformance, and
the negative ones: schema-invalid data must be refused, methods a path lacks must get 405,
missing or ignored auth, unsupported methods, ...) over /openapi.json, against the API
served as the daemon serves it (``start_api``, caps and timeouts on) with a stand-in reader.

With the API key set, so the auth checks have something to check. A bounded number of
examples per operation and a fixed seed keep it to about a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from live import LiveApi
from reliability_helpers import StubPipeline, make_config

from alprd.storage.files import ImageStore
from alprd.storage.repository import open_repository
from alprd.web.app import create_app
from tests.schemathesis_cli import run_schemathesis

API_KEY = "schemathesis-key-1"
MAX_EXAMPLES = 80


@pytest.fixture
def api(tmp_path: Path) -> Iterator[LiveApi]:
    config = make_config(tmp_path, api_key=API_KEY)
    repository = open_repository(config)
    store = ImageStore.from_config(config)
    pipeline = StubPipeline()
    for location in ("Gate 1", "Gate 2"):
        image = np.zeros((120, 160, 3), np.uint8)
        result = pipeline.read_image(image)
        images = store.save_result(image, result, annotated=image, when=datetime.now())
        repository.save_image_result(
            result, images, location=location, detected_at=datetime.now(), processing_time_s=0.2
        )
    repository.set_status("B1234CD", "whitelist")
    with LiveApi(create_app(config, repository=repository, pipeline=pipeline), config.server) as live:
        yield live
    repository.db.close()


def test_schemathesis_with_all_checks(api, tmp_path):
    proc = run_schemathesis(
        api.port,
        checks="all",
        seed=20261202,
        max_examples=MAX_EXAMPLES,
        cwd=tmp_path,
        timeout_s=300,
        config_file=Path(__file__).with_name("schemathesis.toml"),
        headers=(f"X-API-Key: {API_KEY}",),
    )
    (tmp_path / "schemathesis.txt").write_text(proc.stdout + proc.stderr)
    tail = (proc.stdout + proc.stderr)[-8000:]
    print(proc.stdout[-1500:])
    assert proc.returncode == 0, tail
    assert "Tested:" in proc.stdout or "passed" in proc.stdout, tail
