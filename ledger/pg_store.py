"""The log on PostgreSQL: entries, the last signed checkpoint, metadata and the state
snapshot in tables, behind the ``LogStore`` interface the files implement.

One sequencer writes. It holds a session advisory lock on its one write connection, so the
lock and the writes live and die together: a sequencer whose connection is gone can neither
write nor keep another out, and a second one started beside a live one is refused
(``ledger_sequencer_running``). Entries are inserted in a transaction that ``sync`` commits,
so a batch is all there or not at all; ``seq`` is the primary key, so two writers can never
both write the same place (no fork even without the lock), and the checkpoint row only ever
grows. Readers open read-only (a hot standby will do) and see the log as the last signed
checkpoint describes it: its size is read first, then the entries below it, in one snapshot
of the database (REPEATABLE READ).

An entry read back is held to its leaf hash (the tree's), as the files' records to their
checksum: damage is refused, never served or signed over.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import OrderedDict
from typing import Any, Final

import psycopg
from psycopg.types.json import Jsonb

from civicid.db import CONNECT_TIMEOUT, Conn, Database, Schema, parse_url, where
from civicid.errors import Error
from civicid.merkle import HASH_SIZE, leaf_hash
from ledger.errors import (
    LEDGER_DATABASE_STANDBY,
    LEDGER_NOT_INITIALIZED,
    LEDGER_SEQUENCER_RUNNING,
    STORE_CORRUPT,
    STORE_READONLY,
    STORE_TRUNCATED,
    STORE_WRITE_FAILED,
)
from ledger.store import checkpoint_size

# The one advisory lock a sequencer holds (per database): a fixed 64-bit key of our own.
SEQUENCER_LOCK: Final = int.from_bytes(
    hashlib.sha256(b"civicid ledger sequencer").digest()[:8], "big", signed=True
)
# How often a sequencer waiting to take over asks for the lock: a takeover within a second
# of the first sequencer's death, at one cheap query a tick.
LOCK_POLL: Final = 0.2
# Leaf hashes fetched per query at open: 100k hashes are 3.2 MB, one round trip each.
HASH_CHUNK: Final = 100_000
# Entries fetched ahead when the log is read in order (a replay): one round trip per this
# many entries instead of one each; at most a few MB (entries are small transactions).
READ_AHEAD: Final = 1_000
# Entries kept in memory once read: those asked for again and again (the DIDs resolved most)
# cost no round trip; entries never change, so a cached one is never stale.
MAX_CACHED_ENTRIES: Final = 20_000
# Connections the read pool opens at most: one per server thread reading at once.
READ_CONNECTIONS: Final = 8

SNAPSHOT_NAME: Final = "ledger.snapshot"

# The ledger's tables, in the PostgreSQL schema ``ledger`` (civicid.db: one step per version,
# a released step never edited).
SCHEMA: Final = Schema(
    "ledger",
    (
        """
        CREATE TABLE entries (
            seq bigint PRIMARY KEY CHECK (seq >= 0),
            leaf bytea NOT NULL,
            leaf_hash bytea NOT NULL CHECK (length(leaf_hash) = 32));
        CREATE TABLE checkpoint (
            one boolean PRIMARY KEY DEFAULT true CHECK (one),
            size bigint NOT NULL CHECK (size > 0),
            note text NOT NULL);
        CREATE TABLE meta (
            key text PRIMARY KEY,
            value jsonb NOT NULL);
        CREATE TABLE snapshot (
            one boolean PRIMARY KEY DEFAULT true CHECK (one),
            size bigint NOT NULL,
            data bytea NOT NULL);
        """,
        # The checkpoint readers are served when witnesses cosign (ledger/witnessing.py):
        # the newest one a quorum cosigned, with the cosignatures, for every reader to serve.
        """
        CREATE TABLE served (
            one boolean PRIMARY KEY DEFAULT true CHECK (one),
            size bigint NOT NULL CHECK (size > 0),
            note text NOT NULL);
        """,
    ),
)


def refuse_standby(url: str) -> None:
    """A sequencer is never started on a standby: said before anything tries to write."""
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.Error:
        return  # civicid.db says why, naming the host and never the password
    with conn:
        if conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,):
            raise LEDGER_DATABASE_STANDBY(
                f"the database at {where(parse_url(url))} is a standby (read-only): a "
                "sequencer writes to the primary; serve readers here with --reader"
            )


class PgSnapshot:
    """The state snapshot (``ledger/snapshot.py``) as one row: what the file is to files.
    Opening reads it more than once (its signed size, then its body): it is fetched once and
    kept until ``forget``, as tens of MB at a million entries."""

    name = SNAPSHOT_NAME

    def __init__(self, store: PgLogStore) -> None:
        self.store = store
        self._data: bytes | None = None

    def exists(self) -> bool:
        return self._data is not None or self.store.snapshot_size() is not None

    def read_bytes(self) -> bytes:
        if self._data is None:
            self._data = self.store.snapshot_bytes()
        if self._data is None:
            raise STORE_CORRUPT("the state snapshot is gone")
        return self._data

    def put(self, data: bytes, size: int) -> None:
        self.store.put_snapshot(data, size)
        self._data = None

    def forget(self) -> None:
        self._data = None


class PgLogStore:
    """The log in PostgreSQL (module docstring). ``readonly`` opens a reader, which sees the
    entries the last signed checkpoint covers; else the sequencer's advisory lock is taken
    (waiting up to ``wait`` seconds for a live sequencer to go) or ``ledger_sequencer_running``
    is raised."""

    def __init__(self, url: str, *, readonly: bool = False, wait: float = 0.0) -> None:
        self.readonly = readonly
        self._io = threading.Lock()
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._last_read = -2
        self._writer: Conn | None = None
        self._hashes = bytearray()
        self._size = 0
        self._checkpoint: str | None = None
        if not readonly:
            refuse_standby(url)
        # A reader (maybe on a standby) never migrates; the sequencer creates or upgrades.
        self.db = Database(url, SCHEMA, migrate=not readonly, max_size=READ_CONNECTIONS)
        self.where = self.db.where
        try:
            if not readonly:
                self._writer = self._take_lock(wait)
            self._load()
        except BaseException:
            self.close()
            raise

    # -- opening ---------------------------------------------------------------------------

    def _take_lock(self, wait: float) -> Conn:
        conn = self.db.connect(autocommit=True)
        try:
            deadline = time.monotonic() + wait
            while True:
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (SEQUENCER_LOCK,))
                if row.fetchone() == (True,):
                    break
                if time.monotonic() >= deadline:
                    raise LEDGER_SEQUENCER_RUNNING(
                        f"another sequencer is writing to the ledger at {self.where}; run "
                        "this one as a reader (--reader), or let it take over when that one "
                        "stops (--take-over)"
                    )
                time.sleep(LOCK_POLL)
            conn.autocommit = False
            return conn
        except psycopg.Error as exc:
            conn.close()
            raise self.db.translate(exc) from exc
        except BaseException:
            conn.close()
            raise

    def _load(self) -> None:
        """The leaf hashes of the log as this role sees it: the whole committed log for the
        sequencer, up to the last signed checkpoint for a reader (one database snapshot)."""
        with self.db.transaction() as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            row = conn.execute("SELECT size, note FROM checkpoint").fetchone()
            self._checkpoint = None if row is None else str(row[1])
            signed = 0 if row is None else int(row[0])
            if row is not None and checkpoint_size(self._checkpoint or "") != signed:
                raise STORE_CORRUPT("the checkpoint row's size is not its note's")
            if self.readonly:
                total = signed
            else:
                found = conn.execute("SELECT coalesce(max(seq) + 1, 0) FROM entries")
                total = int(found.fetchone()[0])  # type: ignore[index]
            self._hashes = self._fetch_hashes(conn, 0, total)
        self._size = total
        if self.readonly and total == 0:
            raise LEDGER_NOT_INITIALIZED(
                f"no ledger in the database at {self.where}; run "
                "`civicid ledger init --database-url …`"
            )
        if self._size < signed:
            raise self._rolled_back(self._size, signed)

    def _rolled_back(self, held: int, signed: int) -> Error:
        """Fewer entries than a checkpoint this ledger signed (or a gap below it): serving
        would sign a fork of what it acknowledged."""
        return STORE_TRUNCATED(
            f"the database at {self.where} holds {held:,} entries in a row where this ledger "
            f"signed a checkpoint of {signed:,}: acknowledged entries are missing and serving "
            "would fork the log; restore the database from a backup (or a standby that has "
            "them)",
            held=held,
            signed=signed,
        )

    def _fetch_hashes(self, conn: Conn, start: int, end: int) -> bytearray:
        """Leaf hashes ``start`` .. ``end - 1``, checked to be all there (no gap)."""
        hashes = bytearray()
        for first in range(start, end, HASH_CHUNK):
            last = min(first + HASH_CHUNK, end)
            row = conn.execute(
                "SELECT count(*), string_agg(leaf_hash, ''::bytea ORDER BY seq) "
                "FROM entries WHERE seq >= %s AND seq < %s",
                (first, last),
                binary=True,
            ).fetchone()
            assert row is not None
            if row[0] != last - first:
                raise self._rolled_back(first + int(str(row[0])), end)
            hashes += row[1] or b""
        return hashes

    # -- the log ---------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaves: list[bytes], hashes: list[bytes]) -> None:
        """Insert entries in the open transaction (not yet durable: call ``sync``)."""
        conn = self._writing()
        with self._io:
            try:
                with (
                    conn.cursor() as cur,
                    cur.copy("COPY entries (seq, leaf, leaf_hash) FROM STDIN") as copy,
                ):
                    for i, (leaf, digest) in enumerate(zip(leaves, hashes, strict=True)):
                        copy.write_row((self._size + i, leaf, digest))
            except psycopg.Error as exc:
                self._rollback(conn)
                raise self.db.translate(exc) from exc
            self._hashes += b"".join(hashes)
            self._size += len(leaves)

    def sync(self) -> None:
        conn = self._writing()
        with self._io:
            try:
                conn.commit()
            except psycopg.Error as exc:
                self._rollback(conn)
                raise self.db.translate(exc) from exc

    def truncate(self, size: int) -> None:
        """Drop entries from ``size`` on: only ever entries no checkpoint covers."""
        conn = self._writing()
        with self._io:
            try:
                conn.execute("DELETE FROM entries WHERE seq >= %s", (size,))
                conn.commit()
            except psycopg.Error as exc:
                self._rollback(conn)
                raise self.db.translate(exc) from exc
            del self._hashes[size * HASH_SIZE :]
            self._size = min(self._size, size)

    def _rollback(self, conn: Conn) -> None:
        # A connection that is gone took its transaction (and the lock) with it.
        with contextlib.suppress(psycopg.Error):
            conn.rollback()

    def _writing(self) -> Conn:
        if self.readonly or self._writer is None:
            raise STORE_READONLY("this store was opened read-only")
        return self._writer

    def read(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise IndexError(index)
        with self._cache_lock:
            cached = self._cache.get(index)
            if cached is not None:
                self._cache.move_to_end(index)
                return cached
            ahead = READ_AHEAD if index == self._last_read + 1 else 1
            self._last_read = index
        end = min(index + ahead, self._size)
        rows = self._query(
            "SELECT seq, leaf FROM entries WHERE seq >= %s AND seq < %s ORDER BY seq",
            (index, end),
        )
        found: dict[int, bytes] = {}
        for seq, leaf in rows:
            data = bytes(leaf)
            if leaf_hash(data) != self._hashes[seq * HASH_SIZE : (seq + 1) * HASH_SIZE]:
                raise STORE_CORRUPT(f"entry {seq} does not match its leaf hash", seq=seq)
            found[seq] = data
        if index not in found:
            raise STORE_CORRUPT(f"entry {index} is missing from ledger.entries", seq=index)
        with self._cache_lock:
            self._cache.update(found)
            while len(self._cache) > MAX_CACHED_ENTRIES:
                self._cache.popitem(last=False)
        return found[index]

    def _query(self, query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        # Binary results: bytea as it is stored, not hex text twice its size to decode; one
        # statement in autocommit: one round trip.
        with self.db.read() as conn:
            return conn.execute(query, params, binary=True).fetchall()

    def leaf_hashes(self) -> bytes:
        return bytes(self._hashes)

    # -- following (readers) ---------------------------------------------------------------

    def signed_now(self) -> tuple[int, str] | None:
        """The last checkpoint signed, as the database holds it now (not cached)."""
        rows = self._query("SELECT size, note FROM checkpoint WHERE %s", (True,))
        return None if not rows else (int(rows[0][0]), str(rows[0][1]))

    def served_now(self) -> tuple[int, str] | None:
        """The cosigned checkpoint the sequencer serves, if witnesses cosign (not cached)."""
        rows = self._query("SELECT size, note FROM served WHERE %s", (True,))
        return None if not rows else (int(rows[0][0]), str(rows[0][1]))

    def put_served(self, size: int, note: str) -> None:
        """Record the checkpoint with the cosignatures the sequencer now serves (only ever a
        larger one, or more cosignatures on the same size)."""
        conn = self._writing()
        with self._io:
            try:
                conn.execute(
                    "INSERT INTO served (one, size, note) VALUES (true, %s, %s) "
                    "ON CONFLICT (one) DO UPDATE SET size = excluded.size, note = excluded.note "
                    "WHERE served.size <= excluded.size",
                    (size, note),
                )
                conn.commit()
            except psycopg.Error as exc:
                self._rollback(conn)
                raise self.db.translate(exc) from exc

    def extend(self, size: int, note: str) -> bytes:
        """Take entries up to ``size`` (a reader following the sequencer); their leaf
        hashes. ``note`` becomes the last checkpoint."""
        # Entries below a signed checkpoint never change: no snapshot needed across chunks.
        with self.db.read() as conn:
            added = self._fetch_hashes(conn, self._size, size)
        self._hashes += added
        self._size = size
        self._checkpoint = note
        return bytes(added)

    # -- the last signed checkpoint --------------------------------------------------------

    def last_checkpoint(self) -> str | None:
        return self._checkpoint

    def put_checkpoint(self, note: str) -> None:
        """Commit ``note`` as the last signed checkpoint before anyone is told about it;
        the row only grows (a smaller one means another writer: refused)."""
        conn = self._writing()
        size = checkpoint_size(note)
        with self._io:
            try:
                cur = conn.execute(
                    "INSERT INTO checkpoint (one, size, note) VALUES (true, %s, %s) "
                    "ON CONFLICT (one) DO UPDATE SET size = excluded.size, note = excluded.note "
                    "WHERE checkpoint.size <= excluded.size",
                    (size, note),
                )
                if cur.rowcount != 1:
                    conn.rollback()
                    raise STORE_WRITE_FAILED(
                        f"a checkpoint larger than {size:,} is already signed: another "
                        "writer; this one stops rather than fork the log"
                    )
                conn.commit()
            except psycopg.Error as exc:
                self._rollback(conn)
                raise self.db.translate(exc) from exc
        self._checkpoint = note

    # -- the state snapshot ----------------------------------------------------------------

    @property
    def snapshot(self) -> PgSnapshot:
        return PgSnapshot(self)

    def snapshot_size(self) -> int | None:
        rows = self._query("SELECT size FROM snapshot WHERE %s", (True,))
        return None if not rows else int(rows[0][0])

    def snapshot_head(self, length: int) -> bytes | None:
        """The snapshot's first ``length`` bytes (None without one): its signed note names
        the body by its digest, so a changed head is another snapshot."""
        rows = self._query("SELECT substring(data FROM 1 FOR %s) FROM snapshot", (length,))
        return None if not rows else bytes(rows[0][0])

    def snapshot_bytes(self) -> bytes | None:
        rows = self._query("SELECT data FROM snapshot WHERE %s", (True,))
        return None if not rows else bytes(rows[0][0])

    def put_snapshot(self, data: bytes, size: int) -> None:
        conn = self._writing()
        with self._io:
            try:
                conn.execute(
                    "INSERT INTO snapshot (one, size, data) VALUES (true, %s, %s) "
                    "ON CONFLICT (one) DO UPDATE SET size = excluded.size, data = excluded.data",
                    (size, data),
                )
                conn.commit()
            except psycopg.Error as exc:
                self._rollback(conn)
                raise self.db.translate(exc) from exc

    def offer_snapshot(self, data: bytes, size: int) -> bool:
        """Replace the snapshot with one of more entries, from a process that is not the
        sequencer (``ledger.sequencer.refresh_snapshot``); False if one as large is there.
        The snapshot is not the log: readers check it before using it."""
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO snapshot (one, size, data) VALUES (true, %s, %s) "
                "ON CONFLICT (one) DO UPDATE SET size = excluded.size, data = excluded.data "
                "WHERE snapshot.size < excluded.size",
                (size, data),
            )
            return cur.rowcount == 1

    # -- metadata --------------------------------------------------------------------------

    def get_meta(self, key: str) -> Any:
        rows = self._query("SELECT value FROM meta WHERE key = %s", (key,))
        return rows[0][0] if rows else None

    def put_meta(self, key: str, value: Any) -> None:
        conn = self._writing()
        with self._io:
            try:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES (%s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, Jsonb(value)),
                )
                conn.commit()
            except psycopg.Error as exc:
                self._rollback(conn)
                raise self.db.translate(exc) from exc

    def close(self) -> None:
        self.db.close()
        if self._writer is not None:
            self._rollback(self._writer)
            self._writer.close()  # ends the session: the advisory lock goes with it
            self._writer = None
