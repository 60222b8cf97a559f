"""The group-commit writer outlives its callers: a waiter that gives up (its request cancelled,
its future withdrawn) takes nobody else's acknowledgement with it, and the store goes on
committing; a write the store cannot take is refused with its code, alone."""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from civicid.errors import Error
from issuer.records import AuditEvent, Clerk
from issuer.store import Audit, PutClerk, SqliteStore

if TYPE_CHECKING:  # imported where used: psycopg loads only for the PostgreSQL tests
    from issuer.pg_store import PgStore

# Long enough for a commit on a busy machine; a dead writer never answers at all.
WAIT_SECONDS = 30


def clerk(n: int) -> PutClerk:
    return PutClerk(
        Clerk(id=f"c{n}", name=f"clerk {n}", scopes=("offers",), key_hash="h", created=1)
    )


def too_deep() -> object:
    """A value nested deeper than any writer of JSON goes."""
    deep: object = 0
    for _ in range(100_000):
        deep = [deep]
    return deep


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqliteStore]:
    with contextlib.closing(SqliteStore(tmp_path, create=True)) as store:
        yield store


@pytest.fixture
def pg_store(database_url: str) -> Iterator[PgStore]:
    from issuer.pg_store import PgStore

    with contextlib.closing(PgStore(database_url, create=True)) as store:
        yield store


def test_a_withdrawn_waiter_takes_no_other_acknowledgement_with_it(
    sqlite_store: SqliteStore,
) -> None:
    store = sqlite_store
    waiting: list[Future[None]] = [store.submit([clerk(n)]) for n in range(100)]
    # A queued write may already be in the transaction: it cannot be withdrawn.
    assert not any(future.cancel() for future in waiting[::7])
    for future in waiting:
        future.result(timeout=WAIT_SECONDS)
    store.write([clerk(1000)])
    assert {c.id for c in store.clerks()} == {f"c{n}" for n in [*range(100), 1000]}


def test_a_write_the_store_cannot_take_is_refused_alone(sqlite_store: SqliteStore) -> None:
    store = sqlite_store
    event = AuditEvent(
        at=1,
        actor="a",
        action="x",
        subject=None,
        record=None,
        outcome="ok",
        detail={"deep": too_deep(), "n": math.inf},
    )
    good = store.submit([clerk(1)])
    bad = store.submit([Audit(event)])
    after = store.submit([clerk(2)])
    with pytest.raises(Error) as refused:
        bad.result(timeout=WAIT_SECONDS)
    assert refused.value.code == "issuer_store_failed"
    good.result(timeout=WAIT_SECONDS)
    after.result(timeout=WAIT_SECONDS)
    store.write([clerk(3)])
    assert {c.id for c in store.clerks()} == {"c1", "c2", "c3"}
    assert store.audit(after=0, limit=10) == []


def test_on_postgresql_a_write_it_cannot_take_is_refused_alone(pg_store: PgStore) -> None:
    store = pg_store
    event = AuditEvent(at=1, actor="a", action="x", detail={"deep": too_deep()})
    waiting = [store.submit([clerk(1)]), store.submit([Audit(event)])]
    waiting.append(store.submit([clerk(2)]))
    with pytest.raises(Error) as refused:
        waiting[1].result(timeout=WAIT_SECONDS)
    assert refused.value.code == "issuer_store_failed"
    waiting[0].result(timeout=WAIT_SECONDS)
    waiting[2].result(timeout=WAIT_SECONDS)
    assert {c.id for c in store.clerks()} == {"c1", "c2"}
    assert store.audit(after=0, limit=10) == []


def test_on_postgresql_a_batch_that_breaks_is_refused_and_the_writer_goes_on(
    pg_store: PgStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = pg_store

    def a_bug(*_: object) -> None:
        raise KeyError("a bug")

    with monkeypatch.context() as patched:
        patched.setattr(type(store), "_apply", a_bug)
        with pytest.raises(Error) as refused:
            store.submit([clerk(1)]).result(timeout=WAIT_SECONDS)
        assert refused.value.code == "issuer_store_failed"
    # What broke is the issuer's log's to say, not every waiting caller's answer's.
    assert "a bug" not in refused.value.message
    assert any("a bug" in (r.exc_text or "") for r in caplog.records)
    store.submit([clerk(2)]).result(timeout=WAIT_SECONDS)
    assert {c.id for c in store.clerks()} == {"c2"}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_refused_writes_hook_runs_before_its_caller_is_told_and_only_then(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """What a caller keeps in memory for a write (an offer) is let go by ``refused`` on the
    writer thread, before the refusal can be seen; a write that lands never calls it."""
    store = request.getfixturevalue(f"{'sqlite' if kind == 'sqlite' else 'pg'}_store")
    seen: list[tuple[str, bool]] = []
    futures: dict[str, Future[None]] = {}
    known = threading.Event()  # the hook may run before ``submit`` has returned

    def hook(name: str) -> None:
        assert known.wait(WAIT_SECONDS)
        seen.append((name, futures[name].done()))

    event = AuditEvent(at=1, actor="a", action="x", detail={"deep": too_deep()})
    for name, ops in (("good", [clerk(1)]), ("bad", [Audit(event)])):
        futures[name] = store.submit(ops, refused=lambda name=name: hook(name))
    known.set()
    with pytest.raises(Error):
        futures["bad"].result(timeout=WAIT_SECONDS)
    futures["good"].result(timeout=WAIT_SECONDS)
    assert seen == [("bad", False)]
