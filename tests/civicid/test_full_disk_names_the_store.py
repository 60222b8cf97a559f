"""A write refused for want of room names the file it was for and says what to do, in every
store: the issuer's ``issuer.db``, the desk's SQLite file, the wallet's sealed file and the
ledger's tiles. Nothing refused is kept, and what was stored before is left as it was."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.sqlite_file import why_not_committed
from issuer.errors import STORE_FAILED
from issuer.store import PutClerk, SqliteStore
from ledger.tiles import CHECKPOINT, TileWriter
from tests.issuer.test_found_group_commit import clerk
from verifier.errors import VERIFIER_STORE_FAILED
from verifier.store import Store
from wallet.errors import WALLET_STORE_WRITE_FAILED
from wallet.holder.vault import write_sealed

ADVICE = "free space on that disk (or raise the quota), then retry"
NOW = 1_780_000_000
# Nonces tried before a store with no page to spare must refuse one (a page holds dozens).
MOST_NONCES = 2_000


@pytest.fixture
def issuer_store(tmp_path: Path) -> Iterator[SqliteStore]:
    with contextlib.closing(SqliteStore(tmp_path, create=True)) as made:
        yield made


def test_a_full_issuer_store_names_issuer_db_and_says_to_free_space(
    issuer_store: SqliteStore,
) -> None:
    issuer_store.write([clerk(0)])
    pages = issuer_store._db.execute("PRAGMA page_count").fetchone()[0]
    issuer_store._db.execute(f"PRAGMA max_page_count = {pages + 4}")  # SQLite's SQLITE_FULL
    big = PutClerk(replace(clerk(1).clerk, name="x" * 200_000))
    with pytest.raises(Error) as refused:
        issuer_store.write([big])
    assert STORE_FAILED.matches(refused.value)
    message = refused.value.message
    assert str(issuer_store.path) in message and issuer_store.path.name == "issuer.db"
    assert f"database or disk is full: {ADVICE}" in message
    assert "nothing of it was acknowledged" in message
    assert {c.id for c in issuer_store.clerks()} == {"c0"}


def test_a_refusal_not_for_room_gives_no_advice_on_space() -> None:
    assert why_not_committed(sqlite3.OperationalError("database is locked")) == (
        "database is locked"
    )


def test_a_full_desk_store_names_its_file_and_keeps_what_it_held(tmp_path: Path) -> None:
    path = tmp_path / "verifier.db"
    store = Store(path)
    try:
        store.use_nonce("kept", NOW)
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages}")  # no page more: SQLITE_FULL
        refused: Error | None = None
        for n in range(MOST_NONCES):
            try:
                store.use_nonce(f"nonce-{n:05d}-" + "x" * 100, NOW)
            except Error as exc:
                refused, last = exc, f"nonce-{n:05d}-" + "x" * 100
                break
        assert refused is not None
        assert VERIFIER_STORE_FAILED.matches(refused)
        assert refused.message.startswith(f"{path}: database or disk is full: {ADVICE}")
        store._db.execute(f"PRAGMA max_page_count = {pages + 10_000}")  # room again
        store.use_nonce(last, NOW)  # the refused one was never spent
        with pytest.raises(Error) as replayed:
            store.use_nonce("kept", NOW)
        assert replayed.value.code == "presentation_replayed"
    finally:
        store.close()


def no_room(fd: int) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_under_the_wallet_names_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wallet.db"
    path.write_bytes(b"what was sealed before")
    monkeypatch.setattr(os, "fsync", no_room)
    with pytest.raises(Error) as refused:
        write_sealed(path, b"x" * 1000)
    monkeypatch.undo()
    assert WALLET_STORE_WRITE_FAILED.matches(refused.value)
    assert refused.value.message == f"cannot write {path}: No space left on device: {ADVICE}"
    assert [p.name for p in tmp_path.iterdir()] == ["wallet.db"]
    assert path.read_bytes() == b"what was sealed before"


def test_a_full_disk_under_the_tiles_names_the_file_and_leaves_no_part_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / CHECKPOINT).write_text("the checkpoint served before\n")
    writer = TileWriter(tmp_path, lambda index: b"", lambda size: b"")
    monkeypatch.setattr(os, "fsync", no_room)
    with pytest.raises(Error) as refused:
        writer._put(CHECKPOINT, b"a newer checkpoint\n", durable=True)
    monkeypatch.undo()
    assert refused.value.code == "tile_write_failed"
    path = tmp_path / CHECKPOINT
    assert refused.value.message == f"cannot write {path}: No space left on device: {ADVICE}"
    assert [p.name for p in tmp_path.iterdir()] == [CHECKPOINT]  # no half-written copy
    assert path.read_text() == "the checkpoint served before\n"
