"""A desk store whose commit fails refuses every write of the batch, and leaves nothing of
them behind: not visible to its own reads (a decision never on disk is no decision), and
not in the way of the next write (the failed transaction is rolled back)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from civicid.errors import Error
from verifier.store import Store

NOW = 1_780_000_000


def test_a_failed_commit_leaves_nothing_and_the_next_write_commits(tmp_path: Path) -> None:
    store = Store(tmp_path / "desk.db")
    failing = {"commit": True}

    def disk(action: int, what: str | None, *_: object) -> int:
        # A COMMIT the disk refuses (a failed fsync): SQLite may leave the transaction open.
        if action == sqlite3.SQLITE_TRANSACTION and what == "COMMIT" and failing["commit"]:
            failing["commit"] = False
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    store._db.set_authorizer(disk)
    with pytest.raises(Error) as refused:
        store.use_nonce("n-1", NOW)
    assert refused.value.code == "verifier_store_failed"
    assert store._db.in_transaction is False
    store.use_nonce("n-1", NOW)  # never spent: the failed write left nothing
    with pytest.raises(Error) as replayed:
        store.use_nonce("n-1", NOW)
    assert replayed.value.code == "presentation_replayed"
    store.close()
    again = Store(tmp_path / "desk.db")
    with pytest.raises(Error) as after:
        again.use_nonce("n-1", NOW)
    assert after.value.code == "presentation_replayed"
    again.close()
