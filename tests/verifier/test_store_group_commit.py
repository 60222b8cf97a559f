"""The SQLite store commits the writes that wait together in one transaction (one fsync for
all), yet answers each as if alone: "use once" still holds inside a batch, a refusal undoes
only its own write, and what was answered is on disk for the next process."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from civicid.errors import Error
from verifier.errors import PRESENTATION_REPLAYED, REQUEST_UNKNOWN
from verifier.store import Store

NOW = 1_780_000_000
WAIT = 10.0  # seconds for the threads to queue up behind the held connection


def queued_together(store: Store, writes: list[Callable[[], object]]) -> list[object]:
    """Run ``writes`` in threads while the store's connection is held, so that they all
    queue; then let them go. Each result is what the write returned, or the error it raised."""
    results: list[object] = [None] * len(writes)

    def run(index: int) -> None:
        try:
            results[index] = writes[index]()
        except Error as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(writes))]
    with store._lock:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + WAIT
        while len(store._queue) < len(writes):
            assert time.monotonic() < deadline, "the writes did not queue"
            time.sleep(0.001)
    for thread in threads:
        thread.join(WAIT)
    return results


def commits_of(store: Store) -> list[str]:
    seen: list[str] = []
    store._db.set_trace_callback(lambda sql: seen.append(sql) if sql == "COMMIT" else None)
    return seen


def test_writes_waiting_together_commit_once_each_answered_as_alone(tmp_path: Path) -> None:
    store = Store(tmp_path / "verifier.db")
    commits = commits_of(store)
    writes: list[Callable[[], object]] = [
        *(lambda n=n: store.use_nonce(f"nonce-{n}", NOW) for n in range(5)),
        lambda: store.use_nonce("twice", NOW),
        lambda: store.use_nonce("twice", NOW),
        lambda: store.fetch_request_object("no-such-request", NOW),
    ]
    results = queued_together(store, writes)
    assert commits == ["COMMIT"]  # eight writes, one transaction
    assert results[:5] == [None] * 5
    # Inside one batch the second spend still sees the first: one passes, one is a replay.
    twice = results[5:7]
    assert None in twice
    assert [r.code for r in twice if isinstance(r, Error)] == [PRESENTATION_REPLAYED.name]
    unknown = results[7]
    assert isinstance(unknown, Error) and unknown.code == REQUEST_UNKNOWN.name
    store.close()

    again = Store(tmp_path / "verifier.db")  # what was answered is on disk
    for nonce in [*(f"nonce-{n}" for n in range(5)), "twice"]:
        try:
            again.use_nonce(nonce, NOW)
        except Error as exc:
            assert exc.code == PRESENTATION_REPLAYED.name
        else:
            raise AssertionError(f"{nonce} was answered spent but not kept")
    again.close()


def test_a_refusal_in_a_batch_undoes_only_its_own_write(tmp_path: Path) -> None:
    store = Store(tmp_path / "verifier.db")

    def spend_then_refuse() -> None:
        def work(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO nonces VALUES ('refused', ?)", (NOW,))
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
    kept = {row[0] for row in store._read("SELECT nonce FROM nonces", ())}
    assert kept == {"before", "after"}
    store.close()
