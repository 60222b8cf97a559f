"""A store in format 1, as issuers before format 2 wrote it: its schema word for word, and
its rows made from the records of a store in the current format (the slots in a table of
their own). Kept so the migration is tested against the format it reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

SCHEMA_1: Final = """
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
  clerk TEXT NOT NULL, changed INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS issued_record ON issued(record);
CREATE TABLE IF NOT EXISTS slots (
  list INTEGER NOT NULL, idx INTEGER NOT NULL, issued TEXT NOT NULL,
  PRIMARY KEY (list, idx)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS slots_issued ON slots(issued);
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

COPIED: Final = ("clerks", "offers", "lists", "audit")
ISSUED_1: Final = "id, offer, record, configuration, vct, iat, exp, status, clerk, changed"


def write_format_1(current: Path, old: Path) -> None:
    """Write at ``old`` the store held at ``current`` (format 2), in format 1."""
    src = sqlite3.connect(current)
    dst = sqlite3.connect(old)
    try:
        dst.executescript(SCHEMA_1)
        dst.execute("INSERT INTO meta VALUES ('format', '1')")
        for table in COPIED:
            for row in src.execute(f"SELECT * FROM {table}"):  # noqa: S608 - our names
                marks = ", ".join("?" * len(row))
                dst.execute(f"INSERT INTO {table} VALUES ({marks})", row)  # noqa: S608
        for row in src.execute(f"SELECT {ISSUED_1} FROM issued ORDER BY rowid"):  # noqa: S608
            dst.execute(f"INSERT INTO issued ({ISSUED_1}) VALUES ({', '.join('?' * 10)})", row)  # noqa: S608
        slots = src.execute(
            "SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), i.id "
            "FROM issued i, json_each(i.slots) j"
        )
        dst.executemany("INSERT INTO slots VALUES (?, ?, ?)", slots)
        dst.commit()
    finally:
        src.close()
        dst.close()
