"""The issuer's durable store: clerks, offers, issued credentials, status lists, audit log.

``IssuerStore`` is the small interface the service needs; ``SqliteStore`` implements it on
an embedded SQLite file (WAL, ``synchronous=FULL``). Writes are group-committed: concurrent
callers' changes go into one transaction and one fsync, and each ``write`` returns only once
its changes are on disk, so an answer is never sent for something a crash could lose. Every
change is an upsert of a whole record, which a PostgreSQL store maps to ``INSERT ... ON
CONFLICT DO UPDATE`` one for one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import hashlib
import json
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from civicid.encoding import canonical_json
from civicid.errors import Error
from civicid.files import hold_alone
from civicid.sqlite_file import OpenedFile, refuse_damaged, why_not_committed
from issuer import store_format
from issuer.errors import (
    CLERK_CHANGED,
    STORE_DAMAGED,
    STORE_FAILED,
    STORE_LOCKED,
    STORE_MISSING,
)
from issuer.records import AuditEvent, Clerk, Issued, ListRecord, Offer
from issuer.store_format import slots_from_text, slots_text

DB_FILE: Final = "issuer.db"
LOCK_FILE: Final = "issuer.lock"
# A group commit takes what is queued, up to this many writes (and the rest of one event-loop
# turn's hand-over, which is never split: a turn holds a request or two per connection at
# most): one fsync for all of them, small enough that a batch never holds the writer long.
MAX_BATCH: Final = 512
# Another process (``add-clerk`` beside a running server) may hold SQLite's write lock briefly.
BUSY_TIMEOUT_MS: Final = 10_000
# Page cache per connection (KiB). Ids, code hashes and status indexes are random, so every
# index takes inserts all over: a cache that holds the indexes of ~1M issuances keeps an
# append from turning into disk reads as the store grows (SQLite's default is 2 MiB).
CACHE_KIB: Final = 64 * 1024
GENESIS_HASH: Final = "0" * 64  # the audit chain's "previous hash" before the first event


@dataclass(frozen=True, slots=True)
class PutClerk:
    clerk: Clerk


@dataclass(frozen=True, slots=True)
class RemoveClerk:
    clerk_id: str


@dataclass(frozen=True, slots=True)
class PutOffer:
    offer: Offer
    # What the store holds of the offer now. On a store several processes share: written
    # only if the stored offer is still ``expect`` (else ``issuer_store_conflict``, and the
    # caller reads it again and retries). On a store of one process, where it always holds:
    # only the members that differ from it are written.
    expect: Offer | None = None


@dataclass(frozen=True, slots=True)
class PutIssued:
    issued: Issued
    # On a shared store: written only if the stored status is still this one.
    expect_status: int | None = None


@dataclass(frozen=True, slots=True)
class PutList:
    record: ListRecord


@dataclass(frozen=True, slots=True)
class Audit:
    event: AuditEvent


@dataclass(frozen=True, slots=True)
class NewList:
    """A list created to hold new indexes: refused (a conflict) if its number is taken."""

    record: ListRecord


@dataclass(frozen=True, slots=True)
class MarkPending:
    """A status changed on list ``number``: publish it (counted, for a shared store)."""

    number: int


@dataclass(frozen=True, slots=True)
class SpendNonce:
    """A ``c_nonce`` used by this issuance: gone, or the issuance is a conflict (a store of
    one process keeps nonces in memory and has nothing to do)."""

    nonce: str


@dataclass(frozen=True, slots=True)
class ClerkHolds:
    """The rest of the caller's ops are written only while the clerk's row is still ``clerk``
    (its key, scopes and name as its key was verified against), read in their own
    transaction: a clerk removed before they commit is refused (``clerk_changed``), and none
    of them is written. A staff call whose key was verified lately need not read the row
    before it: its write does, where the writer's pages are warm."""

    clerk: Clerk


@dataclass(frozen=True, slots=True)
class ClearExpired:
    """Drop the claims and codes of every offer in play whose time (and token's) is up."""

    now: int


Op = (
    PutClerk
    | RemoveClerk
    | ClerkHolds
    | PutOffer
    | PutIssued
    | PutList
    | Audit
    | NewList
    | MarkPending
    | SpendNonce
    | ClearExpired
)


class IssuerStore(Protocol):
    """What the issuer needs from a store; a PostgreSQL store implements the same.

    ``shared``: other processes change the store too (PostgreSQL). The issuer then reads
    what it is about to change from the store, not from its memory, writes it with
    ``expect`` (a write that finds it changed fails with ``issuer_store_conflict`` and is
    retried), keeps nonces in the store, and publishes lists only while ``publishing``."""

    shared: bool
    # Set by a process whose memory mirrors the store: after a refused write, called on the
    # writer thread (before the refused are told) with a way to settle what was queued.
    reconcile: Callable[[Callable[[], None]], None] | None

    def submit(
        self, ops: Sequence[Op], *, refused: Callable[[], None] | None = None
    ) -> Future[None]:
        """Queue ``ops`` (applied in submission order, all or none); the future completes when
        they are durable. Callers submit under their own lock, so the store's order is theirs.
        ``refused`` is called on the writer thread if they are not written, before the
        future is told (what a caller keeps in memory for them is gone before anyone sees
        the refusal)."""
        ...

    def write(self, ops: Sequence[Op]) -> None:
        """``submit`` and wait: durable when this returns."""
        ...

    def clerk(self, clerk_id: str) -> Clerk | None: ...
    def clerks(self) -> list[Clerk]: ...
    def offer(self, offer_id: str) -> Offer | None: ...
    def offer_by_code(self, code_hash: str) -> Offer | None: ...
    def active_offers(self) -> list[Offer]: ...
    def offers(self, *, record: str | None, limit: int, offset: int) -> list[Offer]: ...
    def issued(self, issued_id: str) -> Issued | None: ...
    def issued_list(
        self, *, record: str | None, status: int | None, limit: int, offset: int
    ) -> list[Issued]: ...
    def lists(self) -> list[ListRecord]: ...
    def slots(self, number: int) -> Iterator[tuple[int, int]]:
        """List ``number``'s issued indexes, each with its credential's status."""
        ...

    def slots_by_list(self) -> dict[int, list[tuple[int, int]]]:
        """``slots`` of every list, in one read."""
        ...

    def audit(self, *, after: int, limit: int) -> list[AuditEvent]: ...
    def counts(self) -> dict[str, int]: ...
    def maintain(self) -> None:
        """Make dropped data (an issued offer's claims) unrecoverable from the files."""
        ...

    def offer_by_token(self, token_hash: str) -> Offer | None: ...
    def put_nonce(self, nonce: str, *, now: int, expires: int) -> None:
        """Keep a ``c_nonce`` given out (a shared store; a crash may lose it, as memory
        would: the wallet then fetches another)."""
        ...

    def nonce_expires(self, nonce: str) -> int | None: ...
    def publishing(self) -> contextlib.AbstractContextManager[bool]:
        """Whether this process may publish lists now (one publisher at a time)."""
        ...

    def require_file(self) -> None:
        """Raise ``issuer_store_failed`` when the store's file is no longer the one it opened
        (removed or replaced while the issuer runs); a database server's store has none."""

    def close(self) -> None: ...


OFFER_COLUMNS: Final = (
    "id, record, configuration, vct, claims, code_hash, code, tx_code_hash, created, expires, "
    "clerk, state, attempts, fetched, token_hash, token_expires, credential"
)
ISSUED_COLUMNS: Final = "id, offer, record, configuration, vct, iat, exp, status, clerk, changed"
# Both stores hold an issuance's slots in its row (issuer/store_format.py); a shared store
# in a table of their own too, whose key claims each index once across processes.
ROW_ISSUED_COLUMNS: Final = ISSUED_COLUMNS + ", slots"


# Integers a JSON number carries exactly: RFC 8785 writes larger ones as the doubles they
# round to (§3.2.2.3), which json.dumps does not.
MAX_EXACT_INT: Final = 2**53 - 1


def _plain(value: Any) -> bool:
    """Whether ``json.dumps`` (sorted keys, no spaces, UTF-8) writes ``value`` byte for byte as
    RFC 8785 does: strings, booleans, null, integers within a double's exact range, lists and
    objects of those with ASCII member names (sorted alike by code point and by UTF-16 unit).
    Both escape only the quote, the backslash and the control characters, the same way."""
    if value is None or isinstance(value, (str, bool)):
        return True
    if isinstance(value, int):
        return -MAX_EXACT_INT <= value <= MAX_EXACT_INT
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _plain(v) for k, v in value.items())
    return False  # a float, or anything else: the canonicalizer decides


def _sorted_writer(*, ensure_ascii: bool) -> Callable[[Any], str]:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=...)`` for a
    ``_plain`` value, its C encoder made once: ``json.dumps`` makes a new ``JSONEncoder`` for
    every call, which costs more than writing an event's few members. Without the circular
    check: a plain value was walked whole, and a cycle stopped that walk."""
    make = getattr(json.encoder, "c_make_encoder", None)  # None without the C module
    if make is None:
        return functools.partial(
            json.dumps, sort_keys=True, separators=(",", ":"), ensure_ascii=ensure_ascii
        )
    quote = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    encoder = make(None, json.JSONEncoder().default, quote, None, ":", ",", True, False, True)
    return lambda value: "".join(encoder(value, 0))


_CANONICAL_TEXT: Final = _sorted_writer(ensure_ascii=False)
_DETAIL_TEXT: Final = _sorted_writer(ensure_ascii=True)


def audit_canonical(body: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of an audit event's body. An event's members are strings, ids, counts
    and codes: the standard library writes those as the canonicalizer does, at a fraction
    of its cost (an issuance logs three events, each hashed by the store's one writer)."""
    if _plain(body):
        with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate: the canonicalizer's
            return _CANONICAL_TEXT(body).encode("utf-8")
    return canonical_json(body)


def audit_detail(detail: dict[str, Any]) -> str:
    """An audit row's ``detail`` column: sorted, compact, ASCII JSON (as it was always
    written, so rows read back alike)."""
    if _plain(detail):
        return _DETAIL_TEXT(detail)
    return json.dumps(detail, separators=(",", ":"), sort_keys=True)


def audit_hash(previous: str, event: AuditEvent) -> str:
    """Each event's hash covers the one before it: a changed or dropped row breaks the chain."""
    body = audit_canonical(
        {
            "at": event.at,
            "actor": event.actor,
            "action": event.action,
            "subject": event.subject,
            "record": event.record,
            "outcome": event.outcome,
            "detail": event.detail,
        }
    )
    return hashlib.sha256(previous.encode("ascii") + body).hexdigest()


def upsert_sql(table: str, columns: str, key: str) -> str:
    """Insert, or update every column in place (keeps the row's position, unlike REPLACE)."""
    names = [c.strip() for c in columns.split(",")]
    updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != key)
    marks = ", ".join("?" * len(names))
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) "  # noqa: S608 - our own names
        f"ON CONFLICT({key}) DO UPDATE SET {updates}"
    )


LIST_COLUMNS: Final = (
    "number, uri, size, bits, created, published_at, published_seq, token, pending"
)
CLERK_COLUMNS: Final = "id, name, scopes, key_hash, created"
# Statements built from our own column names only; every value goes in as a parameter.
SELECT_OFFERS: Final = f"SELECT {OFFER_COLUMNS} FROM offers"  # noqa: S608
SELECT_ISSUED: Final = f"SELECT {ROW_ISSUED_COLUMNS} FROM issued"  # noqa: S608
UPSERT_OFFER: Final = upsert_sql("offers", OFFER_COLUMNS, "id")
UPSERT_ISSUED: Final = upsert_sql("issued", ROW_ISSUED_COLUMNS, "id")
UPSERT_LIST: Final = upsert_sql("lists", LIST_COLUMNS, "number")
UPSERT_CLERK: Final = upsert_sql("clerks", CLERK_COLUMNS, "id")
# A clerk's row as its key was verified against: only its scopes are read back (compared as
# the text ``scopes_text`` writes, else parsed), not the whole row made into a ``Clerk``.
CLERK_SCOPES: Final = (
    "SELECT scopes FROM clerks WHERE id = ? AND key_hash = ? AND name = ? AND created = ?"
)
OFFER_FIELDS: Final = tuple(c.strip() for c in OFFER_COLUMNS.split(","))
# The sets of an offer's members one change writes: a handful (a redemption, an issuance, a
# fetch, a wrong code...), each its own statement.
OFFER_CHANGES: Final = 64


@functools.lru_cache(maxsize=OFFER_CHANGES)
def update_offer_sql(columns: tuple[str, ...]) -> str:
    """``UPDATE`` of ``columns`` (our own names) of one offer, by its id."""
    sets = ", ".join(f"{name} = ?" for name in columns)
    return f"UPDATE offers SET {sets} WHERE id = ?"  # noqa: S608 - our own names


def offer_value(offer: Offer, name: str) -> Any:
    """The column ``name`` of ``offer``'s row."""
    value = getattr(offer, name)
    if name == "claims":
        return None if value is None else json.dumps(value, separators=(",", ":"))
    if name == "fetched":
        return int(value)
    return value


def require_store(directory: Path) -> None:
    """Refuse to go on without the store of an issuer that was set up: a fresh, empty one
    would republish every status list as all zeros, un-revoking every credential it issued.
    Only ``init`` (for an issuer new to the ledger) and ``recover`` create a store."""
    path = directory / DB_FILE
    if not path.exists() and not path.is_symlink():
        raise STORE_MISSING(
            f"{path} is missing: restore it from a backup, or rebuild it from the ledger with "
            "`civicid issuer recover` (never `init --force`: its statuses would be lost)"
        )
    if path.is_file() and path.stat().st_size == 0:
        # An empty file (a crash as it was made, a full disk, a bad restore) is a store
        # lost, not a new one: opened, it would be one, and un-revoke on the next publish.
        raise STORE_DAMAGED(
            f"{path} is empty and was left as it is: move it aside, then restore the store "
            "from a backup or rebuild it from the ledger with `civicid issuer recover`"
        )


def offer_from_row(row: sqlite3.Row | Mapping[str, Any]) -> Offer:
    return Offer(
        id=row["id"],
        record=row["record"],
        configuration=row["configuration"],
        vct=row["vct"],
        claims=json.loads(row["claims"]) if row["claims"] is not None else None,
        code_hash=row["code_hash"],
        code=row["code"],
        tx_code_hash=row["tx_code_hash"],
        created=row["created"],
        expires=row["expires"],
        clerk=row["clerk"],
        state=row["state"],
        attempts=row["attempts"],
        fetched=bool(row["fetched"]),
        token_hash=row["token_hash"],
        token_expires=row["token_expires"],
        credential=row["credential"],
    )


Row = sqlite3.Row | Mapping[str, Any]


def issued_from_row(r: Row, slots: tuple[tuple[int, int], ...]) -> Issued:
    return Issued(
        id=r["id"],
        offer=r["offer"],
        record=r["record"],
        configuration=r["configuration"],
        vct=r["vct"],
        iat=r["iat"],
        exp=r["exp"],
        status=r["status"],
        slots=slots,
        clerk=r["clerk"],
        changed=r["changed"],
    )


def list_from_row(row: Row) -> ListRecord:
    return ListRecord(
        number=row["number"],
        uri=row["uri"],
        size=row["size"],
        bits=row["bits"],
        created=row["created"],
        published_at=row["published_at"],
        published_seq=row["published_seq"],
        token=row["token"],
        pending=bool(row["pending"]),
        # Counted by a store several processes share only (0 on a store of one).
        changes=row["changes"] if "changes" in row.keys() else 0,  # noqa: SIM118 - sqlite3.Row
    )


def audit_from_row(row: Row) -> AuditEvent:
    return AuditEvent(
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        record=row["record"],
        outcome=row["outcome"],
        detail=json.loads(row["detail"]),
        seq=row["seq"],
        hash=row["hash"],
    )


def _why(exc: Exception) -> str:
    """An exception's words: an ``Error``'s message without its code (the refusal that
    carries them says its own), anything else as it prints."""
    return exc.message if isinstance(exc, Error) else str(exc)


class Acknowledgement(Future[None]):
    """A write's future. Waiting on it hands over the writes queued this event-loop turn first:
    a caller that blocks the loop on it would otherwise wait for a turn that cannot end."""

    def __init__(
        self, hand_over: Callable[[], None], refused: Callable[[], None] | None = None
    ) -> None:
        super().__init__()
        self._hand_over = hand_over
        self.refused = refused  # called before the refusal is told (``IssuerStore.submit``)

    def result(self, timeout: float | None = None) -> None:
        if not self.done():
            self._hand_over()
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        if not self.done():
            self._hand_over()
        return super().exception(timeout)


# Each caller's ops and its future, as the writer takes them.
Batch = list[tuple[Sequence[Op], Acknowledgement]]


class GroupCommit:
    """The writer thread of both stores: it takes what is queued (up to ``MAX_BATCH``
    callers' ops), hands it to the store's ``_commit``, which applies and commits it at once,
    and completes each caller's future with its outcome.

    Writes submitted on an event loop are handed to the writer together, once per turn of
    the loop (one wake-up of the writer thread for all the requests of a turn, not one for
    each); a write submitted on any other thread is handed over at once, behind what a loop
    queued before it, so the writer's order is always the order of submission.

    A refused write (the whole batch: a full disk, a failed fsync; or one caller's own) is
    in the memory of the process that queued it, not on disk. ``reconcile``, when that
    process set it, is called on the writer thread before the refused callers are told: it
    settles what was queued meanwhile (``settle_queued``, under its state lock so nothing more
    is queued) and reads its memory again from disk. The store then goes on: the next write is
    tried anew (a disk given room takes it). Only a memory that could not be read again
    (``_failed``) refuses every later write."""

    _failed: Error | None = None
    # The memory's way back to what is on disk (the issuer on a store of one process).
    reconcile: Callable[[Callable[[], None]], None] | None = None
    _stopping: bool = False  # ``_stop_writer``'s mark was met while settling what was queued

    @property
    def failure(self) -> Error | None:
        """Why every write is refused until the store is reopened, or None (readiness)."""
        return self._failed

    def _start_writer(self, name: str) -> None:
        self._queue: queue.SimpleQueue[Batch | None] = queue.SimpleQueue()
        self._turn: Batch = []  # submitted, not yet handed to the writer
        self._turn_lock = threading.Lock()
        self._writer = threading.Thread(target=self._run, name=name, daemon=True)
        self._writer.start()

    def submit(
        self, ops: Sequence[Op], *, refused: Callable[[], None] | None = None
    ) -> Future[None]:
        if self._failed is not None:
            raise STORE_FAILED(
                f"the store failed earlier and must be reopened: {self._failed.message}"
            )
        done = Acknowledgement(self._hand_over, refused)
        # Once queued, a write may be in the transaction: a waiter that gives up (its request
        # cancelled) cannot withdraw it, and the writer can always answer it.
        done.set_running_or_notify_cancel()
        with self._turn_lock:
            self._turn.append((ops, done))
            first = len(self._turn) == 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on an event loop: handed over now
            self._hand_over()
        else:
            if first:  # the turn's first write: the rest join it until the loop comes round
                loop.call_soon(self._hand_over)
        return done

    def _hand_over(self) -> None:
        """Queue for the writer every write submitted and not yet queued, in their order."""
        with self._turn_lock:  # held while queueing: two hand-overs keep their order
            turn, self._turn = self._turn, []
            if turn:
                self._queue.put(turn)

    def write(self, ops: Sequence[Op]) -> None:
        self.submit(ops).result()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = self._take(first)
            self._settle(batch)
            if stop or self._stopping:
                return

    def _take(self, first: Batch) -> tuple[Batch, bool]:
        """``first`` and what is queued behind it, up to ``MAX_BATCH`` (a hand-over is not
        split); and whether the stop mark came."""
        batch = list(first)
        while len(batch) < MAX_BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch += item
        return batch, False

    def _settle(self, batch: Batch) -> None:
        """Commit ``batch`` and complete each caller's future with its outcome; after a
        refusal, the memory is made what is on disk before anyone is told."""
        outcomes = self._outcomes(batch)
        if self.reconcile is not None and any(o is not None for o in outcomes):
            try:
                self.reconcile(self._settle_queued)
            except Exception as exc:  # the disk cannot be read either: no write trusts memory
                refusal = next(o for o in outcomes if o is not None)
                self._failed = STORE_FAILED(
                    f"{refusal.message}; then the store could not be read again: {_why(exc)}"
                )
        self._tell(batch, outcomes)

    def _outcomes(self, batch: Batch) -> list[Error | None]:
        try:
            return self._commit(batch)
        except Error as failure:  # the whole batch: none of it is on disk
            return [failure] * len(batch)

    def _tell(self, batch: Batch, outcomes: list[Error | None]) -> None:
        for (_, done), outcome in zip(batch, outcomes, strict=True):
            if outcome is None:
                done.set_result(None)
                continue
            if done.refused is not None:
                try:
                    done.refused()
                except Exception as exc:  # the memory may still hold what was refused
                    self._failed = STORE_FAILED(
                        f"memory not settled after a refused write: {_why(exc)}"
                    )
            done.set_exception(outcome)

    def _settle_queued(self) -> None:
        """Commit every write queued now, each caller told (on the writer thread, from
        ``reconcile``: the memory it reads next holds nothing that is not settled)."""
        self._hand_over()
        while not self._stopping:
            try:
                first = self._queue.get_nowait()
            except queue.Empty:
                return
            if first is None:
                self._stopping = True
                return
            batch, self._stopping = self._take(first)
            self._tell(batch, self._outcomes(batch))

    def _commit(self, batch: Batch) -> list[Error | None]:
        """Apply and commit ``batch`` at once: each caller's ops, or (its own refusal) none of
        them. Raises when the whole batch failed."""
        raise NotImplementedError

    def require_file(self) -> None:
        """Nothing to check: a database server keeps its own files (``SqliteStore``'s own)."""

    def _stop_writer(self) -> None:
        """Commit what is queued, then end the writer thread."""
        if self._writer.is_alive():
            self._hand_over()
            self._queue.put(None)
            self._writer.join()


class SqliteStore(GroupCommit):
    """The embedded store: ``<dir>/issuer.db``. With ``exclusive`` (a serving process), an
    ``flock`` on ``<dir>/issuer.lock`` keeps a second server off the same data. Only with
    ``create`` (``init``, ``recover``) is a missing store made; else ``issuer_store_missing``."""

    # One serving process: its memory is the truth, ``expect`` always holds, nonces stay
    # in memory, and it is always the publisher.
    shared = False

    def __init__(self, directory: Path, *, exclusive: bool = True, create: bool = False) -> None:
        if not create:
            require_store(directory)  # before anything is written
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.directory = directory
        self.path = directory / DB_FILE
        self._lock_fd: int | None = None
        if exclusive:
            self._lock_fd = hold_alone(
                directory / LOCK_FILE,
                holder="issuer",
                in_use=STORE_LOCKED,
                message=f"{directory} is in use by another issuer process",
            )
        self._readers: list[sqlite3.Connection] = []
        self._local = threading.local()
        try:
            if not create:
                self._require_issuer_store()
            self._db = self._connect()
            self._open_format(exclusive=exclusive)
            self._file = OpenedFile(self.path)
            last = self._db.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error, AttributeError):
                self._db.close()
            self._release_lock()
            if isinstance(exc, sqlite3.Error):
                raise STORE_FAILED(f"cannot open {self.path}: {exc}") from exc
            raise
        self._last_hash: str = last["hash"] if last else GENESIS_HASH
        self._start_writer("issuer-store")

    def _connect(self, *, create: bool = True) -> sqlite3.Connection:
        """A connection to the store; without ``create`` (a reader) a missing file is an
        error, never a new empty one made in its place."""
        where = self.path if create else f"{self.path.resolve().as_uri()}?mode=rw"
        db = sqlite3.connect(where, isolation_level=None, check_same_thread=False, uri=not create)
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        db.execute("PRAGMA journal_mode = WAL")
        # WAL + FULL: every commit is fsynced before it returns (no acknowledged write lost).
        db.execute("PRAGMA synchronous = FULL")
        # Claim values dropped from an offer are overwritten on disk, not left in free pages.
        db.execute("PRAGMA secure_delete = ON")
        return db

    def _require_issuer_store(self) -> None:
        """A store that was set up holds its ``meta`` table; a file without one is some
        other file (or one emptied by hand). Read-only, so it is refused with nothing written."""
        try:
            refuse_damaged(
                self.path,
                "meta",
                store="issuer store",
                advice="move it aside, then restore the store from a backup or rebuild it "
                "from the ledger with `civicid issuer recover`",
                damaged=STORE_DAMAGED,
                failed=STORE_FAILED,
            )
        except Error:
            self._release_lock()
            raise

    def _open_format(self, *, exclusive: bool) -> None:
        """A new file gets the tables of ``store_format.FORMAT``; an older store is brought to
        it in place (one transaction), by the process that holds the store alone: a process
        opening beside a server takes the lock for it, and is refused while an issuer of the
        old format serves it. A newer store (or no known format) is refused."""
        found = store_format.stored(self._db)
        if found is None:
            store_format.create(self._db)
            return
        store_format.refuse_unknown(found)
        if found == store_format.FORMAT:
            return
        if not exclusive:
            self._lock_fd = hold_alone(
                self.directory / LOCK_FILE,
                holder="issuer",
                in_use=STORE_LOCKED,
                message=f"{self.directory} is in store format {found}, which the issuer "
                f"serving it reads: stop that issuer; the next start brings the store to "
                f"format {store_format.FORMAT}",
            )
        try:
            store_format.migrate(self._db)
        finally:
            if not exclusive:
                self._release_lock()

    # -- writes: group commit ---------------------------------------------------------------

    def require_file(self) -> None:
        moved = self._file.refusal(STORE_FAILED, "issuer")
        if moved is not None:
            raise moved

    def _commit(self, batch: Batch) -> list[Error | None]:
        self.require_file()  # nothing committed where no restart would find it
        try:
            self._db.execute("BEGIN IMMEDIATE")
            applied = self._apply_all(batch)
            if applied is None:  # a caller's ops were refused: again, each in a savepoint
                self._db.execute("ROLLBACK")
                self._db.execute("BEGIN IMMEDIATE")
                applied = self._apply_each(batch)
            outcomes, last_hash = applied
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:  # nothing of the batch is on disk; the next is tried anew
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise STORE_FAILED(
                f"could not commit to {self.path}: {why_not_committed(exc)}; "
                "nothing of it was acknowledged"
            ) from exc
        self._last_hash = last_hash
        return outcomes

    def _apply_all(self, batch: Batch) -> tuple[list[Error | None], str] | None:
        """Every caller's ops in the open transaction, without a savepoint each (two
        statements fewer per caller): None if any is refused, and the caller rolls back."""
        last_hash = self._last_hash
        try:
            for ops, _ in batch:
                for op in ops:
                    last_hash = self._apply(op, last_hash)
        except Exception as exc:  # told by _apply_each, which applies them again
            self._refuse_whole(exc)
            return None
        return [None] * len(batch), last_hash

    def _apply_each(self, batch: Batch) -> tuple[list[Error | None], str]:
        """Each caller's ops in a savepoint of the open transaction: a caller whose ops are
        refused is rolled back alone, with its own refusal."""
        outcomes: list[Error | None] = []
        last_hash = self._last_hash
        for ops, _ in batch:
            self._db.execute("SAVEPOINT item")
            before = last_hash
            try:
                for op in ops:
                    last_hash = self._apply(op, last_hash)
                self._db.execute("RELEASE item")
                outcomes.append(None)
            except Exception as exc:  # a value it cannot write (or a bug): its own refusal
                self._refuse_whole(exc)
                self._db.execute("ROLLBACK TO item")
                self._db.execute("RELEASE item")
                last_hash = before
                if isinstance(exc, Error) and CLERK_CHANGED.matches(exc):  # told as such
                    outcomes.append(exc)
                else:
                    outcomes.append(STORE_FAILED(f"write refused by the store: {exc}"))
        return outcomes, last_hash

    def _update_offer(self, offer: Offer, stored: Offer) -> bool:
        """Write only the members of ``offer`` that differ from ``stored``, which the store
        holds (the memory of its one process is the truth): an upsert of every member costs
        ~3x as much (each index updated, the claims written again). False, with nothing
        written, if no row was there to update (a refused write before it): the caller
        writes the whole offer then."""
        if stored.id != offer.id:
            return False
        changed = tuple(
            name
            for name in OFFER_FIELDS
            if getattr(offer, name) is not getattr(stored, name)
            and getattr(offer, name) != getattr(stored, name)
        )
        if not changed:
            return False
        values = [offer_value(offer, name) for name in changed]
        cursor = self._db.execute(update_offer_sql(changed), [*values, offer.id])
        return cursor.rowcount == 1

    def _refuse_whole(self, exc: Exception) -> None:
        """Raise ``exc`` again when SQLite ended the transaction itself (a full disk): the
        whole batch failed, for that reason, and no caller is to blame."""
        if isinstance(exc, sqlite3.Error) and not self._db.in_transaction:
            raise exc

    def _apply(self, op: Op, last_hash: str) -> str:
        db = self._db
        if isinstance(op, PutOffer):
            o = op.offer
            if op.expect is not None and self._update_offer(o, op.expect):
                return last_hash
            db.execute(
                UPSERT_OFFER,
                (
                    o.id,
                    o.record,
                    o.configuration,
                    o.vct,
                    None if o.claims is None else json.dumps(o.claims, separators=(",", ":")),
                    o.code_hash,
                    o.code,
                    o.tx_code_hash,
                    o.created,
                    o.expires,
                    o.clerk,
                    o.state,
                    o.attempts,
                    int(o.fetched),
                    o.token_hash,
                    o.token_expires,
                    o.credential,
                ),
            )
        elif isinstance(op, PutIssued):
            i = op.issued
            db.execute(
                UPSERT_ISSUED,
                (
                    *(i.id, i.offer, i.record, i.configuration, i.vct, i.iat, i.exp, i.status),
                    *(i.clerk, i.changed, slots_text(i.slots)),
                ),
            )
        elif isinstance(op, PutList | NewList):
            r = op.record
            db.execute(
                UPSERT_LIST,
                (
                    *(r.number, r.uri, r.size, r.bits, r.created, r.published_at),
                    *(r.published_seq, r.token, int(r.pending)),
                ),
            )
        elif isinstance(op, MarkPending):
            db.execute("UPDATE lists SET pending = 1 WHERE number = ?", (op.number,))
        elif isinstance(op, SpendNonce):
            pass  # kept in the serving process's memory (issuer/nonces.py)
        elif isinstance(op, ClearExpired):
            db.execute(
                "UPDATE offers SET claims = NULL, code = NULL WHERE state IN ('offered', "
                "'redeemed') AND expires <= ? AND COALESCE(token_expires, 0) <= ?",
                (op.now, op.now),
            )
        elif isinstance(op, ClerkHolds):
            c = op.clerk
            row = db.execute(CLERK_SCOPES, (c.id, c.key_hash, c.name, c.created)).fetchone()
            require_clerk_holds(c, row)
        elif isinstance(op, RemoveClerk):
            db.execute("DELETE FROM clerks WHERE id = ?", (op.clerk_id,))
        elif isinstance(op, PutClerk):
            c = op.clerk
            db.execute(
                UPSERT_CLERK,
                (c.id, c.name, scopes_text(c.scopes), c.key_hash, c.created),
            )
        else:
            e = op.event
            digest = audit_hash(last_hash, e)
            db.execute(
                "INSERT INTO audit (at, actor, action, subject, record, outcome, detail, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *(e.at, e.actor, e.action, e.subject, e.record, e.outcome),
                    *(audit_detail(e.detail), digest),
                ),
            )
            return digest
        return last_hash

    # -- reads: one connection per thread, each sees the last committed state ----------------

    def _reader(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._connect(create=False)
            self._local.db = db
            self._readers.append(db)
        return db

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return self._reader().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise STORE_FAILED(f"read failed: {exc}") from exc

    def clerk(self, clerk_id: str) -> Clerk | None:
        rows = self._rows("SELECT * FROM clerks WHERE id = ?", (clerk_id,))
        return clerk_from_row(rows[0]) if rows else None

    def clerks(self) -> list[Clerk]:
        rows = self._rows("SELECT * FROM clerks ORDER BY created, name")
        return [clerk_from_row(r) for r in rows]

    def offer(self, offer_id: str) -> Offer | None:
        rows = self._rows(SELECT_OFFERS + " WHERE id = ?", (offer_id,))
        return offer_from_row(rows[0]) if rows else None

    def offer_by_code(self, code_hash: str) -> Offer | None:
        rows = self._rows(SELECT_OFFERS + " WHERE code_hash = ?", (code_hash,))
        return offer_from_row(rows[0]) if rows else None

    def active_offers(self) -> list[Offer]:
        sql = SELECT_OFFERS + " WHERE state IN ('offered', 'redeemed')"
        return [offer_from_row(r) for r in self._rows(sql)]

    def offers(self, *, record: str | None, limit: int, offset: int) -> list[Offer]:
        where, params = ("WHERE record = ?", [record]) if record is not None else ("", [])
        sql = f"{SELECT_OFFERS} {where} ORDER BY rowid DESC LIMIT ? OFFSET ?"
        return [offer_from_row(r) for r in self._rows(sql, [*params, limit, offset])]

    def _issued(self, rows: list[sqlite3.Row]) -> list[Issued]:
        return [issued_from_row(r, slots_from_text(r["slots"])) for r in rows]

    def issued(self, issued_id: str) -> Issued | None:
        found = self._issued(self._rows(SELECT_ISSUED + " WHERE id = ?", (issued_id,)))
        return found[0] if found else None

    def issued_list(
        self, *, record: str | None, status: int | None, limit: int, offset: int
    ) -> list[Issued]:
        clauses: list[str] = []
        params: list[Any] = []
        if record is not None:
            clauses.append("record = ?")
            params.append(record)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"{SELECT_ISSUED} {where} ORDER BY rowid DESC LIMIT ? OFFSET ?"
        return self._issued(self._rows(sql, [*params, limit, offset]))

    def lists(self) -> list[ListRecord]:
        return [list_from_row(r) for r in self._rows("SELECT * FROM lists ORDER BY number")]

    def slots(self, number: int) -> Iterator[tuple[int, int]]:
        # A row holds list N's slot only if its text holds "[N," (a slot's list number
        # follows its bracket, an index a comma): rows without one are passed over in C.
        # Only a process sharing its store reads one list at a time; this one never does.
        sql = (
            "SELECT json_extract(s.value, '$[1]'), i.status FROM issued i, json_each(i.slots) s "
            "WHERE instr(i.slots, ?) AND json_extract(s.value, '$[0]') = ?"
        )
        return iter([(row[0], row[1]) for row in self._rows(sql, (f"[{number},", number))])

    def slots_by_list(self) -> dict[int, list[tuple[int, int]]]:
        # One pass over the credentials for every list: their slots are in their rows.
        out: dict[int, list[tuple[int, int]]] = {}
        for row in self._rows("SELECT slots, status FROM issued"):
            status = row[1]
            for number, idx in json.loads(row[0]):
                out.setdefault(number, []).append((idx, status))
        return out

    def audit(self, *, after: int, limit: int) -> list[AuditEvent]:
        rows = self._rows("SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
        return [audit_from_row(r) for r in rows]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for table in ("clerks", "offers", "issued", "slots", "lists", "audit"):
            sql = (
                "SELECT COALESCE(SUM(json_array_length(slots)), 0) FROM issued"
                if table == "slots"  # each credential's are in its row
                else f"SELECT COUNT(*) FROM {table}"  # noqa: S608
            )
            out[table] = int(self._rows(sql)[0][0])
        return out

    def offer_by_token(self, token_hash: str) -> Offer | None:
        rows = self._rows(SELECT_OFFERS + " WHERE token_hash = ?", (token_hash,))
        return offer_from_row(rows[0]) if rows else None

    def put_nonce(self, nonce: str, *, now: int, expires: int) -> None:
        raise NotImplementedError("a store of one process keeps nonces in memory")

    def nonce_expires(self, nonce: str) -> int | None:
        raise NotImplementedError("a store of one process keeps nonces in memory")

    @contextlib.contextmanager
    def publishing(self) -> Iterator[bool]:
        yield True

    def size_bytes(self) -> int:
        return sum(
            p.stat().st_size
            for p in (self.path, self.path.with_name(DB_FILE + "-wal"))
            if p.exists()
        )

    def maintain(self) -> None:
        """Fold the WAL into the database and truncate it: with ``secure_delete`` the pages
        that held dropped claim values are overwritten, and no old copy stays in the WAL."""
        self.write([])  # everything queued before this is committed first
        try:
            self._reader().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise STORE_FAILED(
                f"could not fold the WAL into {self.path}: {why_not_committed(exc)}"
            ) from exc

    # -- closing ----------------------------------------------------------------------------

    def close(self) -> None:
        self._stop_writer()
        for db in [self._db, *self._readers]:
            with contextlib.suppress(sqlite3.Error):
                db.close()
        self._readers.clear()
        self._release_lock()

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
            self._lock_fd = None


@functools.lru_cache(maxsize=64)
def scopes_text(scopes: tuple[str, ...]) -> str:
    """A clerk's scopes as its row holds them (a handful of distinct sets: cached)."""
    return json.dumps(list(scopes))


def require_clerk_holds(clerk: Clerk, row: Sequence[Any] | None) -> None:
    """``clerk_changed`` unless ``row`` (the ``scopes`` of the row found with the clerk's id,
    key hash, name and creation time) holds the clerk's scopes."""
    if row is None or (
        row[0] != scopes_text(clerk.scopes) and tuple(json.loads(row[0])) != clerk.scopes
    ):
        raise CLERK_CHANGED(f"clerk {clerk.name} was removed since its key was checked")


def clerk_from_row(row: sqlite3.Row | Mapping[str, Any]) -> Clerk:
    return Clerk(
        id=row["id"],
        name=row["name"],
        scopes=tuple(json.loads(row["scopes"])),
        key_hash=row["key_hash"],
        created=row["created"],
    )


def verify_audit_chain(events: Sequence[AuditEvent], previous: str = GENESIS_HASH) -> str:
    """Recompute the chain over ``events`` (in seq order); the last hash, or StorageError."""
    for event in events:
        expected = audit_hash(previous, event)
        if event.hash != expected:
            raise STORE_FAILED(f"audit event {event.seq} does not chain: the log was altered")
        previous = expected
    return previous
