"""The last checkpoint was once kept only at a clean close, so after kill -9 ``audit``
could not see a damaged tail. It is made durable with every commit now: kill the writer,
damage the last acknowledged record, and both the store and ``audit`` refuse."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from civicid.checkpoint import NoteVerifier, open_checkpoint
from ledger.audit import AuditFailure, audit
from ledger.setup import Genesis, initialize, open_ledger
from ledger.store import FileLogStore
from tests.ledger.faults import flip
from tests.ledger.test_store import WRITER


def killed_after(root: Path, acknowledged: int) -> int:
    """Run the concurrent writer, kill -9 it after ``acknowledged`` receipts; the last seq."""
    script = root / "writer.py"
    script.write_text(WRITER)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(root)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert proc.stdout is not None
    last = -1
    for _ in range(acknowledged):
        line = proc.stdout.readline()
        last = max(last, int(line.split()[0]))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return last


def test_kill_9_then_a_damaged_acknowledged_record_is_caught(tmp_path: Path) -> None:
    genesis: Genesis = initialize(tmp_path)
    last = killed_after(tmp_path, 30)
    store = FileLogStore(tmp_path / "ledger", readonly=True)
    try:
        note = store.last_checkpoint()
        assert note is not None
        signed = open_checkpoint(note, NoteVerifier(genesis.vkey))
        assert signed.size >= last + 1  # the receipt's checkpoint reached the disk first
        offset = store._offsets[signed.size - 1]
    finally:
        store.close()
    flip(tmp_path / "ledger" / "log.dat", offset + 20)
    with pytest.raises(AuditFailure) as info:
        audit(tmp_path / "ledger")
    assert info.value.code == "store_corrupt" and info.value.seq == signed.size - 1
    with pytest.raises(Exception) as refused:
        open_ledger(tmp_path).close()
    assert getattr(refused.value, "code", None) == "store_corrupt"
