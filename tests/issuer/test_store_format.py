"""The embedded store's format 1 (slots in a table of their own) is brought to format 2 in
place, in one transaction: every row served as before; a crash in the middle leaves format
1 whole; damage is refused with the store left as it was."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from civicid.errors import Error
from issuer import store_format
from issuer.store import DB_FILE, LOCK_FILE, SqliteStore, verify_audit_chain
from tests.issuer.conftest import Env
from tests.issuer.store_format_1 import write_format_1
from tests.issuer.test_bad_input import credential_request, good_proof, offer, redeem


def served(store: SqliteStore) -> dict[str, Any]:
    """Everything the store answers."""
    return {
        "clerks": store.clerks(),
        "offers": store.offers(record=None, limit=1000, offset=0),
        "active": store.active_offers(),
        "issued": store.issued_list(record=None, status=None, limit=1000, offset=0),
        "of_record": store.issued_list(record="REG-2", status=None, limit=1000, offset=0),
        "lists": store.lists(),
        "slots": store.slots_by_list(),
        "slots_1": list(store.slots(1)),
        "audit": store.audit(after=0, limit=10_000),
        "counts": store.counts(),
    }


def issue_some(env: Env) -> None:
    redeemed = offer(env, record="REG-1")
    env.issuer.credential_request(redeem(env, redeemed), credential_request([good_proof(env)]))
    proofs = [good_proof(env) for _ in range(3)]
    env.issuer.credential_request(
        redeem(env, offer(env, record="REG-2")), credential_request(proofs)
    )
    redeem(env, offer(env, record="REG-3"))  # redeemed, not issued
    offer(env, record="REG-4")  # offered only


@pytest.fixture
def old_store(env: Env, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A store of format 1 in a directory of its own, and what its rows served."""
    issue_some(env)
    store = env.store
    assert isinstance(store, SqliteStore)
    before = served(store)
    assert before["counts"]["slots"] == 4 and before["counts"]["issued"] == 2
    store.maintain()
    old = tmp_path / "old"
    old.mkdir()
    write_format_1(store.path, old / DB_FILE)
    return old, before


def table_names(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def format_of(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()[0])


def test_a_format_1_store_is_served_as_before_once_brought_to_format_2(
    old_store: tuple[Path, dict[str, Any]],
) -> None:
    old, before = old_store
    assert format_of(old / DB_FILE) == "1" and "slots" in table_names(old / DB_FILE)
    store = SqliteStore(old)
    try:
        assert served(store) == before
        verify_audit_chain(store.audit(after=0, limit=10_000))
    finally:
        store.close()
    assert format_of(old / DB_FILE) == "2"
    assert "slots" not in table_names(old / DB_FILE)
    with sqlite3.connect(old / DB_FILE) as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(issued)")]
    fresh = Path(str(old) + "-fresh")
    SqliteStore(fresh, create=True).close()
    with sqlite3.connect(fresh / DB_FILE) as db:
        assert columns == [r[1] for r in db.execute("PRAGMA table_info(issued)")]


def test_a_crash_in_the_middle_of_the_migration_leaves_format_1_whole(
    old_store: tuple[Path, dict[str, Any]],
) -> None:
    old, before = old_store
    child = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from issuer import store_format
        from issuer.store import SqliteStore

        def crash(db, version):
            os._exit(9)  # every statement of the migration run, none committed

        store_format.stamp = crash
        SqliteStore(Path({str(old)!r}))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run([sys.executable, "-c", child], env=env, check=False, timeout=60)
    assert done.returncode == 9
    assert format_of(old / DB_FILE) == "1" and "slots" in table_names(old / DB_FILE)
    store = SqliteStore(old)  # brought to format 2 now, all of it
    try:
        assert served(store) == before
    finally:
        store.close()
    assert format_of(old / DB_FILE) == "2"


def test_a_slot_of_no_credential_is_refused_as_damage_and_left_in_format_1(
    old_store: tuple[Path, dict[str, Any]],
) -> None:
    old, _ = old_store
    with sqlite3.connect(old / DB_FILE) as db:
        db.execute("INSERT INTO slots VALUES (1, 7, 'no-such-credential')")
    with pytest.raises(Error) as caught:
        SqliteStore(old)
    assert caught.value.code == "issuer_store_damaged"
    assert format_of(old / DB_FILE) == "1" and "slots" in table_names(old / DB_FILE)
    with sqlite3.connect(old / DB_FILE) as db:
        assert db.execute("SELECT COUNT(*) FROM slots").fetchone()[0] == 5


def test_an_old_store_served_by_another_process_is_not_migrated_beside_it(
    old_store: tuple[Path, dict[str, Any]],
) -> None:
    old, _ = old_store
    from civicid.files import hold_alone
    from issuer.errors import STORE_LOCKED

    held = hold_alone(old / LOCK_FILE, holder="test", in_use=STORE_LOCKED, message="held")
    try:
        with pytest.raises(Error) as caught:
            SqliteStore(old, exclusive=False)  # add-clerk beside an older issuer
        assert caught.value.code == "issuer_store_locked"
        assert "format 1" in caught.value.message
    finally:
        os.close(held)
    assert format_of(old / DB_FILE) == "1"
    SqliteStore(old, exclusive=False).close()  # with no server: migrated, lock let go
    assert format_of(old / DB_FILE) == "2"
    SqliteStore(old).close()


def test_a_store_of_a_newer_format_is_refused(tmp_path: Path) -> None:
    SqliteStore(tmp_path, create=True).close()
    with sqlite3.connect(tmp_path / DB_FILE) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'format'", (store_format.FORMAT + 1,))
    with pytest.raises(Error) as caught:
        SqliteStore(tmp_path)
    assert caught.value.code == "issuer_store_format"
    assert "newer issuer" in caught.value.message
    with sqlite3.connect(tmp_path / DB_FILE) as db:
        found = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()[0]
    assert found == str(store_format.FORMAT + 1)  # left as it was
