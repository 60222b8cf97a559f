"""Helpers for the ledger-on-PostgreSQL tests: a sequencer in a process of its own, stopped
at a chosen point so that the test can kill it with SIGKILL there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Final

import psycopg

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
