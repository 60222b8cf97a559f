"""A failing disk under the issuer's group commit: one caller of a batch whose write the
store refuses (disk full, raised by SQLite mid-batch) gets its own refusal; every other
caller of that batch is acknowledged only with its writes on disk (read back from a store
opened afresh), the audit chain unbroken across the refused caller, and nothing of the
refused caller kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from civicid.errors import Error
from issuer.errors import STORE_FAILED
from issuer.records import AuditEvent, Clerk
from issuer.store import (
    Acknowledgement,
    Audit,
    Batch,
    Op,
    PutClerk,
    SqliteStore,
    verify_audit_chain,
)

FULL = "disk-full"  # the clerk whose write the disk refuses


class FullDisk(SqliteStore):
    """The store, with SQLite failing as a full disk does on one caller's row."""

    def _apply(self, op: Op, last_hash: str) -> str:
        if isinstance(op, PutClerk) and op.clerk.name == FULL:
            raise sqlite3.OperationalError("database or disk is full")
        return super()._apply(op, last_hash)


def caller(i: int, name: str) -> list[Op]:
    clerk = Clerk(id=f"c{i}", name=name, scopes=("offers",), key_hash="h" * 8, created=i)
    return [
        Audit(AuditEvent(at=i, actor="admin", action="clerk.add", subject=clerk.id)),
        PutClerk(clerk),
        Audit(AuditEvent(at=i, actor="admin", action="clerk.added", subject=clerk.id)),
    ]


@pytest.mark.parametrize("refused_at", [0, 2, 4])
def test_one_refused_caller_leaves_the_others_acknowledged_and_durable(
    tmp_path: Path, refused_at: int
) -> None:
    store = FullDisk(tmp_path, create=True)
    try:
        batch: Batch = []
        for i in range(5):
            done = Acknowledgement(hand_over=lambda: None)
            done.set_running_or_notify_cancel()
            batch.append((caller(i, FULL if i == refused_at else f"clerk {i}"), done))
        store._settle(batch)  # one batch, as the writer thread takes it
        for i, (_, done) in enumerate(batch):
            if i == refused_at:
                with pytest.raises(Error) as caught:
                    done.result(timeout=5)
                assert STORE_FAILED.matches(caught.value)
            else:
                assert done.result(timeout=5) is None
        assert store._failed is None  # one caller's refusal fails no later write
        store.write(caller(9, "after"))
    finally:
        store.close()
    reopened = SqliteStore(tmp_path)
    try:
        names = {c.id: c.name for c in reopened.clerks()}
        expected = {f"c{i}": f"clerk {i}" for i in range(5) if i != refused_at}
        assert names == {**expected, "c9": "after"}
        events = reopened.audit(after=0, limit=100)
        assert [e.subject for e in events if e.action == "clerk.added"] == [*expected, "c9"]
        assert f"c{refused_at}" not in {e.subject for e in events}  # none of it kept
        verify_audit_chain(events)
    finally:
        reopened.close()


def test_a_disk_full_for_real_acknowledges_nothing_it_did_not_write(tmp_path: Path) -> None:
    """SQLite's own SQLITE_FULL (a page budget just above the store's size; SQLite may roll
    the whole transaction back): the caller too large for the disk is refused with its code,
    every caller acknowledged is on disk once the store is opened afresh and every one
    refused is not, the audit chain intact."""
    store = SqliteStore(tmp_path, create=True)
    acknowledged, refused = {"c0"}, set()
    try:
        store.write(caller(0, "before"))
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages + 4}")
        batch: Batch = []
        for i in range(1, 6):
            done = Acknowledgement(hand_over=lambda: None)
            done.set_running_or_notify_cancel()
            batch.append((caller(i, "x" * 200_000 if i == 3 else f"clerk {i}"), done))
        store._settle(batch)
        for i, (_, done) in enumerate(batch, start=1):
            failure = done.exception(timeout=5)
            if failure is None:
                acknowledged.add(f"c{i}")
            else:
                assert isinstance(failure, Error) and STORE_FAILED.matches(failure)
                refused.add(f"c{i}")
        assert "c3" in refused
    finally:
        store.close()
    reopened = SqliteStore(tmp_path)
    try:
        assert {c.id for c in reopened.clerks()} == acknowledged
        events = reopened.audit(after=0, limit=100)
        assert not refused & {e.subject for e in events}
        verify_audit_chain(events)
    finally:
        reopened.close()


def test_a_refused_hook_that_fails_refuses_later_writes_and_leaves_the_writer_alive(
    tmp_path: Path,
) -> None:
    """A refused write's hook (the memory letting go of what was refused) that itself fails
    leaves a memory that may hold what is not on disk: the caller is still told its refusal,
    and every later write is refused with the store's code, not left waiting on a writer
    thread that died."""

    def failing() -> None:
        raise RuntimeError("memory could not let go")

    store = FullDisk(tmp_path, create=True)
    try:
        done = store.submit(caller(0, FULL), refused=failing)
        with pytest.raises(Error) as caught:
            done.result(timeout=5)
        assert STORE_FAILED.matches(caught.value)
        with pytest.raises(Error) as later:
            store.write(caller(1, "after"))
        assert STORE_FAILED.matches(later.value)
        assert "not settled" in str(later.value)
    finally:
        store.close()
