"""Two desk processes on one database can each hold a batch whose writes lock rows in the
other's order: PostgreSQL breaks the deadlock by rolling one transaction back (SQLSTATE
40P01). That batch committed nothing and answered nothing, so the store runs it again; the
writes that came with it are not failed for it. A write that keeps losing is run alone, a
bounded number of times, and only it is told to retry."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import psycopg
import pytest

from civicid.db import DATABASE_LOST, Conn
from civicid.errors import Error
from tests.verifier.test_pg_store_group_commit import (
    NOW,
    WAIT,
    nonces,
    queued_together,
    request,
)
from verifier.pg_store import CONFLICT_ATTEMPTS, PgStore, rolled_back_for_a_conflict


@pytest.fixture
def two_desks(database_url: str) -> Iterator[tuple[PgStore, PgStore]]:
    """Two stores on one database: two desk processes, each with its own pool."""
    first, second = PgStore(database_url), PgStore(database_url)
    yield first, second
    first.close()
    second.close()


def policies(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        return {
            str(r[0]): str(r[1]) for r in conn.execute("SELECT id, policy FROM verifier.requests")
        }


def in_a_cycle(
    store: PgStore, first: str, second: str, meet: threading.Barrier, runs: list[str]
) -> Callable[[], object]:
    """A write locking request ``first`` then ``second``; on its first run it waits at
    ``meet`` between the two, so that a write taking them in the other order holds one
    each: a deadlock the server must break."""

    def work(conn: Conn) -> None:
        runs.append(first)
        conn.execute("UPDATE requests SET policy = policy || 'x' WHERE id = %s", (first,))
        if runs.count(first) == 1:
            meet.wait()
        conn.execute("UPDATE requests SET policy = policy || 'x' WHERE id = %s", (second,))

    return lambda: store._write(work)


def test_a_batch_rolled_back_for_a_deadlock_is_run_again_and_every_write_answered(
    two_desks: tuple[PgStore, PgStore], database_url: str
) -> None:
    one, two = two_desks
    one.add_request(request(1))
    one.add_request(request(2))
    meet = threading.Barrier(2, timeout=WAIT)
    runs: list[str] = []
    batches: dict[str, list[object]] = {}

    def desk(name: str, store: PgStore, first: str, second: str) -> None:
        batches[name] = queued_together(
            store,
            [
                lambda: store.use_nonce(f"{name}-before", NOW),
                in_a_cycle(store, first, second, meet, runs),
                lambda: store.use_nonce(f"{name}-after", NOW),
            ],
        )

    desks = [
        threading.Thread(target=desk, args=("one", one, "id-1", "id-2")),
        threading.Thread(target=desk, args=("two", two, "id-2", "id-1")),
    ]
    for thread in desks:
        thread.start()
    for thread in desks:
        thread.join(WAIT * 3)
    # The server broke the cycle by rolling a batch back; that batch ran again (at least once).
    assert len(runs) >= 3 and {"id-1", "id-2"} <= set(runs), runs
    assert batches == {"one": [None] * 3, "two": [None] * 3}
    assert nonces(database_url) == {"one-before", "one-after", "two-before", "two-after"}
    # Each write committed once: each request updated once by each cycle, not by a lost run.
    assert policies(database_url) == {"id-1": "pxx", "id-2": "pxx"}


def test_a_write_that_keeps_losing_fails_alone_after_bounded_attempts(
    two_desks: tuple[PgStore, PgStore], database_url: str
) -> None:
    store = two_desks[0]
    runs: list[int] = []

    def loser() -> None:
        def work(conn: Conn) -> None:
            runs.append(1)
            conn.execute("INSERT INTO nonces VALUES ('lost', %s)", (NOW,))
            raise psycopg.errors.DeadlockDetected("deadlock detected")

        store._write(work)

    results = queued_together(
        store,
        [
            lambda: store.use_nonce("before", NOW),
            loser,
            lambda: store.use_nonce("after", NOW),
        ],
    )
    assert results[0] is None and results[2] is None
    lost = results[1]
    assert isinstance(lost, Error) and DATABASE_LOST.matches(lost)
    assert rolled_back_for_a_conflict(lost)
    # The batch, then the write alone: each a bounded number of times.
    assert len(runs) == 2 * CONFLICT_ATTEMPTS
    assert nonces(database_url) == {"before", "after"}


def test_a_write_alone_is_run_again_after_a_serialization_failure(
    two_desks: tuple[PgStore, PgStore], database_url: str
) -> None:
    store = two_desks[0]
    runs: list[int] = []

    def work(conn: Conn) -> None:
        runs.append(1)
        conn.execute("INSERT INTO nonces VALUES ('kept', %s)", (NOW,))
        if len(runs) == 1:
            raise psycopg.errors.SerializationFailure("could not serialize access")

    store._write(work)
    assert len(runs) == 2
    assert nonces(database_url) == {"kept"}


def test_other_failures_are_not_run_again(
    two_desks: tuple[PgStore, PgStore], database_url: str
) -> None:
    """A lost connection may have committed or not: running it again could spend twice."""
    store = two_desks[0]
    runs: list[int] = []

    def work(conn: Conn) -> None:
        runs.append(1)
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    with pytest.raises(Error) as raised:
        store._write(work)
    assert DATABASE_LOST.matches(raised.value)
    assert not rolled_back_for_a_conflict(raised.value)
    assert runs == [1]
