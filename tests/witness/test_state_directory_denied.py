"""A witness's state directory it may not read (a restore or a ``chmod`` that left it to
another user): refused naming the directory and the permission it lacks
(``witness_state_unreadable``), by ``serve`` and by ``status`` alike, and
``never-cosigned`` says nothing of it. Before, ``Path.glob`` listed nothing there, and the
witness said the records it made were missing and to restore them from a backup (they were
there), or took it at its word that it never cosigned anything.

Tests run as root, whom no mode bars: the directory is made unreadable by refusing, as the
kernel refuses a user without the right, every listing of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from ledger.witness.errors import WITNESS_STATE_UNREADABLE
from ledger.witness.setup import Paths, never_cosigned
from ledger.witness.state import StateStore
from tests import odd_files
from tests.witness.test_found_cli import witness
from tests.witness.test_found_state_lost import made


@pytest.mark.parametrize("readonly", [False, True], ids=["serve", "status"])
def test_a_state_directory_that_cannot_be_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readonly: bool
) -> None:
    state = tmp_path / "witness" / "state"
    kept = made(state)
    odd_files.deny_listing(monkeypatch, state)
    with pytest.raises(Error) as caught:
        StateStore(state, readonly=readonly)
    assert caught.value.code == WITNESS_STATE_UNREADABLE.name
    said = caught.value.message
    assert f"cannot read the witness's state directory {state}: Permission denied" in said
    assert "missing" not in said and "backup" not in said, said
    assert kept.exists()


def test_never_cosigned_is_refused_over_a_state_directory_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = witness(tmp_path)
    paths = Paths(root)
    made(paths.state)
    odd_files.deny_listing(monkeypatch, paths.state)
    with pytest.raises(Error) as caught:
        never_cosigned(root)
    assert caught.value.code == WITNESS_STATE_UNREADABLE.name
    assert "Permission denied" in caught.value.message
