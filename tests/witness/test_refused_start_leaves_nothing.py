"""A witness start that is refused leaves the data directory as it found it: no state
directory made over a lost one (it would be in the way of restoring it from a backup), no
empty ``LOCK``: everything that can refuse it is checked before anything is made. A LOCK
found there stays, and one held by a running witness stays held."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from civicid.errors import Error
from ledger.witness.errors import WITNESS_STATE_LOCKED, WITNESS_STATE_UNREADABLE
from ledger.witness.settings import WitnessSettings
from ledger.witness.setup import Paths, open_witness
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
