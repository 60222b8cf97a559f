"""Writes submitted on an event loop reach the store's writer together, once per turn of the
loop; a write from another thread is handed over at once, behind what the loop queued before
it; waiting on a write (or closing the store) never waits for a turn that cannot come."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from issuer.records import Clerk
from issuer.store import Batch, PutClerk, SqliteStore

# Long enough for a commit on a busy machine; a lost write never completes at all.
WAIT_SECONDS = 30


def clerk(n: int) -> PutClerk:
    return PutClerk(
        Clerk(id=f"c{n}", name=f"clerk {n}", scopes=("issue",), key_hash="h", created=n)
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with contextlib.closing(SqliteStore(tmp_path, create=True)) as opened:
        yield opened


class Handed:
    """The store's queue to its writer, each hand-over (one queue item) noted as it is put."""

    def __init__(self, store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.items: list[list[str]] = []
        self.queue = store._queue
        monkeypatch.setattr(store, "_queue", self)

    def put(self, item: Batch | None) -> None:
        if item is not None:
            self.items.append(
                [op.clerk.id for ops, _ in item for op in ops if isinstance(op, PutClerk)]
            )
        self.queue.put(item)

    def __getattr__(self, name: str) -> Any:  # the rest is the queue's
        return getattr(self.queue, name)


def test_a_turns_writes_are_handed_over_together(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed = Handed(store, monkeypatch)

    async def turn() -> None:
        futures = [store.submit([clerk(n)]) for n in range(5)]  # one turn: no await between
        assert handed.items == []  # nothing handed over until the loop comes round
        await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))

    asyncio.run(turn())
    assert handed.items == [["c0", "c1", "c2", "c3", "c4"]]
    assert {c.id for c in store.clerks()} == {f"c{n}" for n in range(5)}


def test_the_next_turns_writes_are_handed_over_apart(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed = Handed(store, monkeypatch)

    async def turns() -> None:
        first = store.submit([clerk(1)])
        await asyncio.sleep(0)  # the loop comes round: the first turn is handed over
        second = store.submit([clerk(2)])
        await asyncio.gather(asyncio.wrap_future(first), asyncio.wrap_future(second))

    asyncio.run(turns())
    assert handed.items == [["c1"], ["c2"]]


def test_a_write_from_a_thread_goes_behind_what_the_loop_queued_before_it(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed = Handed(store, monkeypatch)

    async def turn() -> None:
        on_loop = store.submit([clerk(1)])
        from_thread: list[Future[None]] = []
        worker = threading.Thread(target=lambda: from_thread.append(store.submit([clerk(2)])))
        worker.start()
        worker.join(WAIT_SECONDS)
        assert handed.items == [["c1", "c2"]]  # at once, the loop's first
        await asyncio.wrap_future(on_loop)
        from_thread[0].result(WAIT_SECONDS)

    asyncio.run(turn())
    assert handed.items == [["c1", "c2"]]


def test_waiting_on_a_write_on_the_loop_hands_it_over(store: SqliteStore) -> None:
    """A caller that blocks its loop on a write (``result``) is answered, not stuck."""

    async def blocking() -> None:
        store.submit([clerk(1)]).result(WAIT_SECONDS)
        assert store.submit([clerk(2)]).exception(WAIT_SECONDS) is None

    asyncio.run(blocking())
    assert {c.id for c in store.clerks()} == {"c1", "c2"}


def test_closing_commits_what_a_turn_queued(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path, create=True)

    async def turn() -> Future[None]:
        queued = store.submit([clerk(1)])
        store.close()  # in the same turn, before the loop comes round
        return queued

    queued = asyncio.run(turn())
    assert queued.result(0) is None
    with contextlib.closing(SqliteStore(tmp_path)) as again:
        assert [c.id for c in again.clerks()] == ["c1"]
