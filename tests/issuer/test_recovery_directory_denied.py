"""Recovery into a store directory this user may not list (a restore or a ``chmod`` that left
it to another user): refused before anything is written (``issuer_store_failed``, naming the
directory). Before, the clean-up after a failed recovery listed the directory with
``Path.glob``, which lists nothing there: the store begun was left behind, and the next
recovery was refused as ``issuer_store_present``.

Tests run as root, whom no mode bars: the directory is made unreadable by refusing, as the
kernel refuses a user without the right, every listing of it."""

from __future__ import annotations

import os

import pytest

from civicid.errors import Error
from civicid.status_list import STATUS_SUSPENDED
from issuer.recovery import recover
from issuer.service import Issuer
from issuer.store import DB_FILE
from tests import odd_files
from tests.issuer.conftest import Env
from tests.issuer.test_recovery import history, lose_store, statuses, where


def test_a_store_directory_that_cannot_be_listed_is_refused_with_nothing_written(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    suspended, _, _ = history(env)
    places = where(env, suspended)
    lose_store(env)
    directory = env.settings.store_dir
    odd_files.deny_listing(monkeypatch, directory)
    with pytest.raises(Error) as caught:
        recover(env.settings, clock=env.clock)
    assert caught.value.code == "issuer_store_failed"
    assert caught.value.message == (
        f"cannot read the issuer's store directory {directory}: Permission denied"
    )
    assert not any(os.path.lexists(directory / (DB_FILE + end)) for end in ("", "-wal", "-shm"))
    assert set(statuses(env, places).values()) == {STATUS_SUSPENDED}  # the ledger untouched

    monkeypatch.undo()  # the directory given back: recovery runs
    done = recover(env.settings, clock=env.clock)
    assert [r.suspended for r in done.lists] == [2]
    env.issuer = Issuer.open(env.settings, clock=env.clock)
