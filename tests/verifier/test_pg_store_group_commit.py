"""The PostgreSQL store commits the writes that wait together in one transaction (one flush
of the database's log for all), yet answers each as if alone: "use once" still holds inside
a batch, a refusal or a failed statement undoes only its own write, what was answered is in
the database for the next process, and a batch whose connection is lost commits nothing and
says so to every write in it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from civicid.db import DATABASE_FAILED, DATABASE_LOST, Conn
from civicid.errors import Error
from verifier.errors import PRESENTATION_REPLAYED, REQUEST_UNKNOWN
from verifier.pg_store import COMMITTERS, PgStore
from verifier.store import PendingRequest

NOW = 1_780_000_000
WAIT = 10.0  # seconds for the threads to queue up behind the busy committers


def queued_together(store: PgStore, writes: list[Callable[[], object]]) -> list[object]:
    """Run ``writes`` in threads while every committer of the store is busy, so that they
    all queue; then let them go. Each result is what the write returned, or the error it raised."""
    results: list[object] = [None] * len(writes)

    def run(index: int) -> None:
        try:
            results[index] = writes[index]()
        except Error as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(writes))]
    with store._turn:
        store._committing = COMMITTERS  # every committer busy
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + WAIT
    while len(store._queue) < len(writes):
        assert time.monotonic() < deadline, "the writes did not queue"
        time.sleep(0.001)
    with store._turn:
        store._committing = 0
        store._turn.notify_all()
    for thread in threads:
        thread.join(WAIT)
    return results


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    opened = PgStore(database_url)
    yield opened
    opened.close()


def batches_of(store: PgStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each batch the store commits from now on."""
    sizes: list[int] = []
    commit = store._commit

    def counted(batch: list[Any]) -> None:
        sizes.append(len(batch))
        commit(batch)

    monkeypatch.setattr(store, "_commit", counted)
    return sizes


def nonces(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute("SELECT nonce FROM verifier.nonces")}


def request(n: int) -> PendingRequest:
    return PendingRequest(
        id=f"id-{n}", state=f"state-{n}", transaction_id=f"tx-{n}", nonce=f"nonce-{n}",
        policy="p", request_object="a.b.c", created=NOW, expires=NOW + 300,
    )  # fmt: skip


def test_writes_waiting_together_commit_once_each_answered_as_alone(
    store: PgStore, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add_request(request(1))
    batches = batches_of(store, monkeypatch)
    writes: list[Callable[[], object]] = [
        *(lambda n=n: store.use_nonce(f"nonce-{n}", NOW) for n in range(5)),
        lambda: store.use_nonce("twice", NOW),
        lambda: store.use_nonce("twice", NOW),
        lambda: store.fetch_request_object("no-such-request", NOW),
        lambda: store.fetch_request_object("id-1", NOW),
        lambda: store.fetch_request_object("id-1", NOW),
    ]
    results = queued_together(store, writes)
    assert batches == [len(writes)]  # ten writes, one transaction
    assert results[:5] == [None] * 5
    # Inside one batch the second spend still sees the first: one passes, one is a replay.
    twice = results[5:7]
    assert None in twice
    assert [r.code for r in twice if isinstance(r, Error)] == [PRESENTATION_REPLAYED.name]
    unknown = results[7]
    assert isinstance(unknown, Error) and unknown.code == REQUEST_UNKNOWN.name
    fetched = results[8:10]
    assert "a.b.c" in fetched
    assert [r.code for r in fetched if isinstance(r, Error)] == ["request_already_fetched"]
    # What was answered is in the database, for another process.
    assert nonces(database_url) == {*(f"nonce-{n}" for n in range(5)), "twice"}


def test_a_refusal_in_a_batch_undoes_only_its_own_write(store: PgStore, database_url: str) -> None:
    def spend_then_refuse() -> None:
        def work(conn: Conn) -> None:
            conn.execute("INSERT INTO nonces VALUES ('refused', %s)", (NOW,))
            raise REQUEST_UNKNOWN("refused after writing")

        store._write(work)

    results = queued_together(
        store,
        [
            lambda: store.use_nonce("before", NOW),
            spend_then_refuse,
            lambda: store.use_nonce("after", NOW),
        ],
    )
    assert results[0] is None and results[2] is None
    refused = results[1]
    assert isinstance(refused, Error) and refused.code == REQUEST_UNKNOWN.name
    assert nonces(database_url) == {"before", "after"}


def test_a_failed_statement_in_a_batch_undoes_only_its_own_write(
    store: PgStore, database_url: str
) -> None:
    store.add_request(request(1))
    results = queued_together(
        store,
        [
            lambda: store.use_nonce("before", NOW),
            lambda: store.add_request(request(1)),  # its id is taken: the statement fails
            lambda: store.use_nonce("after", NOW),
        ],
    )
    assert results[0] is None and results[2] is None
    failed = results[1]
    assert isinstance(failed, Error) and DATABASE_FAILED.matches(failed)
    assert nonces(database_url) == {"before", "after"}


def test_a_batch_that_loses_its_connection_commits_nothing_and_tells_every_write(
    store: PgStore, database_url: str
) -> None:
    def lose_the_connection() -> None:
        def work(conn: Conn) -> None:
            raise psycopg.OperationalError("server closed the connection unexpectedly")

        store._write(work)

    results = queued_together(
        store,
        [
            lambda: store.use_nonce("before", NOW),
            lose_the_connection,
            lambda: store.use_nonce("after", NOW),
        ],
    )
    assert all(isinstance(r, Error) and DATABASE_LOST.matches(r) for r in results), results
    assert nonces(database_url) == set()
    store.use_nonce("before", NOW)  # the next write has a connection again
    assert nonces(database_url) == {"before"}


def test_a_write_that_finds_a_committer_free_commits_at_once(
    store: PgStore, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the committers' limit nothing waits for a batch to form: the write is alone."""
    batches = batches_of(store, monkeypatch)
    with store._turn:
        store._committing = COMMITTERS - 1  # all but one busy
    try:
        store.use_nonce("alone", NOW)
    finally:
        with store._turn:
            store._committing = 0
    assert batches == [1]
    assert nonces(database_url) == {"alone"}


def test_many_writers_at_once_each_spend_a_nonce_once(store: PgStore, database_url: str) -> None:
    """Forty threads, each nonce spent by two of them: one passes, the other is a replay,
    whichever batches they fall in."""
    spent = [f"nonce-{n // 2}" for n in range(40)]
    outcomes: list[object] = [None] * len(spent)
    start = threading.Barrier(len(spent))

    def spend(index: int) -> None:
        start.wait()
        try:
            store.use_nonce(spent[index], NOW)
            outcomes[index] = "spent"
        except Error as exc:
            outcomes[index] = exc.code

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(len(spent))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 3)
    for n in range(20):
        pair = sorted(str(o) for o in outcomes[2 * n : 2 * n + 2])
        assert pair == [PRESENTATION_REPLAYED.name, "spent"], (n, pair)
    assert nonces(database_url) == set(spent)
