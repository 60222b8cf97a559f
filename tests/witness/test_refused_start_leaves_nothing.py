"""A witness start that is refused leaves the data directory as it found it: no state
directory made over a lost one (it would be in the way of restoring it from a backup), no
empty ``LOCK``. A LOCK it did not make stays, and one held by a running witness stays held."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

from civicid.errors import Error
from ledger.witness import state as state_module
from ledger.witness.errors import WITNESS_STATE_LOCKED, WITNESS_STATE_UNREADABLE
from ledger.witness.settings import WitnessSettings
from ledger.witness.setup import Paths, open_witness
from ledger.witness.state import StateStore
from tests.witness.test_found_witness_dir_lost import cosigned, made


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def refused(root: Path) -> Error:
    with pytest.raises(Error) as opened:
        open_witness(WitnessSettings.load(root)).close()
    return opened.value


def test_a_start_refused_over_a_lost_witness_directory_makes_nothing(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    cosigned(root)
    shutil.rmtree(root / "witness")
    before = listing(root)
    assert WITNESS_STATE_UNREADABLE.matches(refused(root))
    assert not (root / "witness").exists()
    assert listing(root) == before


def test_a_start_refused_over_a_lost_record_leaves_no_lock(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    cosigned(root)
    state = Paths(root).state
    for record in state.glob("*.state"):
        record.unlink()
    (state / "LOCK").unlink()
    before = listing(root)
    assert WITNESS_STATE_UNREADABLE.matches(refused(root))
    assert listing(root) == before  # the state directory found is kept, with nothing added


def test_a_lock_found_there_is_kept(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    cosigned(root)
    lock = Paths(root).state / "LOCK"
    assert lock.exists()
    for record in Paths(root).state.glob("*.state"):
        record.unlink()
    assert WITNESS_STATE_UNREADABLE.matches(refused(root))
    assert lock.exists()


def test_a_start_refused_by_a_running_witness_leaves_it_holding_its_lock(tmp_path: Path) -> None:
    root = made(tmp_path / "w")
    running = open_witness(WitnessSettings.load(root))
    try:
        for _ in range(2):
            assert WITNESS_STATE_LOCKED.matches(refused(root))
        assert (Paths(root).state / "LOCK").exists()
    finally:
        running.close()
    open_witness(WitnessSettings.load(root)).close()  # released: the next start takes it


def test_a_lock_removed_by_a_refused_start_meanwhile_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start that opened LOCK just before a refused start removed it would hold a lock on
    a file no other start sees: it takes the lock again on the file the path names."""
    root = made(tmp_path / "w")
    lock = Paths(root).state / "LOCK"
    flock, calls = fcntl.flock, []

    def removed_once(fd: int, operation: int) -> None:
        flock(fd, operation)
        calls.append(fd)
        if len(calls) == 1:
            lock.unlink()  # as a refused start does, holding it

    monkeypatch.setattr(state_module.fcntl, "flock", removed_once)
    store = StateStore(Paths(root).state, known=Paths(root).state_list)
    monkeypatch.undo()
    try:
        assert len(calls) == 2 and lock.exists()
        other = os.open(lock, os.O_RDWR)
        try:  # the file the path names is the one held: another start is refused
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(other)
    finally:
        store.close()
