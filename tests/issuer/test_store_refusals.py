"""A write the SQLite store refuses (a full disk, a failed fsync at the commit): every caller
of it is refused with ``issuer_store_failed``, the issuer's memory is made what is on disk
again before any of them is told (an offer, a redemption, an issuance or a status change
refused is not kept, nor published), and the store takes writes again once the disk has room,
with no restart."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from civicid.errors import Error
from civicid.status_list import STATUS_INVALID, STATUS_VALID
from issuer.errors import STORE_FAILED
from issuer.records import OFFERED, REDEEMED
from issuer.store import PutClerk, PutIssued, PutOffer, SqliteStore, verify_audit_chain
from tests.issuer.conftest import Env
from tests.issuer.test_bad_input import credential_request, good_proof, offer, token_request
from tests.issuer.test_found_group_commit import WAIT_SECONDS, clerk
from tests.issuer.test_status import issue, on_ledger

DISK_FULL = "database or disk is full"  # SQLite's SQLITE_FULL, what ENOSPC becomes


class FullDisk:
    """The store's writing connection with a disk that takes nothing while ``full``: each
    commit (where SQLite writes the WAL's frames and fsyncs them) fails as ENOSPC makes it."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.full = False
        self.refused = 0

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if self.full and sql == "COMMIT":
            self.refused += 1
            raise sqlite3.OperationalError(DISK_FULL)
        return self.db.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


def full_disk(store: Any, monkeypatch: pytest.MonkeyPatch) -> FullDisk:
    assert isinstance(store, SqliteStore)
    disk = FullDisk(store._db)
    monkeypatch.setattr(store, "_db", disk)
    return disk


@pytest.fixture
def disk(env: Env, monkeypatch: pytest.MonkeyPatch) -> FullDisk:
    return full_disk(env.store, monkeypatch)


def refused(call: Callable[[], object]) -> Error:
    with pytest.raises(Error) as caught:
        call()
    assert STORE_FAILED.matches(caught.value), caught.value
    return caught.value


def memory_is_disk(env: Env) -> None:
    """The offers in play and every status index, in memory as on disk."""
    on_disk = {o.id: o for o in env.store.active_offers() if o.claims is not None}
    assert env.issuer.offers.by_id == on_disk
    assert set(env.issuer.offers.by_token.values()) == {
        o.id for o in on_disk.values() if o.token_hash
    }
    lists = env.store.lists()
    assert sorted(env.issuer.lists.lists) == [r.number for r in lists]
    for record in lists:
        state = env.issuer.lists.lists[record.number]
        slots = dict(env.store.slots(record.number))
        assert state.allocator.allocated == len(slots)
        assert {i: state.bits.get(i) for i in slots} == slots


def test_an_offer_the_disk_refused_is_not_kept(env: Env, disk: FullDisk) -> None:
    kept = offer(env, record="REG-KEPT")
    disk.full = True
    refused(lambda: offer(env, record="REG-LOST"))
    assert disk.refused >= 1
    assert [o.record for o in env.issuer.offers.by_id.values()] == ["REG-KEPT"]
    memory_is_disk(env)
    disk.full = False
    again = offer(env, record="REG-AGAIN")  # room again: no restart
    assert {o.record for o in env.store.active_offers()} == {"REG-KEPT", "REG-AGAIN"}
    assert env.issuer.offer(again.offer.id).state == OFFERED
    assert env.issuer.offer(kept.offer.id).state == OFFERED
    memory_is_disk(env)


def test_a_redemption_the_disk_refused_leaves_the_code_to_redeem(env: Env, disk: FullDisk) -> None:
    created = offer(env)
    disk.full = True
    refused(lambda: env.issuer.token(token_request(created, created.tx_code)))
    assert env.issuer.offers.by_id[created.offer.id].state == OFFERED  # as on disk
    memory_is_disk(env)
    disk.full = False
    token = env.issuer.token(token_request(created, created.tx_code)).access_token
    stored = env.store.offer(created.offer.id)
    assert stored is not None and stored.state == REDEEMED
    answer = env.issuer.credential_request(token, credential_request([good_proof(env)]))
    assert answer.credentials is not None and len(answer.credentials) == 1


def test_an_issuance_the_disk_refused_leaves_its_token_and_frees_its_index(
    env: Env, disk: FullDisk
) -> None:
    created = offer(env)
    token = env.issuer.token(token_request(created, created.tx_code)).access_token
    issue(env, record="REG-EARLIER")  # a list in use
    current = env.issuer.lists.current
    assert current is not None
    allocated = current.allocator.allocated
    disk.full = True
    refused(lambda: env.issuer.credential_request(token, credential_request([good_proof(env)])))
    current = env.issuer.lists.current
    assert current is not None and current.allocator.allocated == allocated
    assert env.issuer.credentials(record="REG-1", status=None, limit=5, offset=0) == []
    memory_is_disk(env)
    disk.full = False
    answer = env.issuer.credential_request(token, credential_request([good_proof(env)]))
    assert answer.credentials is not None and len(answer.credentials) == 1
    assert len(env.issuer.credentials(record="REG-1", status=None, limit=5, offset=0)) == 1
    memory_is_disk(env)


def test_a_revocation_the_disk_refused_is_neither_kept_nor_published(
    env: Env, disk: FullDisk
) -> None:
    issued = issue(env)
    env.issuer.publish()
    disk.full = True
    refused(lambda: env.issuer.set_status(env.clerk(), issued.id, "revoke"))
    number, idx = issued.slots[0]
    assert env.issuer.lists.lists[number].bits.get(idx) == STATUS_VALID
    memory_is_disk(env)
    refused(env.issuer.publish)  # nothing reaches the ledger the disk did not take
    assert on_ledger(env, issued) == {STATUS_VALID}
    disk.full = False
    env.issuer.publish()
    assert on_ledger(env, issued) == {STATUS_VALID}
    revoked = env.issuer.set_status(env.clerk(), issued.id, "revoke")  # valid, as on disk
    assert revoked.status == STATUS_INVALID
    env.issuer.publish()
    assert on_ledger(env, issued) == {STATUS_INVALID}


def test_a_write_queued_behind_a_refused_one_is_settled_before_memory_is_read(
    env: Env, disk: FullDisk
) -> None:
    """An offer queued while a refused commit is under way is committed (the disk has room by
    then) before memory is read again: it is in memory as on disk."""
    in_commit, go_on = threading.Event(), threading.Event()
    execute = disk.execute

    def slow_commit(sql: str, *args: Any) -> sqlite3.Cursor:
        if disk.full and sql == "COMMIT":
            in_commit.set()
            go_on.wait(WAIT_SECONDS)
            raise sqlite3.OperationalError(DISK_FULL)
        return execute(sql, *args)

    disk.execute = slow_commit  # type: ignore[method-assign]  # the commit held open
    disk.full = True
    lost: list[str] = []

    def first() -> None:
        try:
            offer(env, record="REG-LOST")
        except Error as exc:
            lost.append(exc.code)

    refusing = threading.Thread(target=first)
    refusing.start()
    assert in_commit.wait(WAIT_SECONDS)
    queued: list[Any] = []
    behind = threading.Thread(target=lambda: queued.append(offer(env, record="REG-QUEUED")))
    behind.start()
    while env.store._queue.qsize() == 0 and not go_on.wait(0.01):  # type: ignore[attr-defined]
        pass  # the second offer queued behind the commit
    disk.full = False
    go_on.set()
    refusing.join(WAIT_SECONDS)
    behind.join(WAIT_SECONDS)
    assert lost == ["issuer_store_failed"]
    assert len(queued) == 1 and queued[0].offer.id in env.issuer.offers.by_id
    memory_is_disk(env)


def test_a_full_disk_refuses_every_caller_then_takes_writes_once_it_has_room(
    env: Env, disk: FullDisk
) -> None:
    disk.full = True
    outcomes: list[str] = []

    def create(n: int) -> None:
        try:
            offer(env, record=f"FULL-{n}")
        except Error as exc:
            outcomes.append(exc.code)
        else:
            outcomes.append("ok")

    workers = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert outcomes == ["issuer_store_failed"] * 8  # nothing acknowledged unwritten
    assert env.store.active_offers() == []
    memory_is_disk(env)
    disk.full = False
    made = [offer(env, record=f"ROOM-{n}") for n in range(3)]
    events = env.issuer.audit(limit=1000)
    verify_audit_chain(events)
    assert [e.subject for e in events if e.action == "offer.create" and e.outcome == "ok"] == [
        m.offer.id for m in made
    ]
    settings = env.settings
    env.issuer.close()
    reopened = SqliteStore(settings.store_dir)
    try:
        assert {o.record for o in reopened.active_offers()} == {"ROOM-0", "ROOM-1", "ROOM-2"}
    finally:
        reopened.close()
    env.issuer = type(env.issuer).open(settings, clock=env.clock)


# -- the store on its own ----------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with contextlib.closing(SqliteStore(tmp_path, create=True)) as made:
        yield made


def test_sqlite_full_for_real_refuses_then_takes_the_write_once_there_is_room(
    store: SqliteStore,
) -> None:
    """SQLite's own SQLITE_FULL (a page budget just above the store's size)."""
    store.write([clerk(0)])
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages + 4}")
    big = PutClerk(replace(clerk(1).clerk, name="x" * 200_000))  # more than the budget
    refused(lambda: store.write([big]))
    assert {c.id for c in store.clerks()} == {"c0"}
    store._db.execute(f"PRAGMA max_page_count = {pages + 10_000}")  # room again
    store.write([big])
    store.write([clerk(2)])
    assert {c.id for c in store.clerks()} == {"c0", "c1", "c2"}


def test_memory_is_read_again_after_what_was_queued_and_before_the_refused_are_told(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = full_disk(store, monkeypatch)
    seen: list[tuple[bool, bool, BaseException | None, set[str]]] = []
    first: list[Future[None]] = []

    def reconcile(settle_queued: Callable[[], None]) -> None:
        later = store.submit([clerk(2)])  # queued meanwhile, before the memory is read
        disk.full = False
        settle_queued()
        seen.append(
            (first[0].done(), later.done(), later.exception(), {c.id for c in store.clerks()})
        )

    store.reconcile = reconcile
    disk.full = True
    first.append(store.submit([clerk(1)]))
    refused(lambda: first[0].result(timeout=WAIT_SECONDS))
    assert seen == [(False, True, None, {"c2"})]
    store.write([clerk(3)])  # not reconciled again: nothing refused
    assert len(seen) == 1
    assert {c.id for c in store.clerks()} == {"c2", "c3"}


def test_a_memory_that_cannot_be_read_again_stops_every_later_write(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = full_disk(store, monkeypatch)

    def reconcile(_: Callable[[], None]) -> None:
        raise STORE_FAILED("read failed: disk I/O error")

    store.reconcile = reconcile
    disk.full = True
    refused(lambda: store.write([clerk(1)]))
    disk.full = False
    error = refused(lambda: store.submit([clerk(2)]))
    assert "must be reopened" in error.message
    assert store.clerks() == []


def test_the_stop_mark_met_while_settling_what_was_queued_ends_the_writer(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = full_disk(store, monkeypatch)
    late: list[Future[None]] = []

    def reconcile(settle_queued: Callable[[], None]) -> None:
        late.append(store.submit([clerk(2)]))
        store._queue.put(None)  # as closing does
        late.append(store.submit([clerk(3)]))
        disk.full = False
        settle_queued()

    store.reconcile = reconcile
    disk.full = True
    refused(lambda: store.write([clerk(1)]))
    store._writer.join(WAIT_SECONDS)
    assert not store._writer.is_alive()
    assert late[0].result(timeout=0) is None
    assert not late[1].done()  # after the stop mark: never taken
    assert {c.id for c in store.clerks()} == {"c2"}


def test_a_publication_snapshot_holding_a_change_refused_meanwhile_is_taken_anew(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The revocation is in memory when the publication takes its snapshot, then refused
    by the store: the ledger is told the list as it is on disk."""
    issued = issue(env)
    env.issuer.publish()
    store = env.store
    assert isinstance(store, SqliteStore)
    gate, taken = threading.Event(), threading.Event()
    apply = SqliteStore._apply

    def refusing(self: SqliteStore, op: Any, last_hash: str) -> str:
        if isinstance(op, PutOffer) and op.offer.record == "REG-REFUSED":
            raise sqlite3.IntegrityError("refused")
        if isinstance(op, PutIssued) and op.issued.status == STATUS_INVALID:
            taken.set()
            gate.wait(WAIT_SECONDS)  # until the publication's snapshot holds it
            raise sqlite3.IntegrityError("refused")
        return apply(self, op, last_hash)

    monkeypatch.setattr(SqliteStore, "_apply", refusing)
    refused(lambda: offer(env, record="REG-REFUSED"))  # memory read again once before
    _, revoking = env.issuer._set_status_begin(env.clerk(), issued.id, "revoke")
    published: list[Any] = []
    publisher = threading.Thread(target=lambda: published.append(env.issuer.publish()))
    assert taken.wait(WAIT_SECONDS)  # the writer holds the revocation
    publisher.start()
    deadline = threading.Event()
    while store._queue.qsize() == 0 and not deadline.wait(0.01):
        pass  # the snapshot's barrier is queued behind the revocation
    gate.set()
    publisher.join(WAIT_SECONDS)
    refused(lambda: revoking.result(timeout=WAIT_SECONDS))
    assert len(published) == 1
    assert on_ledger(env, issued) == {STATUS_VALID}
    memory_is_disk(env)
