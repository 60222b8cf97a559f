"""A throwaway PostgreSQL cluster for the tests (and the benchmarks), and its fixtures.

``Cluster(directory)`` runs Debian's PostgreSQL (``initdb``, ``pg_ctl``; ``.ci/postgresql``
installs it when missing) on a fresh data directory, listening on loopback only (a free port)
and on a Unix socket inside that directory. PostgreSQL refuses to run as root: as root, each
command runs as the ``postgres`` user (``runuser -u postgres``), and the directory is
theirs. API:

- ``Cluster.start()``, ``stop()``, ``restart()`` (a fast shutdown and start again, on the
  same port: what a database restart under load looks like to a service), ``kill()`` (the
  server gone at once, as a crash);
- ``cluster.url(dbname, password=None)``: a ``postgresql://`` URL (trust authentication: a
  password is accepted and ignored, so tests can check that messages never show it);
- ``cluster.create_database()`` / ``drop_database(name)``: a new, empty database.

Fixtures (``tests/conftest.py`` exposes them everywhere):

- ``postgres`` (session): one cluster per test process (each pytest-xdist worker has its
  own, so no lock is shared between workers), started on first use and stopped when the
  session ends;
- ``database_url`` (function): the URL of a fresh database for this test, dropped after it.

The test cluster runs with ``fsync=off``: the tests kill our processes, never the database
server's machine, and a commit PostgreSQL acknowledged survives our process dying either way.
Benchmarks pass ``durable=True`` to measure commits that reach the disk.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import psycopg
import pytest

# Seconds pg_ctl waits for the server to start or stop: a few on an idle machine, far more
# on two cores shared with a whole test run.
PG_CTL_WAIT: Final = 120
RUN_AS: Final = "postgres"
_names = itertools.count(1)


def binary(name: str) -> str:
    """A PostgreSQL program: on PATH, else in Debian's versioned directory (newest)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0,
    )
    if not candidates:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: run .ci/postgresql")
    return candidates[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A PostgreSQL server of its own, on ``directory`` (made and owned for the server)."""

    def __init__(self, directory: Path | None = None, *, durable: bool = False) -> None:
        self.as_root = os.geteuid() == 0
        self.directory = directory or Path(tempfile.mkdtemp(prefix="civicid-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.durable = durable
        self.port = free_port()
        self.running = False
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            user = pwd.getpwnam(RUN_AS)
            os.chown(self.directory, user.pw_uid, user.pw_gid)
        self.directory.chmod(0o700)
        self._run(
            binary("initdb"),
            *("-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8"),
            "--no-sync",
            "--no-instructions",
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.directory}'",
            "max_connections": "200",
            "shared_buffers": "'32MB'",
            "fsync": "on" if durable else "off",
            "full_page_writes": "on" if durable else "off",
            "log_min_messages": "warning",
        }
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())
        atexit.register(self.stop)

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        command = ["runuser", "-u", RUN_AS, "--", *argv] if self.as_root else list(argv)
        return subprocess.run(
            command, check=True, capture_output=True, text=True, cwd=self.directory
        )

    def _pg_ctl(self, *args: str) -> None:
        try:
            self._run(binary("pg_ctl"), "-D", str(self.data), *args)
        except subprocess.CalledProcessError as exc:
            log = self.log.read_text("utf-8", "replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl {args[0]} failed: {exc.stderr}\n{log}") from exc

    def start(self) -> None:
        if self.running:
            return
        self._pg_ctl(
            "start", "-w", "-t", str(PG_CTL_WAIT), "-l", str(self.log), "-o", f"-p {self.port}"
        )
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        if not self.running:
            return
        self._pg_ctl("stop", "-w", "-t", str(PG_CTL_WAIT), "-m", mode)
        self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill(self) -> None:
        """The server gone at once (an immediate shutdown: no checkpoint, clients cut)."""
        self.stop("immediate")

    def url(self, dbname: str = "postgres", *, password: str | None = None) -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://postgres{secret}@127.0.0.1:{self.port}/{dbname}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url(), autocommit=True)

    def create_database(self) -> str:
        """A new, empty database; its name."""
        name = f"t{os.getpid()}_{next(_names)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    cluster = Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def database_url(postgres: Cluster) -> Iterator[str]:
    if not postgres.running:  # a test that stopped the server leaves it for the next
        postgres.start()
    name = postgres.create_database()
    yield postgres.url(name)
    if not postgres.running:
        postgres.start()
    with contextlib.suppress(psycopg.Error):
        postgres.drop_database(name)
