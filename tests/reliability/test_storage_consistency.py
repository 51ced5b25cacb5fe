"""Files and rows agree: an interrupted save leaves no orphan once the daemon restarts, and
an upload answers with what it stored even when a DELETE removes it at once."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import numpy as np
from aiohttp import FormData
from reliability_helpers import StubPipeline, jpeg

from alprd.errors import NotFoundError
from alprd.storage.files import ImageStore
from alprd.web.app import create_app


def _jpgs(root) -> set[str]:
    return {str(p.relative_to(root.parent)) for p in root.rglob("*.jpg")}


def test_files_of_a_save_whose_rows_never_committed_are_removed_at_start_up(tmp_path, repository, config):
    store = ImageStore(config.resolve(config.storage.outputs_dir))
    image = np.full((120, 160, 3), 90, np.uint8)
    committed = store.save(when=datetime(2026, 1, 2, 3, 4, 5), original=image, annotated=image)
    result = StubPipeline().read_image(image)
    repository.save_image_result(result, committed, location="", detected_at=datetime.now(), processing_time_s=0.1)
    store.settle(committed)
    # the process dies after writing these files and before their rows commit:
    lost = store.save(when=datetime(2026, 1, 2, 3, 4, 5), original=image, annotated=image, plate_crops=[image])
    assert len(lost.all_paths()) == 4
    assert set(lost.all_paths()) <= _jpgs(store.outputs_dir)
    removed = ImageStore(store.outputs_dir).recover(repository.is_image_referenced)  # the next start
    assert removed == 4
    assert _jpgs(store.outputs_dir) == set(committed.all_paths())
    assert list((store.outputs_dir / ".pending").iterdir()) == []


async def test_an_upload_answers_200_even_when_a_delete_removes_it_at_once(aiohttp_client, config, repository):
    """The DELETE lands between the upload's commit and its answer (8 of 276 got 404)."""
    real_save = repository.save_image_result
    deleted = threading.Event()

    def save_then_race(*args, **kwargs):
        session_id = real_save(*args, **kwargs)

        def delete_it():  # as a client would: once the session is visible, delete it
            for _ in range(1000):
                try:
                    session = repository.get_session(session_id)
                    break
                except NotFoundError:
                    time.sleep(0.01)
            for plate in session.plates:
                repository.delete_plate(plate.id)
            deleted.set()

        threading.Thread(target=delete_it).start()
        deleted.wait(2.0)  # waits for the DELETE unless the upload still holds its transaction
        return session_id

    repository.save_image_result = save_then_race  # type: ignore[method-assign]
    client = await aiohttp_client(create_app(config, repository=repository, pipeline=StubPipeline()))
    form = FormData()
    form.add_field("file", jpeg(), filename="car.jpg", content_type="image/jpeg")
    resp = await client.post("/detect/image", data=form)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["list_vehicle_and_plate_information"][0]["plate"]["plate_text"] == "B1234CD"
    assert deleted.wait(10)
    assert (await client.get("/api/sessions")).status == 200
