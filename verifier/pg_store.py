"""The desk's store on PostgreSQL (``--database-url``): the same records as the SQLite store
(``verifier.store``), shared by every desk process on the database.

Each "use once" rule is one conditional statement, atomic across processes: the request
object is taken by ``UPDATE … WHERE fetched IS NULL``, the right to answer by ``UPDATE …
WHERE answered IS NULL``, a nonce by ``INSERT … ON CONFLICT DO NOTHING``; whichever process
the row lock lets through first wins, the others see the row changed and are refused. Every
write commits before it returns (``civicid.db``: synchronous commit).

As in the SQLite store, writes that arrive while another commits are committed together
(group commit): one transaction, each write in its own savepoint in the order they came, so
a refusal or a failed statement undoes only its own write, and each is answered only once the
transaction's COMMIT (one flush of the database's log) has returned. A batch the server rolls
back to break a deadlock with another process's batch (or for a serialization failure)
committed nothing and was answered nothing: it is run again, then each write alone, a
bounded number of times, before its writes are told to retry.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Final, Generic, TypeVar

import psycopg

from civicid.db import POOL_MAX, Conn, Database, Schema
from verifier.errors import (
    PRESENTATION_REPLAYED,
    REQUEST_ALREADY_ANSWERED,
    REQUEST_ALREADY_FETCHED,
    REQUEST_EXPIRED,
    REQUEST_UNKNOWN,
)
from verifier.poll import POLLED_COLUMNS, Polled, decision_text
from verifier.store import (
    COLUMNS,
    KEEP_NONCES_SECONDS,
    KEEP_REQUESTS_SECONDS,
    MAX_AUDIT_ROWS_LISTED,
    SWEEP_SECONDS,
    UNANSWERED_KEPT_SECONDS,
    PendingRequest,
    request_of,
)

# Times are Unix seconds, as in the SQLite store; BIGINT outlives 2038.
SCHEMA: Final = Schema(
    "verifier",
    (
        """
        CREATE TABLE requests (
            id TEXT PRIMARY KEY,
            state TEXT NOT NULL UNIQUE,
            transaction_id TEXT NOT NULL UNIQUE,
            nonce TEXT NOT NULL UNIQUE,
            policy TEXT NOT NULL,
            request_object TEXT NOT NULL,
            created BIGINT NOT NULL,
            expires BIGINT NOT NULL,
            fetched BIGINT,
            answered BIGINT,
            decision TEXT,
            receipt TEXT
        );
        CREATE INDEX requests_expires ON requests (expires);
        CREATE TABLE nonces (nonce TEXT PRIMARY KEY, used BIGINT NOT NULL);
        CREATE INDEX nonces_used ON nonces (used);
        CREATE TABLE audit (seq BIGSERIAL PRIMARY KEY, record TEXT NOT NULL);
        CREATE TABLE status_uris (uri TEXT PRIMARY KEY, seen BIGINT NOT NULL);
        """,
    ),
)
SELECT_REQUEST: Final = f"SELECT {COLUMNS} FROM requests"  # noqa: S608 - a constant


T = TypeVar("T")


# Batches committing at once in one process: as many as its pool lends connections. A write
# that finds one free starts its own transaction at once (PostgreSQL flushes concurrent
# COMMITs together by itself); past that, writes wait, and the next free one takes them all.
COMMITTERS: Final = POOL_MAX
# Times a batch is run again when the server rolled it back to resolve a conflict (SQLSTATE
# 40P01 deadlock_detected, 40001 serialization_failure): the server guarantees nothing of it
# was committed, and the other side, let through, has committed or is about to, so a second
# run rarely meets it again. Bounded, since a batch that keeps losing holds every write in
# it: past this, each write is run alone (with the same bound), so one write caught in a
# lock cycle no longer fails the writes that came with it.
CONFLICT_ATTEMPTS: Final = 3
# Seconds a batch that lost a conflict waits before its next run, times the attempt's number,
# times a random factor in [0.5, 1.5): the rollback wakes the other side, which must take the
# rows it waited for before this batch, run again at once, takes them back (the same cycle,
# again). A few milliseconds let it by; the random factor keeps two losers out of step.
CONFLICT_BACKOFF_SECONDS: Final = 0.02
# SQLSTATE codes (PostgreSQL Appendix A, class 40 "Transaction Rollback") of a transaction
# the server rolled back whole to let another go on: safe to run again.
CONFLICT_SQLSTATES: Final = frozenset({"40001", "40P01"})


def rolled_back_for_a_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` (ours, or the driver's it was translated from) says the server rolled
    the transaction back to resolve a deadlock or a serialization failure."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, psycopg.Error) and seen.sqlstate in CONFLICT_SQLSTATES:
            return True
        seen = seen.__cause__
    return False


def _claim(conn: Conn, state: str, now: int) -> PendingRequest:
    """The claim of ``claim_answer``: the request as it was before it (``answered`` unset)."""
    taken = conn.execute(
        f"UPDATE requests SET answered = %s "  # noqa: S608 - a constant
        f"WHERE state = %s AND answered IS NULL AND expires > %s RETURNING {COLUMNS}",
        (now, state, now),
    ).fetchone()
    if taken is not None:
        claimed = request_of(taken)
        assert claimed is not None
        return replace(claimed, answered=None)
    row = conn.execute("SELECT answered FROM requests WHERE state = %s", (state,)).fetchone()
    if row is None:
        raise REQUEST_UNKNOWN("no pending request has this state")
    if row[0] is not None:
        raise REQUEST_ALREADY_ANSWERED("this request was already answered")
    raise REQUEST_EXPIRED("the request expired before the answer came")


class _Job(Generic[T]):
    """One write waiting for a commit, and what became of it."""

    __slots__ = ("done", "error", "result", "taken", "work")

    def __init__(self, work: Callable[[Conn], T]) -> None:
        self.work = work
        self.result: T | None = None
        self.error: BaseException | None = None
        self.taken = False  # in a committer's batch
        self.done = threading.Event()


def _sweep(conn: Conn, now: int) -> int:
    """``verifier.store._sweep``'s deletes, on the database (its indexes on ``expires`` and
    ``used``): how many requests went."""
    unanswered = conn.execute(
        "DELETE FROM requests WHERE expires < %s AND answered IS NULL",
        (now - UNANSWERED_KEPT_SECONDS,),
    ).rowcount
    kept = conn.execute(
        "DELETE FROM requests WHERE expires < %s", (now - KEEP_REQUESTS_SECONDS,)
    ).rowcount
    conn.execute("DELETE FROM nonces WHERE used < %s", (now - KEEP_NONCES_SECONDS,))
    return int(unanswered) + int(kept)


class PgStore:
    """The desk's store in the ``verifier`` schema of a PostgreSQL database."""

    reads_in_place = False  # a read is a round trip to the database: a thread waits for it
    committers = COMMITTERS

    def __init__(self, url: str, *, wait: float | None = None) -> None:
        self.db = Database(url, SCHEMA, wait=wait)
        self.path = self.db.where  # what messages name the store by
        self._turn = threading.Condition()  # the queue and the committers' count
        self._queue: list[_Job[Any]] = []
        self._committing = 0
        self._next_sweep = 0  # when a new request next sweeps (``SWEEP_SECONDS``)
        self._sweep_lock = threading.Lock()  # committers run side by side

    def require_file(self) -> None:
        """The database server keeps its own files: nothing to check here."""

    def close(self) -> None:
        self.db.close()

    def _write(self, work: Callable[[Conn], T]) -> T:
        """Run ``work`` in a write transaction and return its result once committed (or
        raise what it raised, its writes undone). A write that finds a committer free
        commits every write waiting by then with its own, in one transaction (group
        commit); else it waits to be taken by the next one free."""
        job: _Job[T] = _Job(work)
        batch: list[_Job[Any]] = []
        with self._turn:
            self._queue.append(job)
            while not job.taken and self._committing >= self.committers:
                self._turn.wait()
            if not job.taken:
                batch, self._queue = self._queue, []
                for waiting in batch:
                    waiting.taken = True
                self._committing += 1
        if batch:
            try:
                self._commit(batch)
            finally:
                with self._turn:
                    self._committing -= 1
                    self._turn.notify_all()
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]  # set: done without an error

    def _commit(self, batch: list[_Job[Any]]) -> None:
        """Commit ``batch``, then answer every job in it (nothing is answered before the
        COMMIT returns). A batch the server rolled back for a conflict committed nothing: it
        is run again whole, then job by job (``CONFLICT_ATTEMPTS``). Any other failure of the
        transaction (the connection lost, the COMMIT refused) is every job's error."""
        try:
            if not self._attempts(batch) and len(batch) > 1:
                for job in batch:  # split: a job caught in a cycle fails alone
                    self._attempts([job])
        except BaseException as exc:  # an interrupt: nothing committed; the waiters told
            for job in batch:
                job.result, job.error = None, exc
            raise
        finally:
            for job in batch:
                job.done.set()

    def _attempts(self, batch: list[_Job[Any]]) -> bool:
        """Run ``batch`` in one transaction up to ``CONFLICT_ATTEMPTS`` times while the server
        rolls it back for a conflict. True once it ran to an end (committed, or failed for
        another reason: each job holds its result or error); False if every attempt lost a
        conflict (each job holds that error)."""
        for attempt in range(CONFLICT_ATTEMPTS):
            if attempt:
                jitter = 0.5 + random.random()  # noqa: S311 - spacing retries, not a secret
                time.sleep(CONFLICT_BACKOFF_SECONDS * attempt * jitter)
            try:
                self._transaction(batch)
            except Exception as exc:  # alone: its refusal; else the batch's failure
                for job in batch:
                    job.result, job.error = None, exc
                if not rolled_back_for_a_conflict(exc):
                    return True
            else:
                return True
        return False

    def _transaction(self, batch: list[_Job[Any]]) -> None:
        """One transaction with a savepoint per job (a job alone in its batch has the
        transaction to itself). Every job's result and error are set afresh: a batch run
        again after a rollback keeps nothing of its earlier run."""
        for job in batch:
            job.result, job.error = None, None
        with self.db.read() as conn, conn.transaction():
            if len(batch) == 1:
                batch[0].result = batch[0].work(conn)
            else:
                for job in batch:
                    self._run_in_savepoint(conn, job)

    def _run_in_savepoint(self, conn: Conn, job: _Job[Any]) -> None:
        """``job`` in a savepoint of the batch's transaction: what it raises undoes its own
        writes only (a failed statement too: the transaction goes on past its savepoint)."""
        try:
            with conn.transaction():
                job.result = job.work(conn)
        except psycopg.OperationalError:
            # The connection itself, or the server rolling back for a deadlock or a
            # serialization failure: the whole batch fails, nothing committed (``_commit``
            # runs it again after a conflict; the rollback frees the other side's way).
            raise
        except psycopg.Error as exc:
            job.error = self.db.translate(exc)
            job.error.__cause__ = exc
        except Exception as exc:  # a refusal (ours), or a bug: its own writes undone
            job.error = exc

    # -- requests ---------------------------------------------------------------------------

    def add_request(self, request: PendingRequest) -> None:
        def work(conn: Conn) -> None:
            conn.execute(
                f"INSERT INTO requests ({COLUMNS}) "  # noqa: S608 - a constant
                "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,NULL,NULL,NULL,NULL)",
                (
                    request.id,
                    request.state,
                    request.transaction_id,
                    request.nonce,
                    request.policy,
                    request.request_object,
                    request.created,
                    request.expires,
                ),
            )
            if self._sweep_due(request.created):
                _sweep(conn, request.created)

        self._write(work)

    def _sweep_due(self, now: int) -> bool:
        """Whether this request sweeps (the first at or past ``_next_sweep``, of any
        committer); a request whose commit then fails leaves the sweep to a later one."""
        with self._sweep_lock:
            if now < self._next_sweep:
                return False
            self._next_sweep = now + SWEEP_SECONDS
            return True

    def _one(self, column: str, value: str) -> PendingRequest:
        with self.db.read() as conn:
            row = conn.execute(f"{SELECT_REQUEST} WHERE {column} = %s", (value,)).fetchone()
        found = request_of(row)
        if found is None:
            raise REQUEST_UNKNOWN(f"no request with this {column.replace('_', ' ')}")
        return found

    def by_state(self, state: str) -> PendingRequest:
        return self._one("state", state)

    def by_transaction(self, transaction_id: str) -> PendingRequest:
        return self._one("transaction_id", transaction_id)

    def poll(self, transaction_id: str) -> Polled:
        with self.db.read() as conn:
            row = conn.execute(
                f"SELECT {POLLED_COLUMNS} FROM requests WHERE transaction_id = %s",  # noqa: S608 - a constant
                (transaction_id,),
            ).fetchone()
        if row is None:
            raise REQUEST_UNKNOWN("no request with this transaction id")
        return Polled(*row)

    def fetch_request_object(self, request_id: str, now: int) -> str:
        """The request object, once (RFC 9101 §5.2 request_uri; ours: single use)."""

        def work(conn: Conn) -> str:
            taken = conn.execute(
                "UPDATE requests SET fetched = %s "
                "WHERE id = %s AND fetched IS NULL AND expires > %s RETURNING request_object",
                (now, request_id, now),
            ).fetchone()
            if taken is not None:
                return str(taken[0])
            row = conn.execute(
                "SELECT expires, fetched FROM requests WHERE id = %s", (request_id,)
            ).fetchone()
            if row is None:
                raise REQUEST_UNKNOWN("no such request")
            if row[1] is not None:
                raise REQUEST_ALREADY_FETCHED("this request was already fetched by a wallet")
            raise REQUEST_EXPIRED("the request expired; the desk makes a new one")

        return self._write(work)

    def claim_answer(self, state: str, now: int) -> PendingRequest:
        """Take the right to answer the request named by ``state``: once, before expiry.
        The request is returned as it was before the claim (``answered`` unset)."""
        return self._write(lambda conn: _claim(conn, state, now))

    def claim_answer_spending_nonce(self, state: str, now: int) -> tuple[PendingRequest, bool]:
        """``claim_answer`` and the request's nonce spent, in one commit (one round trip and
        flush, not two: the answer's checks spend that nonce next)."""

        def work(conn: Conn) -> tuple[PendingRequest, bool]:
            request = _claim(conn, state, now)
            spent = conn.execute(
                "INSERT INTO nonces VALUES (%s, %s) ON CONFLICT (nonce) DO NOTHING",
                (request.nonce, now),
            ).rowcount
            return request, spent == 1

        return self._write(work)

    def save_decision(
        self, state: str, decision: dict[str, Any], receipt: str | None, audit: dict[str, Any]
    ) -> None:
        """The decision, the receipt and the audit record, in one commit."""
        decided, audit_text = decision_text(decision), json.dumps(audit)

        def work(conn: Conn) -> None:
            conn.execute(
                "UPDATE requests SET decision = %s, receipt = %s WHERE state = %s",
                (decided, receipt, state),
            )
            conn.execute("INSERT INTO audit (record) VALUES (%s)", (audit_text,))

        self._write(work)

    def purge(self, now: int) -> int:
        return self._write(lambda conn: _sweep(conn, now))

    # -- nonces, audit, status lists ------------------------------------------------------

    def use_nonce(self, nonce: str, now: int) -> None:
        """Spend ``nonce``; a second use, by any process sharing the database, is a replay."""

        def work(conn: Conn) -> None:
            inserted = conn.execute(
                "INSERT INTO nonces VALUES (%s, %s) ON CONFLICT (nonce) DO NOTHING", (nonce, now)
            ).rowcount
            if inserted == 0:
                raise PRESENTATION_REPLAYED("this nonce was already used")

        self._write(work)

    def audit(self, record: dict[str, Any]) -> None:
        text = json.dumps(record)
        self._write(lambda conn: conn.execute("INSERT INTO audit (record) VALUES (%s)", (text,)))

    def audit_trail(self, limit: int = MAX_AUDIT_ROWS_LISTED) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT record FROM audit ORDER BY seq DESC LIMIT %s", (limit,)
            ).fetchall()
        return [json.loads(r[0]) for r in reversed(rows)]

    def remember_status_uri(self, uri: str, now: int) -> None:
        self._write(
            lambda conn: conn.execute(
                "INSERT INTO status_uris VALUES (%s, %s) "
                "ON CONFLICT (uri) DO UPDATE SET seen = excluded.seen",
                (uri, now),
            )
        )

    def status_uris(self) -> list[str]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT uri FROM status_uris ORDER BY uri").fetchall()
        return [str(r[0]) for r in rows]
