"""The embedded issuer store's format on disk: its schema, and the one way an older store is
brought to it, in place and in one transaction (a crash leaves the old format or the new,
never a mix; SQLite's schema changes are transactional).

Format 2 holds an issuance's status slots (its copies' list numbers and indexes) in its
``issued`` row. Format 1 held them in a table of their own, keyed by list and index with an
index by credential: two more b-trees written on every issuance, both at random keys (status
indexes are random by design), so most of an issuance's pages (docs/performance/README.md).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Final

from issuer.errors import STORE_DAMAGED, STORE_FORMAT

FORMAT: Final = 2
# The oldest format this code brings to ``FORMAT``; older or newer ones are refused.
OLDEST: Final = 1

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clerks (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL,
  key_hash TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS offers (
  id TEXT PRIMARY KEY, record TEXT NOT NULL, configuration TEXT NOT NULL, vct TEXT NOT NULL,
  claims TEXT, code_hash TEXT NOT NULL UNIQUE, code TEXT, tx_code_hash TEXT,
  created INTEGER NOT NULL, expires INTEGER NOT NULL, clerk TEXT NOT NULL,
  state TEXT NOT NULL, attempts INTEGER NOT NULL, fetched INTEGER NOT NULL,
  token_hash TEXT, token_expires INTEGER, credential TEXT);
CREATE INDEX IF NOT EXISTS offers_active ON offers(state) WHERE state IN ('offered', 'redeemed');
CREATE INDEX IF NOT EXISTS offers_record ON offers(record);
CREATE TABLE IF NOT EXISTS issued (
  id TEXT PRIMARY KEY, offer TEXT NOT NULL, record TEXT NOT NULL, configuration TEXT NOT NULL,
  vct TEXT NOT NULL, iat INTEGER NOT NULL, exp INTEGER NOT NULL, status INTEGER NOT NULL,
  clerk TEXT NOT NULL, changed INTEGER NOT NULL, slots TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS issued_record ON issued(record);
CREATE TABLE IF NOT EXISTS lists (
  number INTEGER PRIMARY KEY, uri TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
  bits INTEGER NOT NULL, created INTEGER NOT NULL, published_at INTEGER,
  published_seq INTEGER, token TEXT, pending INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  subject TEXT, record TEXT, outcome TEXT NOT NULL, detail TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

STAMP: Final = (
    "INSERT INTO meta VALUES ('format', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)

Slots = tuple[tuple[int, int], ...]


def slots_text(slots: Sequence[tuple[int, int]]) -> str:
    """An issuance's slots as its row holds them: ``[[list, index], ...]`` in list and index
    order (the order they were always read in)."""
    return json.dumps(sorted(slots), separators=(",", ":"))


def slots_from_text(text: str) -> Slots:
    return tuple((number, idx) for number, idx in json.loads(text))


def stored(db: sqlite3.Connection) -> int | None:
    """The format of the store open on ``db``: None for a file with no store in it yet. A
    ``meta`` table without a format row is format 1 (its code wrote the row on first open)."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone():
        row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is None:
            return OLDEST
        try:
            return int(row[0])
        except ValueError:
            raise STORE_FORMAT(f"store format {row[0]!r}, this issuer reads {FORMAT}") from None
    return None


def create(db: sqlite3.Connection) -> None:
    """The tables of a new store and its format's row, together or not at all."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if stored(db) is None:  # another process may have made it meanwhile
            for statement in _statements(SCHEMA):
                db.execute(statement)
            db.execute(STAMP, (str(FORMAT),))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def refuse_unknown(found: int) -> None:
    if not OLDEST <= found <= FORMAT:
        raise STORE_FORMAT(
            f"store format {found}, this issuer reads {FORMAT} (and brings {OLDEST} to it): "
            + ("a newer issuer wrote it" if found > FORMAT else "it is not an issuer store")
        )


def migrate(db: sqlite3.Connection) -> None:
    """Bring the store on ``db`` to ``FORMAT`` in one transaction: all of it or none."""
    db.execute("BEGIN IMMEDIATE")
    try:
        found = stored(db)  # read again under the write lock: another may have done it
        assert found is not None
        refuse_unknown(found)
        if found == 1:
            _slots_into_issued(db)
            stamp(db, 2)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def stamp(db: sqlite3.Connection, version: int) -> None:
    """The format's row, last of a migration's statements (tests stop a migration here)."""
    db.execute(STAMP, (str(version),))


def _slots_into_issued(db: sqlite3.Connection) -> None:
    """Format 1 → 2: each credential's slots rows become its row's ``slots``, then the
    slots table goes. Every slot must land in its credential's row: one naming a credential
    the store does not hold is damage, refused with the store left in format 1."""
    db.execute("ALTER TABLE issued ADD COLUMN slots TEXT NOT NULL DEFAULT '[]'")
    # The credentials in their table's order, each row updated by its rowid: the pages are
    # written in turn, where an order by credential id (random) read and wrote a page of the
    # table at random for each, from the disk once the table outgrew the page cache.
    rows = db.execute(
        "SELECT i.rowid, s.list, s.idx FROM issued i JOIN slots s ON s.issued = i.id "
        "ORDER BY i.rowid"
    )
    held = db.executemany("UPDATE issued SET slots = ? WHERE rowid = ?", _grouped(rows)).rowcount
    moved = db.execute("SELECT COALESCE(SUM(json_array_length(slots)), 0) FROM issued")
    slots = db.execute("SELECT COUNT(*), COUNT(DISTINCT issued) FROM slots").fetchone()
    if moved.fetchone()[0] != slots[0] or held != slots[1]:
        raise STORE_DAMAGED(
            f"{slots[0]} status slots in the store, not all of them of a credential it holds: "
            "the store was left in format 1; restore it from a backup or rebuild it from the "
            "ledger with `civicid issuer recover`"
        )
    db.execute("DROP INDEX IF EXISTS slots_issued")
    db.execute("DROP TABLE slots")


def _grouped(rows: Iterable[sqlite3.Row]) -> Iterator[tuple[str, int]]:
    for rowid, group in groupby(rows, key=itemgetter(0)):
        yield slots_text([(row[1], row[2]) for row in group]), rowid


def _statements(script: str) -> list[str]:
    """The statements of ``script`` (each ends where SQLite says it is complete), to run in
    one transaction: ``executescript`` would commit first."""
    out: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    return out
