"""Helpers for the ledger-on-PostgreSQL tests: a sequencer in a process of its own, stopped
at a chosen point so that the test can kill it with SIGKILL there."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Final

import psycopg

from tests.postgres import PG_CTL_WAIT, RUN_AS, Cluster, binary, free_port

# A sequencer process: opens the ledger in the database (root's keys), prints "open", then
# submits each line read from stdin and prints "ok <seq>". With stage "before-checkpoint" it
# stops after the batch's commit and before its checkpoint is written, and says so.
SEQUENCER: Final = textwrap.dedent("""
    import signal, sys
    from ledger import pg_store
    from ledger.setup import open_ledger
    root, url, stage = sys.argv[1], sys.argv[2], sys.argv[3]
    if stage == "before-checkpoint":
        real = pg_store.PgLogStore.put_checkpoint
        def stopping(self, note):
            print("committed, checkpoint not written", flush=True)
            signal.pause()
        ledger = open_ledger(__import__("pathlib").Path(root), database_url=url)
        pg_store.PgLogStore.put_checkpoint = stopping
    else:
        ledger = open_ledger(__import__("pathlib").Path(root), database_url=url)
    print("open", ledger.size, flush=True)
    for line in sys.stdin:
        receipt = ledger.submit(line.strip())
        print("ok", receipt.seq, flush=True)
""")


class SequencerProcess:
    def __init__(self, root: Path, url: str, stage: str = "run") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SEQUENCER, str(root), url, stage],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        self.first = self.line()

    def line(self) -> str:
        assert self.proc.stdout is not None
        text = self.proc.stdout.readline().strip()
        if not text:
            assert self.proc.stderr is not None
            raise AssertionError(f"the sequencer said nothing: {self.proc.stderr.read()}")
        return text

    def submit(self, transaction: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(transaction + "\n")
        self.proc.stdin.flush()
        return self.line()

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def rows(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(query.encode()).fetchall()


def execute(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement.encode())


class Standby:
    """A hot standby of ``primary``: a base backup streamed from it (``pg_basebackup -R``),
    on loopback on a port of its own; ``promote()`` makes it a primary."""

    def __init__(self, primary: Cluster) -> None:
        self.primary = primary
        self.directory = Path(tempfile.mkdtemp(prefix="civicid-pg-standby-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.port = free_port()
        self.running = False
        if primary.as_root:
            user = pwd.getpwnam(RUN_AS)
            os.chown(self.directory, user.pw_uid, user.pw_gid)
        self.directory.chmod(0o700)
        primary._run(
            binary("pg_basebackup"),
            *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *("-D", str(self.data), "-R", "-X", "stream", "--no-sync"),
        )
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"unix_socket_directories = '{self.directory}'\n")
        # The primary's connection string, written by -R, names this standby for sync commit.
        auto = self.data / "postgresql.auto.conf"
        auto.write_text(
            auto.read_text("utf-8").replace(
                "primary_conninfo = '", "primary_conninfo = 'application_name=standby "
            ),
            "utf-8",
        )

    def _ctl(self, *args: str) -> None:
        self.primary._run(binary("pg_ctl"), "-D", str(self.data), *args)

    def start(self) -> None:
        self._ctl(
            "start", "-w", "-t", str(PG_CTL_WAIT), "-l", str(self.log), "-o", f"-p {self.port}"
        )
        self.running = True

    def promote(self) -> None:
        self._ctl("promote", "-w", "-t", str(PG_CTL_WAIT))

    def stop(self) -> None:
        if self.running:
            self._ctl("stop", "-w", "-t", str(PG_CTL_WAIT), "-m", "immediate")
            self.running = False

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
