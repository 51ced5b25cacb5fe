"""A throwaway PostgreSQL server for the tests: Debian's binaries, a cluster in a temp dir.

``ALPRD_TEST_DATABASE=postgresql`` runs the storage and web tests on it (tools/test.sh
does, after the SQLite run). The cluster listens on 127.0.0.1 (a free port) with a
password (scram-sha-256), fsync off; each test gets a new empty database. PostgreSQL
refuses to run as root, so under root (CI) the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

USER = "alprd"
PASSWORD = "test-secret-pw"  # a password the tests check never shows in logs or the API
_names = count(1)


def wants_postgres() -> bool:
    return os.environ.get("ALPRD_TEST_DATABASE", "sqlite") == "postgresql"


def pg_bin_dir() -> Path:
    """Debian's newest /usr/lib/postgresql/<version>/bin (``postgresql`` package)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL not installed: apt-get install postgresql (tools/test.sh does)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    port: int
    root: Path
    pg_ctl: list[str]  # pg_ctl -D <data>, as the server's user

    def stop(self) -> None:
        """Stop the server (fast: connections are cut), as a link going down looks to a gate."""
        subprocess.run([*self.pg_ctl, "-m", "fast", "-w", "stop"], check=True, capture_output=True)

    def start(self) -> None:
        subprocess.run([*self.pg_ctl, "-l", str(self.root / "log"), "-w", "start"], check=True, capture_output=True)

    def url(self, dbname: str) -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg2

        name = f"t{os.getpid()}_{next(_names)}"
        conn = psycopg2.connect(self.url("postgres"))
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE {name}")
        finally:
            conn.close()
        return self.url(name)


@contextlib.contextmanager
def running_server() -> Iterator[PgServer]:
    """initdb + pg_ctl start in a temp dir; stopped and removed afterwards."""
    bin_dir = pg_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="alprd-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres will not run as root
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if as_user:
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
    data = root / "data"

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, text=True, cwd=root)

    port = _free_port()
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--pwfile", str(pwfile))
        options = f"-h 127.0.0.1 -p {port} -k {root}"
        (data / "pg_hba.conf").write_text("host all all 127.0.0.1/32 scram-sha-256\n")
        (data / "postgresql.auto.conf").write_text(  # a throwaway server: speed over durability
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 400\n"
        )
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-o", options, "-w", "start")
        yield PgServer(port, root, [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options])
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        raise RuntimeError(f"PostgreSQL test server failed: {exc.stderr}\n{log}") from exc
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
            )
        shutil.rmtree(root, ignore_errors=True)
