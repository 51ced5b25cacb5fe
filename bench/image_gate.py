"""Central daemon: how long finding an image's gate takes (``Repository.gate_of_image``,
asked for every image of another gate the dashboard shows), with the image-path indexes
of migration 11 and without them, one after the other on the same PostgreSQL database.

A throwaway server (tests/pg_server.py, Debian's postgresql) gets ``--events`` events
seeded as bench/api.py seeds them; each lookup is one of the session, vehicle or plate
image paths of a random stored event, or a path no row names.

    python3 bench/image_gate.py --events 300000 --lookups 300
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alprd.domain.packs import load_pack  # noqa: E402
from alprd.storage.db import open_database  # noqa: E402
from alprd.storage.migrations_pg import IMAGE_PATH_COLUMNS  # noqa: E402
from alprd.storage.repository import Repository  # noqa: E402
from bench.api import seed  # noqa: E402
from tests.pg_server import running_server  # noqa: E402


def lookups(events: int, n: int) -> list[str]:
    rng = random.Random(7)
    kinds = ("outputs/vehicles/crops/{}_v1.jpg", "outputs/plates/crops/{}_p1.jpg", "outputs/none/{}.jpg")
    return [rng.choice(kinds).format(rng.randint(1, events)) for _ in range(n)]


def timed(repo: Repository, paths: list[str]) -> tuple[float, float]:
    took = []
    for path in paths:
        started = time.perf_counter()
        repo.gate_of_image(path)
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return statistics.median(took), took[int(0.99 * (len(took) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--lookups", type=int, default=300)
    args = parser.parse_args()
    with running_server() as server:
        url = server.new_database()
        print(f"seeding {args.events:,} events: {seed(url, args.events):.0f} s", flush=True)
        db = open_database(url)
        repo = Repository(db, load_pack("id"))
        paths = lookups(args.events, args.lookups)
        timed(repo, paths[:20])  # warm the cache
        p50, p99 = timed(repo, paths)
        print(f"with the indexes:    p50 {p50:7.2f} ms  p99 {p99:7.2f} ms")
        for table, column in IMAGE_PATH_COLUMNS:
            db.execute_sql(f"DROP INDEX idx_{table}_{column}")
        db.execute_sql("ANALYZE")
        timed(repo, paths[:20])
        p50, p99 = timed(repo, paths)
        print(f"without the indexes: p50 {p50:7.2f} ms  p99 {p99:7.2f} ms")
        db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
