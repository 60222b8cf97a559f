"""A witness whose record of a log is lost must not start that log over from size 0: it would
cosign a fork of what it cosigned before. The names of the state files it made are kept
beside the state directory, and a listed file that is gone stops the witness."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from civicid.errors import Error
from ledger.witness import state as state_module
from ledger.witness.errors import WITNESS_STATE_UNREADABLE, WITNESS_STATE_WRITE_FAILED
from ledger.witness.state import KNOWN_FILE, Record, StateStore

ORIGIN = "example.com/log"


def record(size: int) -> Record:
    return Record(ORIGIN, size, bytes([size % 256]) * 32, f"note {size}")


def made(state: Path, size: int = 5) -> Path:
    store = StateStore(state)
    try:
        store.put(record(size))
    finally:
        store.close()
    (path,) = state.glob("*.state")
    return path


def refused(state: Path, *, readonly: bool = False) -> Error:
    with pytest.raises(Error) as raised:
        StateStore(state, readonly=readonly)
    assert WITNESS_STATE_UNREADABLE.matches(raised.value)
    return raised.value


def test_a_deleted_record_stops_the_witness_and_its_status(tmp_path: Path) -> None:
    state = tmp_path / "witness" / "state"
    made(state).unlink()
    assert "is missing" in refused(state).message
    assert "is missing" in refused(state, readonly=True).message


def test_a_deleted_state_directory_stops_the_witness(tmp_path: Path) -> None:
    state = tmp_path / "witness" / "state"
    made(state)
    shutil.rmtree(state)
    refused(state)


def test_a_witness_that_never_cosigned_starts_empty(tmp_path: Path) -> None:
    state = tmp_path / "witness" / "state"
    store = StateStore(state)
    assert store.get(ORIGIN) is None
    store.close()
    assert not (state.parent / KNOWN_FILE).exists()


def test_records_made_before_the_list_was_kept_are_listed_at_the_next_start(
    tmp_path: Path,
) -> None:
    state = tmp_path / "witness" / "state"
    path = made(state)
    (state.parent / KNOWN_FILE).unlink()  # as a witness set up before the list existed
    StateStore(state).close()
    assert (state.parent / KNOWN_FILE).read_text() == f"{path.name}\n"
    path.unlink()
    refused(state)


def test_a_damaged_list_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "witness" / "state"
    made(state)
    (state.parent / KNOWN_FILE).write_text("../../etc/passwd\n")
    assert "damaged" in refused(state).message


def test_a_list_that_is_a_link_leading_nowhere_is_refused_not_read_as_none(
    tmp_path: Path,
) -> None:
    # Read as no list, a record lost beside it was never missed: that log started over.
    state = tmp_path / "witness" / "state"
    made(state)
    listed = state.parent / KNOWN_FILE
    listed.unlink()
    listed.symlink_to(tmp_path / "elsewhere" / KNOWN_FILE)
    for readonly in (False, True):
        error = refused(state, readonly=readonly)
        assert f"{listed} is a link to {tmp_path / 'elsewhere' / KNOWN_FILE}" in error.message
    assert listed.is_symlink()  # left as it is


def test_the_record_is_kept_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "witness" / "state"
    made(state, 5)
    store = StateStore(state)
    try:
        assert store.get(ORIGIN) == record(5)
        store.put(record(6))
    finally:
        store.close()
    assert StateStore(state, readonly=True).get(ORIGIN) == record(6)


def no_room(*_: object) -> int:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_record_the_disk_has_no_room_for_is_said_and_the_last_one_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "witness" / "state"
    path = made(state, 5)
    store = StateStore(state)
    try:
        monkeypatch.setattr(state_module.os, "pwrite", no_room)
        with pytest.raises(Error) as raised:
            store.put(record(6))
        monkeypatch.undo()
        assert WITNESS_STATE_WRITE_FAILED.matches(raised.value), raised.value
        assert raised.value.message == (
            f"cannot write {path}: No space left on device: free space on that disk (or raise "
            "the quota), then retry; nothing was cosigned"
        )
        assert store.get(ORIGIN) == record(5)
    finally:
        store.close()
    assert StateStore(state, readonly=True).get(ORIGIN) == record(5)


def test_a_first_record_the_disk_has_no_room_for_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "witness" / "state"
    store = StateStore(state)
    try:
        monkeypatch.setattr(state_module.os, "write", no_room)
        with pytest.raises(Error) as raised:
            store.put(record(1))
        monkeypatch.undo()
        assert WITNESS_STATE_WRITE_FAILED.matches(raised.value), raised.value
        assert str(state) in raised.value.message and "free space" in raised.value.message
        assert store.get(ORIGIN) is None
    finally:
        store.close()
    assert sorted(p.name for p in state.iterdir()) == ["LOCK"]
    assert not (state.parent / KNOWN_FILE).exists()
