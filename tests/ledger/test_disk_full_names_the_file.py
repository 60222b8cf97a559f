"""The disk full under a ledger write: the one line names the file that could not be written
and says what to do (free space, then retry), whether the store says it (``store_*``) or the
command's generic fallback does (``file_access_failed``, a key file); nothing is left
half-written."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from civicid.errors import Error
from ledger import store as store_module
from ledger.errors import STORE_SYNC_FAILED, STORE_WRITE_FAILED
from ledger.store import FileLogStore
from tests.ledger.test_cli import civicid

FULL = "No space left on device: free space on that disk (or raise the quota), then retry"


def no_room(*_: Any) -> int:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_key_file_not_written_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = civicid("ledger", "init", "--data-dir", str(tmp_path))
    assert code == 0, out
    monkeypatch.setattr(os, "write", no_room)
    code, _, err = civicid("ledger", "register", "agency", "--data-dir", str(tmp_path))
    monkeypatch.undo()
    line = err.strip().splitlines()[-1]
    assert code == 3, err
    key = tmp_path / "keys" / "agency.json"
    assert line == f"error: {key}: {FULL} [file_access_failed]", line
    assert not key.exists() and not list(key.parent.glob(".agency.json.*"))


def test_the_log_not_written_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileLogStore(tmp_path, create=True)
    try:
        monkeypatch.setattr(store_module.os, "write", no_room)
        with pytest.raises(Error) as raised:
            store.append([b"entry"], [b"\0" * 32])
        monkeypatch.undo()
        assert STORE_WRITE_FAILED.matches(raised.value), raised.value
        assert f"({tmp_path / 'log.dat'}): {FULL}" in raised.value.message
        assert store.size == 0 and (tmp_path / "log.dat").stat().st_size == 0
    finally:
        store.close()


def test_a_checkpoint_not_made_durable_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileLogStore(tmp_path, create=True)
    try:
        monkeypatch.setattr(store_module.os, "fsync", no_room)
        with pytest.raises(Error) as raised:
            store.put_checkpoint("a note\n")
        monkeypatch.undo()
        assert STORE_SYNC_FAILED.matches(raised.value), raised.value
        assert f"({tmp_path / 'checkpoint.dat'}): {FULL}" in raised.value.message
        monkeypatch.setattr(store_module.os, "fsync", no_room)
        with pytest.raises(Error) as raised:
            store.sync()
        monkeypatch.undo()
        assert STORE_SYNC_FAILED.matches(raised.value), raised.value
        assert f"({tmp_path / 'log.dat'}): {FULL}" in raised.value.message
    finally:
        store.close()
