"""The desk's durable state: pending requests, spent nonces, the audit trail, and the status
list URIs it has checked (for offline sync).

SQLite in WAL mode with ``synchronous=FULL``: a write is on disk before it is acknowledged,
a crash leaves the last committed state, and several desk processes can share one file; the
"use once" rules (request object fetched once, response accepted once, nonce spent once) are
single conditional writes, atomic across those processes.

Writes that arrive while another commits are committed together (group commit): each runs in
its own savepoint of one transaction, in the order they came, so a refusal undoes only its
own write, and every one is answered only once the transaction is on disk. One fsync then
serves a whole batch: a desk answering many wallets at once is not bound to one write per
disk flush.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Generic, Protocol, TypeVar

from civicid.files import why_not_written
from civicid.sqlite_file import OpenedFile, why_not_committed
from verifier.errors import (
    PRESENTATION_REPLAYED,
    REQUEST_ALREADY_ANSWERED,
    REQUEST_ALREADY_FETCHED,
    REQUEST_EXPIRED,
    REQUEST_UNKNOWN,
    VERIFIER_STORE_DAMAGED,
    VERIFIER_STORE_FAILED,
)
from verifier.poll import POLLED_COLUMNS, Polled, decision_text, status_of
from verifier.store_file import private

T = TypeVar("T")

SCHEMA_VERSION: Final = 1
# Another process holding the write lock finishes a commit in milliseconds; wait that long.
BUSY_TIMEOUT_MS: Final = 5000
# Answered and expired requests are kept this long (so a late poll still gets its decision),
# then purged: the store holds no presentation, only decisions without claim values.
KEEP_REQUESTS_SECONDS: Final = 24 * 3600
# Spent nonces are random and single-use; kept a week, far past any request's lifetime.
KEEP_NONCES_SECONDS: Final = 7 * 24 * 3600
# Requests never answered go this long after they expired, while the desk runs (a page still
# polling one is told "expired" meanwhile): asking for a request needs no login (the desk's
# page asks, and wallets reach the desk), so a flood of them would otherwise be kept for
# KEEP_REQUESTS_SECONDS, and for as long as the desk ran (``purge`` runs when it starts).
UNANSWERED_KEPT_SECONDS: Final = 600
# A new request sweeps what is due, at most once per this many seconds per process: one
# indexed delete in that request's own commit.
SWEEP_SECONDS: Final = 60
MAX_AUDIT_ROWS_LISTED: Final = 10_000
# What SQLite says of a file that is no database, or a damaged one (SQLITE_NOTADB, _CORRUPT).
DAMAGED: Final = re.compile(r"not a database|malformed")

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL UNIQUE,
    transaction_id TEXT NOT NULL UNIQUE,
    nonce TEXT NOT NULL UNIQUE,
    policy TEXT NOT NULL,
    request_object TEXT NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    fetched INTEGER,
    answered INTEGER,
    decision TEXT,
    receipt TEXT
);
CREATE INDEX IF NOT EXISTS requests_expires ON requests (expires);
CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, used INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS nonces_used ON nonces (used);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS status_uris (uri TEXT PRIMARY KEY, seen INTEGER NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class PendingRequest:
    id: str
    state: str
    transaction_id: str
    nonce: str
    policy: str
    request_object: str
    created: int
    expires: int
    fetched: int | None = None
    answered: int | None = None
    decision: dict[str, Any] | None = None
    receipt: str | None = None

    def status(self, now: int) -> str:
        return status_of(self.expires, self.fetched, self.answered, self.decision is not None, now)


COLUMNS: Final = (
    "id, state, transaction_id, nonce, policy, request_object, created, expires, fetched, "
    "answered, decision, receipt"
)


def request_of(row: Sequence[Any] | None) -> PendingRequest | None:
    """A ``requests`` row (its ``COLUMNS``, in order) as the record, the decision parsed:
    the same for SQLite and PostgreSQL."""
    if row is None:
        return None
    values = list(row)
    values[10] = json.loads(values[10]) if values[10] else None
    return PendingRequest(*values)


class DeskStore(Protocol):
    """What the desk needs from a store: ``Store`` (SQLite, the embedded default) and
    ``verifier.pg_store.PgStore`` (PostgreSQL) both hold every rule below across processes."""

    @property
    def reads_in_place(self) -> bool:
        """Whether a read answers at once, never waiting for a commit or a network: the
        event loop may then make it itself instead of handing it to a thread."""

    def close(self) -> None: ...
    def require_file(self) -> None:
        """Raise ``verifier_store_failed`` when the store's file is no longer the one it
        opened (removed or replaced while the desk runs); a database server's store has none."""

    def add_request(self, request: PendingRequest) -> None: ...
    def by_state(self, state: str) -> PendingRequest: ...
    def by_transaction(self, transaction_id: str) -> PendingRequest: ...
    def poll(self, transaction_id: str) -> Polled: ...
    def fetch_request_object(self, request_id: str, now: int) -> str: ...
    def claim_answer(self, state: str, now: int) -> PendingRequest: ...
    def claim_answer_spending_nonce(
        self, state: str, now: int
    ) -> tuple[PendingRequest, bool]: ...  # and whether this claim spent the nonce
    def save_decision(
        self, state: str, decision: dict[str, Any], receipt: str | None, audit: dict[str, Any]
    ) -> None: ...
    def purge(self, now: int) -> int: ...
    def use_nonce(self, nonce: str, now: int) -> None: ...
    def audit(self, record: dict[str, Any]) -> None: ...
    def audit_trail(self, limit: int = MAX_AUDIT_ROWS_LISTED) -> list[dict[str, Any]]: ...
    def remember_status_uri(self, uri: str, now: int) -> None: ...
    def status_uris(self) -> list[str]: ...


def _claim(db: sqlite3.Connection, state: str, now: int) -> PendingRequest:
    row = db.execute(f"SELECT {COLUMNS} FROM requests WHERE state = ?", (state,)).fetchone()  # noqa: S608
    request = request_of(row)
    if request is None:
        raise REQUEST_UNKNOWN("no pending request has this state")
    if request.answered is not None:
        raise REQUEST_ALREADY_ANSWERED("this request was already answered")
    if request.expires <= now:
        raise REQUEST_EXPIRED("the request expired before the answer came")
    db.execute("UPDATE requests SET answered = ? WHERE state = ?", (now, state))
    return request


class _Job(Generic[T]):
    """One write waiting for a commit, and what became of it."""

    __slots__ = ("error", "finished", "result", "work")

    def __init__(self, work: Callable[[sqlite3.Connection], T]) -> None:
        self.work = work
        self.result: T | None = None
        self.error: BaseException | None = None
        self.finished = False


def _sweep(db: sqlite3.Connection, now: int) -> int:
    """Remove the requests past keeping (``UNANSWERED_KEPT_SECONDS`` after their expiry if
    never answered, else ``KEEP_REQUESTS_SECONDS``) and the spent nonces past
    ``KEEP_NONCES_SECONDS``; how many requests went."""
    unanswered = db.execute(
        "DELETE FROM requests WHERE expires < ? AND answered IS NULL",
        (now - UNANSWERED_KEPT_SECONDS,),
    ).rowcount
    kept = db.execute(
        "DELETE FROM requests WHERE expires < ?", (now - KEEP_REQUESTS_SECONDS,)
    ).rowcount
    db.execute("DELETE FROM nonces WHERE used < ?", (now - KEEP_NONCES_SECONDS,))
    return int(unanswered) + int(kept)


class Store:
    """One SQLite file, shared by every desk process of a data directory.

    Reads have a connection of their own: in WAL mode a reader sees the last commit and never
    waits for a writer (nor for its fsync), so a read is answered in microseconds, in place.
    """

    reads_in_place = True

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            private(path, SCHEMA, SCHEMA_VERSION)
            self._db = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._db.executescript(SCHEMA)
            found = self._db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
            if found is None:
                self._db.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('version', ?)", (str(SCHEMA_VERSION),)
                )
            elif int(found[0]) != SCHEMA_VERSION:
                raise VERIFIER_STORE_FAILED(f"{path}: store version {found[0]} is not ours")
            self._reader = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            self._reader.execute("PRAGMA query_only=ON")
            self._file = OpenedFile(path)
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(AttributeError, sqlite3.Error):
                self._db.close()
            # SQLite's header found, and no database (or a damaged one) after it.
            if isinstance(exc, sqlite3.DatabaseError) and DAMAGED.search(str(exc)):
                raise VERIFIER_STORE_DAMAGED(f"{path}: {exc}") from exc
            why = why_not_committed(exc) if isinstance(exc, sqlite3.Error) else why_not_written(exc)
            raise VERIFIER_STORE_FAILED(f"{path}: {why}") from exc
        self._lock = threading.Lock()  # the connection: one user at a time
        self._read_lock = threading.Lock()  # the reader's connection: one user at a time
        self._queue_lock = threading.Lock()  # the writes waiting to be committed
        self._queue: list[_Job[Any]] = []
        self._next_sweep = 0  # when a new request next sweeps (``SWEEP_SECONDS``)

    def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` in a write transaction and return its result once committed (or
        raise what it raised, its writes undone). Whoever holds the connection commits every
        write waiting meanwhile with its own, in one transaction (group commit)."""
        job: _Job[T] = _Job(work)
        with self._queue_lock:
            self._queue.append(job)
        with self._lock:
            if not job.finished:  # nobody committed it while we waited: commit the queue
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]  # set: finished without an error

    def _commit(self, batch: list[_Job[Any]]) -> None:
        """One transaction (BEGIN IMMEDIATE takes the file's write lock up front) with a
        savepoint per job; nothing is answered before the COMMIT returns. A job alone in its
        batch has the transaction to itself: it is its savepoint (two statements fewer)."""
        db = self._db
        alone = len(batch) == 1
        moved = self._file.refusal(VERIFIER_STORE_FAILED, "desk")
        if moved is not None:  # nothing committed where no restart would find it
            for job in batch:
                job.result, job.error, job.finished = None, moved, True
            return
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for job in batch:
                    if not alone:
                        db.execute("SAVEPOINT job")
                    try:
                        job.result = job.work(db)
                    except Exception as exc:  # a refusal, or a bug: its own write undone
                        if isinstance(exc, sqlite3.Error) and not db.in_transaction:
                            raise  # SQLite undid the whole transaction (a full disk)
                        db.execute("ROLLBACK" if alone else "ROLLBACK TO job")
                        job.error = exc
                    if not alone:
                        db.execute("RELEASE job")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            if db.in_transaction:  # else the one job was refused and rolled back: no commit
                db.execute("COMMIT")
        except sqlite3.Error as exc:  # nothing of the batch was committed
            if db.in_transaction:  # a failed COMMIT may leave it open: its writes go
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            for job in batch:
                job.result, job.error = None, exc
        except BaseException as exc:  # an interrupt: nothing of the batch was committed
            for job in batch:
                job.result, job.error = None, exc
            raise
        finally:
            for job in batch:
                if isinstance(job.error, sqlite3.Error):
                    failed = VERIFIER_STORE_FAILED(
                        f"{self.path}: {why_not_committed(job.error)}; nothing of it was kept"
                    )
                    failed.__cause__ = job.error
                    job.error = failed
                job.finished = True

    def _read(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._read_lock:
            try:
                return self._reader.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise VERIFIER_STORE_FAILED(f"{self.path}: {exc}") from exc

    def require_file(self) -> None:
        moved = self._file.refusal(VERIFIER_STORE_FAILED, "desk")
        if moved is not None:
            raise moved

    def close(self) -> None:
        with self._read_lock:
            self._reader.close()
        with self._lock:
            self._db.close()

    # -- requests ---------------------------------------------------------------------------

    def add_request(self, request: PendingRequest) -> None:
        def work(db: sqlite3.Connection) -> None:
            db.execute(
                f"INSERT INTO requests ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,NULL,NULL,NULL,NULL)",  # noqa: S608  # COLUMNS is a constant
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
            if request.created >= self._next_sweep:  # under the connection's lock
                self._next_sweep = request.created + SWEEP_SECONDS
                _sweep(db, request.created)

        self._write(work)

    def _one(self, column: str, value: str) -> PendingRequest:
        rows = self._read(f"SELECT {COLUMNS} FROM requests WHERE {column} = ?", (value,))  # noqa: S608
        found = request_of(rows[0] if rows else None)
        if found is None:
            raise REQUEST_UNKNOWN(f"no request with this {column.replace('_', ' ')}")
        return found

    def by_state(self, state: str) -> PendingRequest:
        return self._one("state", state)

    def by_transaction(self, transaction_id: str) -> PendingRequest:
        return self._one("transaction_id", transaction_id)

    def poll(self, transaction_id: str) -> Polled:
        rows = self._read(
            f"SELECT {POLLED_COLUMNS} FROM requests WHERE transaction_id = ?",  # noqa: S608
            (transaction_id,),
        )
        if not rows:
            raise REQUEST_UNKNOWN("no request with this transaction id")
        return Polled(*rows[0])

    def fetch_request_object(self, request_id: str, now: int) -> str:
        """The request object, once (RFC 9101 §5.2 request_uri; ours: single use)."""

        def work(db: sqlite3.Connection) -> str:
            row = db.execute(
                "SELECT request_object, expires, fetched FROM requests WHERE id = ?", (request_id,)
            ).fetchone()
            if row is None:
                raise REQUEST_UNKNOWN("no such request")
            token, expires, fetched = row
            if expires <= now:
                raise REQUEST_EXPIRED("the request expired; the desk makes a new one")
            if fetched is not None:
                raise REQUEST_ALREADY_FETCHED("this request was already fetched by a wallet")
            db.execute("UPDATE requests SET fetched = ? WHERE id = ?", (now, request_id))
            return str(token)

        return self._write(work)

    def claim_answer(self, state: str, now: int) -> PendingRequest:
        """Take the right to answer the request named by ``state``: once, before expiry."""
        return self._write(lambda db: _claim(db, state, now))

    def claim_answer_spending_nonce(self, state: str, now: int) -> tuple[PendingRequest, bool]:
        """``claim_answer`` and the request's nonce spent, in one commit (one fsync, not two:
        the answer's checks spend that nonce next): the request, and whether this claim spent
        the nonce (False: it was spent before, which the replay step refuses)."""

        def work(db: sqlite3.Connection) -> tuple[PendingRequest, bool]:
            request = _claim(db, state, now)
            spent = db.execute(
                "INSERT OR IGNORE INTO nonces VALUES (?, ?)", (request.nonce, now)
            ).rowcount
            return request, spent == 1

        return self._write(work)

    def save_decision(
        self, state: str, decision: dict[str, Any], receipt: str | None, audit: dict[str, Any]
    ) -> None:
        """The decision, the receipt and the audit record, in one commit."""
        decided, audit_text = decision_text(decision), json.dumps(audit)

        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE requests SET decision = ?, receipt = ? WHERE state = ?",
                (decided, receipt, state),
            )
            db.execute("INSERT INTO audit (record) VALUES (?)", (audit_text,))

        self._write(work)

    def purge(self, now: int) -> int:
        return self._write(lambda db: _sweep(db, now))

    # -- nonces, audit, status lists ------------------------------------------------------

    def use_nonce(self, nonce: str, now: int) -> None:
        """Spend ``nonce``; a second use, by any process sharing the store, is a replay."""

        def work(db: sqlite3.Connection) -> None:
            inserted = db.execute("INSERT OR IGNORE INTO nonces VALUES (?, ?)", (nonce, now))
            if inserted.rowcount == 0:
                raise PRESENTATION_REPLAYED("this nonce was already used")

        self._write(work)

    def audit(self, record: dict[str, Any]) -> None:
        text = json.dumps(record)
        self._write(lambda db: db.execute("INSERT INTO audit (record) VALUES (?)", (text,)))

    def audit_trail(self, limit: int = MAX_AUDIT_ROWS_LISTED) -> list[dict[str, Any]]:
        rows = self._read("SELECT record FROM audit ORDER BY seq DESC LIMIT ?", (limit,))
        return [json.loads(r[0]) for r in reversed(rows)]

    def remember_status_uri(self, uri: str, now: int) -> None:
        self._write(
            lambda db: db.execute("INSERT OR REPLACE INTO status_uris VALUES (?, ?)", (uri, now))
        )

    def status_uris(self) -> list[str]:
        return [str(r[0]) for r in self._read("SELECT uri FROM status_uris ORDER BY uri", ())]
