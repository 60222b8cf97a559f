"""The SQLite store's reads have a connection of their own, so the desk's page can poll in
place, on the event loop: a read never waits for a commit in progress (nor its fsync), sees
nothing of a write before it is committed, and sees every write once it is acknowledged.
PostgreSQL's reads are round trips: they stay on a thread."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from verifier.pg_store import PgStore
from verifier.store import PendingRequest, Store

NOW = 1_780_000_000
WAIT = 10.0  # seconds: far beyond a read's microseconds, short of a hung test


def pending(n: int) -> PendingRequest:
    return PendingRequest(
        id=f"r-{n}",
        state=f"s-{n}",
        transaction_id=f"t-{n}",
        nonce=f"n-{n}",
        policy="housing-benefit",
        request_object="header.payload.signature",
        created=NOW,
        expires=NOW + 300,
    )


def test_a_read_does_not_wait_for_the_writers_connection(tmp_path: Path) -> None:
    store = Store(tmp_path / "desk.db")
    store.add_request(pending(1))
    found: list[PendingRequest] = []
    with store._lock:  # a commit holding the connection, waiting for its fsync
        reader = threading.Thread(target=lambda: found.append(store.by_transaction("t-1")))
        reader.start()
        reader.join(WAIT)
        assert not reader.is_alive(), "the read waited for the writer"
    assert found == [pending(1)]
    store.close()


def test_a_read_sees_a_write_only_once_it_is_committed(tmp_path: Path) -> None:
    store = Store(tmp_path / "desk.db")
    store.add_request(pending(1))
    inside, release = threading.Event(), threading.Event()

    def slow_answer(db: sqlite3.Connection) -> None:
        db.execute("UPDATE requests SET answered = ? WHERE state = ?", (NOW, "s-1"))
        inside.set()
        assert release.wait(WAIT)

    writer = threading.Thread(target=store._write, args=(slow_answer,))
    writer.start()
    assert inside.wait(WAIT)
    assert store.by_transaction("t-1").answered is None  # written, not yet committed
    assert store.by_transaction("t-1").status(NOW) == "waiting"
    release.set()
    writer.join(WAIT)
    assert store.by_transaction("t-1").answered == NOW  # acknowledged: seen by the next read
    store.close()


def test_the_read_connection_writes_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "desk.db")
    try:
        store._reader.execute("DELETE FROM requests")
    except sqlite3.Error as exc:
        assert "readonly" in str(exc).replace(" ", "").lower() or "query_only" in str(exc)
    else:
        raise AssertionError("the read connection wrote")
    store.close()


def test_only_sqlite_reads_in_place() -> None:
    assert Store.reads_in_place is True
    assert PgStore.reads_in_place is False
