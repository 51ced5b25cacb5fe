"""The daemon's storage start-up and REST API with a stand-in plate reader, as a process a
test can kill -9: ``python stub_server.py BASE_DIR PORT_FILE``.

It opens storage exactly as the daemon does (``open_storage``: migrations, then removal of
the files of interrupted saves) and serves with ``start_api``; only inference is a stub, so
a kill loop costs no model compilation.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_helpers import StubPipeline, make_config  # noqa: E402

from alprd.log import configure_logging  # noqa: E402
from alprd.storage.startup import open_storage  # noqa: E402
from alprd.web.app import create_app  # noqa: E402
from alprd.web.server import start_api  # noqa: E402


async def serve(base_dir: Path, port_file: Path) -> None:
    config = make_config(base_dir)
    repository, _store = open_storage(config)
    app = create_app(config, repository=repository, pipeline=StubPipeline())
    runner = await start_api(app, config.server, port=0)
    tmp = port_file.with_suffix(".tmp")
    tmp.write_text(str(runner.addresses[0][1]))
    tmp.replace(port_file)
    await asyncio.Event().wait()


if __name__ == "__main__":
    configure_logging("json")
    asyncio.run(serve(Path(sys.argv[1]), Path(sys.argv[2])))
