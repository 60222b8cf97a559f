"""The presentation requests an agency made for its rules (``issuer/by_rule.py``), kept on disk
until they are answered or expire: a request is written, and synced, before the wallet gets
it, so an issuer restarted (or killed) meanwhile still answers it; an answered one is kept
until it would have expired, so a second answer to it is a replay, before and after a
restart alike.

One SQLite file in the issuer's data directory (``issuer/rule-requests.db``), WAL with
``synchronous = FULL``: a commit is on disk before it returns (one sync a step). Several
issuer processes on one machine share it; processes on other machines (a PostgreSQL
deployment) each keep their own, so a wallet's answer must reach the machine that made its
request (else it asks again).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from civicid.eligibility.errors import PRESENTATION_REPLAYED
from civicid.errors import Gone, NotFound, Refused, StorageError, declare
from civicid.sqlite_file import refuse_damaged, why_not_committed
from issuer.errors import STORE_FAILED

RULE_REQUEST_UNKNOWN = declare(
    "rule_request_unknown", NotFound, "no presentation request of this agency has that state"
)
RULE_REQUEST_EXPIRED = declare(
    "rule_request_expired", Gone, "the presentation request has expired; ask again"
)
RULE_REQUEST_DECLINED = declare(
    "rule_request_declined",
    Refused,
    "the citizen declined: the wallet answered with an error (OpenID4VP §8.5)",
)
RULE_REQUESTS_DAMAGED = declare(
    "rule_requests_damaged",
    StorageError,
    "the file of rule requests is damaged or lost its write-ahead log; move it aside",
)
# What to do with a damaged file: it holds requests of minutes, nothing that is not asked again.
DAMAGED_ADVICE: Final = (
    "move it (and its -wal and -shm files) aside and start the issuer again: requests waiting"
    " are asked again by their citizens, and an answer to one it held is refused as unknown"
)

RULE_REQUESTS_FULL = declare(
    "rule_requests_full",
    StorageError,
    "the issuer holds as many rule requests waiting for their answer as it may; try again later",
)

FILE: Final = "rule-requests.db"
# Requests waiting for their presentation. Asking needs no sign-in, so a flood may reach
# this: room is then made from the expired alone, and past it a new request is refused
# (``rule_requests_full``, with the seconds until the first expires) rather than a waiting
# citizen's request dropped. A row is ~200 bytes: the file stays small.
MAX_WAITING: Final = 10_000
# Requests one client (an IPv4 address, an IPv6 /64: ``civicid.quota``) may ask for within a
# request's lifetime, answered or not, per issuer process: one client's flood fills a tenth
# of the room, not all of it (``client_requests_full``, 429, with the seconds until its first
# expires), and citizens behind one shared address (a library, a carrier's NAT) asking a few
# a minute stay far below it.
MAX_WAITING_PER_CLIENT: Final = MAX_WAITING // 10
# Answered requests kept to tell a replay: each answer marks its request answered before it
# is judged, so a flood of asked-and-answered requests would grow the file for as long as one
# is kept. Past this the oldest go; a replay of one is then unknown, refused all the same.
MAX_ANSWERED: Final = 4 * MAX_WAITING
# Seconds a writer waits for another process's write to the file before failing: each write
# is one small row.
BUSY_SECONDS: Final = 10.0

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS requests (
  state TEXT PRIMARY KEY, nonce TEXT NOT NULL, rule TEXT NOT NULL, version INTEGER NOT NULL,
  requested INTEGER NOT NULL, expires INTEGER NOT NULL,
  answered INTEGER NOT NULL DEFAULT 0, kept_until INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS requests_kept ON requests (kept_until);
CREATE INDEX IF NOT EXISTS requests_waiting ON requests (answered, requested);
"""


@dataclass(frozen=True, slots=True)
class Waiting:
    """A request made for version ``version`` of rule ``rule`` at ``requested``."""

    state: str
    nonce: str
    rule: str
    version: int
    requested: int
    expires: int


def check_kept(directory: Path) -> None:
    """Refuse the file of rule requests kept in ``directory`` if it is damaged
    (``rule_requests_damaged``, naming it), leaving it as it is; no file is no refusal (an
    issuer makes it at its first rule request). An issuer checks it as it starts, so a
    damaged file is told then, not to the first citizen who asks by a rule."""
    path = directory / FILE
    if path.exists() or path.is_symlink():
        refuse_damaged(
            path,
            "requests",
            store="file of rule requests",
            advice=DAMAGED_ADVICE,
            damaged=RULE_REQUESTS_DAMAGED,
            failed=STORE_FAILED,
        )


class RuleRequests:
    """The file, open for the life of the issuer's rule desk: one connection, its steps one
    at a time (a connection opened per step would checkpoint and remove the WAL at each
    close: three more syncs a request)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE
        self._lock = threading.Lock()
        check_kept(directory)  # damage told at once, nothing written
        made = not os.path.lexists(self.path)
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, timeout=BUSY_SECONDS, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            why = why_not_committed(exc) if isinstance(exc, sqlite3.Error) else str(exc)
            raise STORE_FAILED(f"cannot open {self.path}: {why}") from exc
        try:
            with self._db() as db:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = FULL")  # the WAL synced at each commit
                db.executescript(SCHEMA)
        except BaseException:
            self._conn.close()
            if made:  # (a full disk): no empty file left to be refused as damage later
                for name in (FILE, f"{FILE}-wal", f"{FILE}-shm"):
                    (directory / name).unlink(missing_ok=True)
            raise

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """The connection for one step; a step that raises (a refusal, a failure) is rolled
        back whole."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                self._rollback()
                raise STORE_FAILED(f"{self.path}: {why_not_committed(exc)}") from exc
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def add(self, waiting: Waiting, *, keep: int) -> None:
        """Keep ``waiting`` (synced) until it expires, and ``keep`` seconds more once
        answered. Past ``MAX_WAITING`` waiting requests, the expired ones go (an answer to
        one is then unknown, not expired); if that makes no room, ``rule_requests_full``
        (``retry_after``: the seconds until the first waiting one expires), nothing kept."""
        now = waiting.requested
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM requests WHERE kept_until < ?", (now,))
            (count,) = db.execute("SELECT count(*) FROM requests WHERE answered = 0").fetchone()
            if count >= MAX_WAITING:
                db.execute("DELETE FROM requests WHERE answered = 0 AND expires < ?", (now,))
                count, first = db.execute(
                    "SELECT count(*), min(expires) FROM requests WHERE answered = 0"
                ).fetchone()
            if count >= MAX_WAITING:
                db.execute("COMMIT")  # the expired stay swept
                wait = max(1, first - now + 1)
                raise RULE_REQUESTS_FULL(
                    f"{count} requests wait for their answer, the most the issuer keeps;"
                    f" try again in {wait} s",
                    retry_after=wait,
                )
            (answered,) = db.execute("SELECT count(*) FROM requests WHERE answered = 1").fetchone()
            if answered >= MAX_ANSWERED:
                db.execute(
                    "DELETE FROM requests WHERE state IN (SELECT state FROM requests "
                    "WHERE answered = 1 ORDER BY kept_until LIMIT ?)",
                    (answered - MAX_ANSWERED + 1,),
                )
            db.execute(
                "INSERT INTO requests (state, nonce, rule, version, requested, expires, "
                "kept_until) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (waiting.state, waiting.nonce, waiting.rule, waiting.version,
                 waiting.requested, waiting.expires, waiting.expires + keep),
            )  # fmt: skip
            db.execute("COMMIT")

    def take(self, state: str, now: int, *, keep: int) -> Waiting:
        """The request ``state`` names, marked answered (synced) before its answer is judged:
        once answered, the same state again is a replay (``presentation_replayed``) for
        ``keep`` seconds, then unknown (``rule_request_unknown``)."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT nonce, rule, version, requested, expires, answered, kept_until "
                "FROM requests WHERE state = ?",
                (state,),
            ).fetchone()
            if row is None:
                raise RULE_REQUEST_UNKNOWN("ask for the credential again")
            nonce, rule, version, requested, expires, answered, kept_until = row
            if answered:
                if kept_until >= now:
                    raise PRESENTATION_REPLAYED("this request was already answered")
                raise RULE_REQUEST_UNKNOWN("ask for the credential again")
            db.execute(
                "UPDATE requests SET answered = 1, kept_until = ? WHERE state = ?",
                (now + keep, state),
            )
            db.execute("COMMIT")
        return Waiting(state, nonce, rule, version, requested, expires)

    def waiting(self) -> int:
        """How many requests wait for their answer (expired ones included until swept)."""
        with self._db() as db:
            (count,) = db.execute("SELECT count(*) FROM requests WHERE answered = 0").fetchone()
        return int(count)
