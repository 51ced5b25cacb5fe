"""REST API benchmark at scale: seed N events into a real SQLite file, serve, measure.

1. Seeds --events plate events (default 1,000,000: one session, one vehicle, one plate
   each, spread over the last 365 days) into a fresh database through the real schema
   (migrations, FTS trigger, aggregate-table triggers), with executemany in big
   transactions. Reports the seeding rate.
2. Starts the real aiohttp app (``create_app``) in a separate process on 127.0.0.1.
3. Latency, one request at a time (so it is the server's time, not queueing), N each:
   * ``/detections?limit=100&offset=<random within the matches>&search=<random 3-5
     characters of a stored plate>``,
   * ``/detections?limit=100&offset=<random 0..10,000>`` (no search),
   * ``/detections?limit=100&offset=…&vehicleType=truck&plateType=Public`` (two filters),
   * ``/api/statistics/dashboard``,
   * ``/detections?limit=100&offset=<random 0..N>`` (deep pages, N/4 samples);
   reports p50 / p99 / max in ms.
4. Throughput on a list endpoint (``/detections?limit=10``, and ``/api/plate/regions``)
   with wrk when installed (``apt-get install wrk``), else an aiohttp load client, with
   the CPU the server and the load client each used (they share the machine).

    nice -n 10 python bench/api.py --events 1000000

``--latency-only`` skips the throughput part. ``--cold`` first measures the latency of each
server over a database evicted from the OS page cache (``posix_fadvise(DONTNEED)``, as after
a reboot; no warm-up requests; servers freshly started) and shows how much of the file each
endpoint read in, then the usual warm pass. Each latency line is followed by its slowest
URLs. With ``--baseline`` the latency passes run for both servers.

``--baseline DIR`` also serves another source tree of alprd (e.g. the code before a
change: ``git archive COMMIT alprd bench | tar -x -C DIR``) over the same database,
checks that both answer every latency URL byte for byte the same, and measures the
throughput of both, alternately, in the same run.

The database is kept under bench/_work/ (git-ignored) and reused when it already holds
the requested number of events (``--reseed`` forces a fresh one).

``--database postgresql://user:pass@host:port/db`` runs it all on a PostgreSQL database
instead (fleet mode); a reseed drops and recreates its ``public`` schema. ``--cold`` is
SQLite's only (it evicts the database file).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / "_work"
sys.path.insert(0, str(REPO))

from alprd.config import Config, StorageConfig  # noqa: E402
from alprd.domain.packs import load_pack  # noqa: E402
from alprd.redact import mask_secrets  # noqa: E402
from alprd.storage.db import open_database  # noqa: E402
from alprd.storage.dialect import PostgresDatabase, is_postgres_url  # noqa: E402

Target = Path | str  # a SQLite file or a PostgreSQL URL

CLASSES = (("car", 70), ("motorcycle", 15), ("truck", 8), ("bus", 4), ("vehicle", 3))
BACKGROUNDS = (("Black", 60), ("White", 25), ("Yellow", 10), ("Red", 3), ("Green", 2))
LOCATIONS = ("Gate 1", "Gate 2", "Gate 3")
BATCH = 50_000


def weighted(rng: random.Random, table: tuple[tuple[str, int], ...], n: int) -> list[str]:
    names, weights = zip(*table)
    return rng.choices(names, weights=weights, k=n)


def plate_text(rng: random.Random, prefixes: list[str]) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    suffix = "".join(rng.choice(letters) for _ in range(rng.randint(0, 3)))
    return f"{rng.choice(prefixes)}{rng.randint(1, 9999)}{suffix}"


def insert_many(db, sql: str, rows: list[tuple]) -> None:
    if isinstance(db, PostgresDatabase):  # psycopg2's executemany is a round trip per row
        from psycopg2.extras import execute_values

        head, values = sql.split(" VALUES ")
        execute_values(db.cursor(), head + " VALUES %s", rows, page_size=2000)
    else:
        db.connection().executemany(sql, rows)


def seed(db_path: Target, events: int) -> float:
    """Insert ``events`` sessions/vehicles/plates; returns seconds taken."""
    db = open_database(db_path)
    pack = load_pack("id")
    rng = random.Random(42)
    prefixes = list(pack.regions)
    now = datetime.now().replace(microsecond=0)
    started = time.perf_counter()
    for start in range(0, events, BATCH):
        n = min(BATCH, events - start)
        classes = weighted(rng, CLASSES, n)
        backgrounds = weighted(rng, BACKGROUNDS, n)
        sessions, vehicles, plates = [], [], []
        for k in range(n):
            i = start + k + 1
            at = (now - timedelta(seconds=rng.randint(0, 365 * 86400))).strftime("%Y-%m-%d %H:%M:%S")
            text = plate_text(rng, prefixes)
            code, name = pack.region_for(text)
            stamp = at.replace(" ", "_").replace(":", "-")
            sessions.append(
                (
                    i,
                    at,
                    rng.choice(LOCATIONS),
                    "gate1",
                    "camera",
                    f"outputs/uploaded/{stamp}_{i}_uploaded-image.jpg",
                    f"outputs/plates/{stamp}_{i}_plate.jpg",
                    0.04,
                    1280,
                    720,
                )
            )
            vehicles.append((i, i, 1, classes[k], 0.9, 100, 100, 600, 500, f"outputs/vehicles/crops/{i}_v1.jpg", at))
            status = "whitelist" if i % 50 == 0 else ("blacklist" if i % 997 == 0 else "unknown")
            plates.append(
                (
                    i,
                    i,
                    i,
                    1,
                    text,
                    round(rng.uniform(0.6, 0.99), 3),
                    300,
                    400,
                    420,
                    440,
                    pack.plate_type_for(backgrounds[k]),
                    status,
                    code,
                    name,
                    "White",
                    backgrounds[k],
                    f"outputs/plates/crops/{i}_p1.jpg",
                    at,
                    classes[k],
                    0.9,
                )
            )
        with db.atomic():
            insert_many(
                db,
                "INSERT INTO detection_session (id, detected_at, location, camera_id, source, original_path, "
                "annotated_path, processing_time_s, image_width_px, image_height_px) VALUES (?,?,?,?,?,?,?,?,?,?)",
                sessions,
            )
            insert_many(
                db,
                "INSERT INTO vehicle (id, session_id, vehicle_index, vehicle_class, confidence, x1, y1, x2, y2, "
                "image_path, detected_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                vehicles,
            )
            insert_many(
                db,
                "INSERT INTO plate (id, session_id, vehicle_id, plate_index, plate_text, ocr_confidence, x1, y1, x2, "
                "y2, plate_type, plate_status, region_code, region_name, text_color, background_color, image_path, "
                "detected_at, vehicle_class, vehicle_confidence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                plates,
            )
        done = start + n
        rate = done / (time.perf_counter() - started)
        print(f"  seeded {done:>9,} events ({rate:,.0f}/s)", flush=True)
    if isinstance(db, PostgresDatabase):  # explicit ids: move the sequences past them
        for table in ("detection_session", "vehicle", "plate"):
            db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        db.execute_sql("VACUUM ANALYZE")
    else:
        db.execute_sql("PRAGMA optimize")
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return time.perf_counter() - started


def stored_events(db_path: Target) -> int:
    if isinstance(db_path, Path) and not db_path.exists():
        return 0
    db = open_database(db_path)
    try:
        return int(db.execute_sql("SELECT COUNT(*) FROM plate").fetchone()[0])
    finally:
        db.close()


def evict(db_path: Path) -> None:
    """Drop the database files' pages from the OS page cache (written pages are synced first)."""
    for suffix in ("", "-wal"):
        path = Path(f"{db_path}{suffix}")
        if path.exists():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def resident_mb(db_path: Target) -> str:
    """How much of the database file is in the OS page cache (util-linux ``fincore``), or '?'."""
    if not isinstance(db_path, Path) or not shutil.which("fincore"):
        return "?"
    out = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--output", "RES", str(db_path)], capture_output=True, text=True
    ).stdout.strip()
    return f"{int(out) / 1e6:,.0f} MB" if out.isdigit() else "?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tree: Path, db_path: Target) -> tuple[subprocess.Popen, str]:
    """The app of the source tree ``tree`` over ``db_path`` in a child process; (process, base URL)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, str(tree / "bench" / "api.py"), "--serve", str(db_path), str(port)])
    while server.poll() is None:  # the first start over an older database migrates it first
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    return server, f"http://127.0.0.1:{port}"


def start_servers(args: argparse.Namespace, db_path: Target) -> dict[str, tuple[subprocess.Popen, str]]:
    servers = {"this tree": start_server(REPO, db_path)}
    if args.baseline:
        servers["baseline"] = start_server(args.baseline.resolve(), db_path)
    return servers


def stop_servers(servers: dict[str, tuple[subprocess.Popen, str]]) -> None:
    for proc, _ in servers.values():
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system, every thread) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(db_path: Target, port: int) -> None:
    """Server mode (a child process): the real app over the seeded database."""
    from aiohttp import web

    from alprd.storage.repository import open_repository
    from alprd.web.app import create_app

    config = Config(storage=StorageConfig(database=db_path, outputs_dir=WORK / "outputs"), base_dir=WORK)
    app = create_app(config, repository=open_repository(config))
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def search_terms(db_path: Target, count: int, rng: random.Random, lengths: tuple[int, int] = (3, 5)) -> list[str]:
    """``count`` substrings of stored plates, ``lengths`` characters long (shorter plates: whole)."""
    db = open_database(db_path)
    top = db.execute_sql("SELECT MAX(id) FROM plate").fetchone()[0]
    texts = []
    for _ in range(count):  # the same terms in every run (seeded ids; a gap is skipped)
        row = db.execute_sql("SELECT plate_text FROM plate WHERE id = ?", (rng.randint(1, top),)).fetchone()
        if row:
            texts.append(row[0])
    db.close()
    terms = []
    for t in texts:
        low, high = lengths
        n = rng.randint(low, min(high, len(t))) if len(t) >= low else len(t)
        start = rng.randint(0, len(t) - n)
        terms.append(t[start : start + n])
    return terms


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def latencies(base: str, urls: list[str], warm_up: int = 5) -> list[float]:
    out = []
    async with aiohttp.ClientSession() as session:
        for url in urls[:warm_up]:
            async with session.get(base + url) as r:
                await r.read()
        for url in urls:
            t0 = time.perf_counter()
            async with session.get(base + url) as r:
                await r.read()
                assert r.status == 200, (url, r.status)
            out.append((time.perf_counter() - t0) * 1000)
    return out


async def search_urls(base: str, terms: list[str], rng: random.Random) -> list[str]:
    """Search URLs whose offset lands inside the matches (found by asking the count first)."""
    urls = []
    async with aiohttp.ClientSession() as session:
        for term in terms:
            async with session.get(f"{base}/detections?limit=1&search={term}") as r:
                count = (await r.json())["count"]
            offset = rng.randint(0, max(0, count - 100))
            urls.append(f"/detections?limit=100&offset={offset}&search={term}")
    return urls


def report(name: str, urls: list[str], ms: list[float], slowest: int = 3) -> str:
    line = f"| `{name}` | {len(ms)} | {statistics.median(ms):.1f} | {pct(ms, 0.99):.1f} | {max(ms):.1f} |"
    print(line, flush=True)
    for t, i in sorted(((t, i) for i, t in enumerate(ms)), reverse=True)[:slowest]:
        print(f"    {t:7.1f} ms  #{i:<4} {urls[i]}", flush=True)
    return line


async def load_client(url: str, seconds: float, concurrency: int) -> float:
    """Requests per second from an aiohttp client (fallback when wrk is missing)."""
    done = 0
    stop = time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.perf_counter() < stop:
            async with session.get(url) as r:
                await r.read()
            done += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return done / (time.perf_counter() - t0)


def throughput(url: str, seconds: int, concurrency: int, server_pid: int) -> str:
    """Requests per second, and the CPU (in cores) the server and the load client used meanwhile."""
    wrk = shutil.which("wrk")
    server_before, client_before = cpu_s(server_pid), _children_cpu_s()
    t0 = time.perf_counter()
    if wrk:
        out = subprocess.run(
            [wrk, "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rps = next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec"))
        p99 = next((line.split()[1] for line in out.splitlines() if line.strip().startswith("99%")), "?")
        errors = "Non-2xx" in out or "Socket errors" in out
        result = f"wrk -t2 -c{concurrency} -d{seconds}s: {float(rps):,.0f} req/s, p99 {p99}" + (
            " (errors reported)" if errors else ""
        )
        client = _children_cpu_s() - client_before
    else:
        process_before = time.process_time()
        rps = asyncio.run(load_client(url, seconds, concurrency))
        result = f"aiohttp client, {concurrency} connections, {seconds}s: {rps:,.0f} req/s"
        client = time.process_time() - process_before
    took = time.perf_counter() - t0
    server = cpu_s(server_pid) - server_before
    return f"{result}; CPU: server {server / took:.2f}, client {client / took:.2f} cores"


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def compare_bodies(base: str, other: str, urls: list[str]) -> int:
    """How many of ``urls`` both servers answer with the same status and the same bytes."""
    same = 0
    async with aiohttp.ClientSession() as session:
        for url in urls:
            answers = []
            for b in (base, other):
                async with session.get(b + url) as r:
                    answers.append((r.status, await r.read()))
            same += answers[0] == answers[1]
    return same


def latency_urls(args: argparse.Namespace, db_path: Target, base: str) -> dict[str, list[str]]:
    """The latency requests, by endpoint (search offsets need the match counts of a running server)."""
    rng = random.Random(7)
    two, one = random.Random(11), random.Random(13)  # own generators: rng's URLs stay those of earlier runs
    terms = search_terms(db_path, args.requests, rng)
    return {
        "/detections?limit=100&offset=…&search=…": asyncio.run(search_urls(base, terms, rng)),
        "/detections?limit=100&offset=0..10000": [
            f"/detections?limit=100&offset={rng.randint(0, 10_000)}" for _ in range(args.requests)
        ],
        "/detections?limit=100&offset=…&vehicleType=truck&plateType=Public": [
            f"/detections?limit=100&offset={rng.randint(0, 5_000)}&vehicleType=truck&plateType=Public"
            for _ in range(args.requests)
        ],
        "/api/statistics/dashboard": ["/api/statistics/dashboard"] * args.requests,
        "/detections?limit=100&offset=0..N (deep pages)": [
            f"/detections?limit=100&offset={rng.randint(0, args.events - 100)}" for _ in range(args.requests // 4)
        ],
        "/detections?limit=100&offset=…&search=XX (2 characters)": asyncio.run(
            search_urls(base, search_terms(db_path, args.requests, two, (2, 2)), two)
        ),
        "/detections?limit=100&offset=…&search=X (1 character)": asyncio.run(
            search_urls(base, search_terms(db_path, args.requests // 4, one, (1, 1)), one)
        ),
    }


def measure(
    args: argparse.Namespace,
    db_path: Target,
    servers: dict[str, tuple[subprocess.Popen, str]],
    endpoints: dict[str, list[str]],
) -> None:
    base = servers["this tree"][1]
    passes = [("cold", name) for name in servers] if args.cold else []
    passes += [("warm", name) for name in servers]
    for state, name in passes:
        if state == "cold":  # each server's cold pass starts from an evicted file
            evict(db_path)
        print(
            f"\n{name}, {state}: {args.events:,} events; one request at a time; ms; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; database resident in the page cache: "
            f"{resident_mb(db_path)}"
        )
        print("| request | n | p50 | p99 | max |\n|---|---|---|---|---|")
        for endpoint, urls in endpoints.items():
            ms = asyncio.run(latencies(servers[name][1], urls, warm_up=0 if state == "cold" else 5))
            report(endpoint, urls, ms)
            if state == "cold":
                print(f"    (database resident after it: {resident_mb(db_path)})", flush=True)
    if "baseline" in servers:
        checked = [
            *(u for urls in endpoints.values() for u in dict.fromkeys(urls)),
            "/detections?limit=10",
            "/detections?limit=1000",
        ]
        same = asyncio.run(compare_bodies(base, servers["baseline"][1], checked))
        print(f"\nbaseline {args.baseline}: {same} of {len(checked)} answers byte-identical", flush=True)
    print()
    if args.latency_only:
        return
    rounds = 2 if len(servers) > 1 else 1
    for path in ("/detections?limit=10", "/api/plate/regions"):
        for _ in range(rounds):
            for name, (proc, url) in servers.items():
                print(
                    f"throughput {path} ({name}): {throughput(url + path, args.seconds, args.concurrency, proc.pid)}; "
                    f"load average {os.getloadavg()[0]:.1f}",
                    flush=True,
                )


def drop_schema(url: str) -> None:
    """A fresh PostgreSQL database: its public schema dropped and made again (migrated at seeding)."""
    db = PostgresDatabase(url)
    db.execute_sql("DROP SCHEMA public CASCADE")
    db.execute_sql("CREATE SCHEMA public")
    db.close()


def size(db_path: Target) -> str:
    if isinstance(db_path, Path):
        return f"database {db_path.stat().st_size / 1e6:,.0f} MB"
    db = open_database(db_path, migrate=False)
    try:
        return f"database {db.execute_sql('SELECT pg_database_size(current_database())').fetchone()[0] / 1e6:,.0f} MB"
    finally:
        db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=400, help="latency samples per endpoint")
    parser.add_argument("--seconds", type=int, default=10, help="throughput run length")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--latency-only", action="store_true", help="skip the throughput part")
    parser.add_argument(
        "--cold", action="store_true", help="a latency pass over a database evicted from the OS page cache first"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="another alprd source tree to compare with (byte-identical answers, throughput)",
    )
    parser.add_argument("--database", metavar="URL", help="postgresql://user:pass@host:port/db instead of SQLite")
    parser.add_argument("--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0] if is_postgres_url(args.serve[0]) else Path(args.serve[0]), int(args.serve[1]))
        return 0
    if args.database and (not is_postgres_url(args.database) or args.cold):
        parser.error("--database takes a postgresql:// URL (and no --cold)")

    WORK.mkdir(parents=True, exist_ok=True)
    db_path: Target = args.database or WORK / f"api-{args.events}.db"
    if args.reseed or stored_events(db_path) != args.events:
        if isinstance(db_path, Path):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        else:
            drop_schema(db_path)
        print(f"seeding {args.events:,} events into {mask_secrets(str(db_path))}")
        took = seed(db_path, args.events)
        print(f"seeded {args.events:,} events in {took:.1f} s ({args.events / took:,.0f} events/s); {size(db_path)}")
    servers = start_servers(args, db_path)
    try:
        endpoints = latency_urls(args, db_path, servers["this tree"][1])
        if args.cold:  # the URLs' count requests filled SQLite's own caches: fresh servers
            stop_servers(servers)
            servers = start_servers(args, db_path)
        measure(args, db_path, servers, endpoints)
    finally:
        stop_servers(servers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
