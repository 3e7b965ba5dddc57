"""A real PostgreSQL server for the tests, from the Debian packages (no tests here).

`initdb` into a temporary directory and `pg_ctl start` it listening on a Unix socket only (no
TCP port to collide with another worker's or another checkout's server); each test gets a
database of its own. PostgreSQL refuses to run as root, so under root (a CI container) the
server runs as the `postgres` user the Debian package creates. Under `CI=true` a missing
server fails the test (tests/tooling.py).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tooling import missing

DEBIAN_PACKAGE = "postgresql"


def pg_program(name: str) -> str:
    """initdb and pg_ctl live outside PATH on Debian (/usr/lib/postgresql/<major>/bin)."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not versions:
        missing(f"the PostgreSQL server ({name})", f"apt-get install {DEBIAN_PACKAGE}")
    return versions[-1]


class PgServer:
    """One throwaway cluster; `database()` hands out a fresh database URL per call."""

    def __init__(self) -> None:
        initdb, self._pg_ctl = pg_program("initdb"), pg_program("pg_ctl")  # or skip/fail
        self.root = Path(tempfile.mkdtemp(prefix="provision-pg-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self._as: list[str] = []
        self._names = itertools.count()
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        init = [initdb, "-D", str(self.data), "-U", "provision", "-A", "trust", "--no-sync"]
        self._run([*init, "-E", "UTF8", "--locale", "C"])
        options = f"-k {self.root} -c listen_addresses='' -c fsync=off -c max_connections=50"
        ctl = [self._pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", options]
        self._run([*ctl, "-w", "-t", "60", "start"])

    def _run(self, command: list[str]) -> None:
        done = subprocess.run([*self._as, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{command[0]} failed:\n{done.stdout}{done.stderr}\n{log}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://provision@/{database}?host={self.root}"

    def database(self) -> str:
        """A new, empty database: the URL a test's state lives at."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run([self._pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
