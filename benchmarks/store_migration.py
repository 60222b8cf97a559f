"""The embedded issuer store's migration from format 1 to format 2 (``issuer/store_format.py``)
at the sizes a real store reaches: how long the issuer's first start after an upgrade takes
(the store is migrated in place, in one transaction, before the port is opened), and how much
disk the migration needs beside the store (its write-ahead log holds every page it changes
until the commit).

A format-1 store of ``n`` issuances is written as issuers before format 2 wrote it (its schema
word for word, ``tests/issuer/store_format_1.py``): a credential row of one copy each, its
slot at a random index of the list being filled (as status indexes are given out), with an
offer row (claims cleared, as after issuance) and three audit rows each. The store is then
opened as ``issuer serve`` opens it: wall time and CPU of that open, the WAL's size after it
(SQLite keeps the file at its largest), and the store's size before and after.

Run: ``python -m benchmarks.store_migration [--issued 100000 1000000] [--smoke]``.
"""

from __future__ import annotations

import argparse
import random
import secrets
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from benchmarks.table import Row, render
from issuer.settings import DEFAULT_LIST_SIZE
from issuer.store import DB_FILE, SqliteStore
from tests.issuer.store_format_1 import SCHEMA_1

PART: Final = "issuer-store-migration"
SIZES: Final = (100_000, 1_000_000)
SMOKE_SIZES: Final = (1_000,)
# Rows written per transaction while filling (one commit each: the fill is not measured).
CHUNK: Final = 50_000
# What an issuance leaves in the rows the migration does not touch, at their real sizes.
OFFER_ROW: Final = (
    "r", "national_id", "https://civicid.example/vct/national-id", None, None, None,
    1_780_000_000, 1_780_000_900, "clerk", "issued", 0, 1, None, None,
)  # fmt: skip
AUDIT_DETAIL: Final = '{"configuration":"national_id","copies":1,"vct":"national-id"}'
MiB: Final = 1 << 20


def _issuances(n: int, seed: int) -> Iterator[tuple[str, int, int]]:
    """Each issuance's credential id and its slot: lists fill in turn, indexes at random."""
    rng = random.Random(seed)
    for start in range(0, n, DEFAULT_LIST_SIZE):
        number = start // DEFAULT_LIST_SIZE + 1
        count = min(DEFAULT_LIST_SIZE, n - start)
        for idx in rng.sample(range(DEFAULT_LIST_SIZE), count):
            yield secrets.token_urlsafe(16), number, idx


def write_format_1(path: Path, n: int) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript(SCHEMA_1)
    db.execute("INSERT INTO meta VALUES ('format', '1')")
    seq = 0
    batch: list[tuple[str, int, int]] = []
    for item in _issuances(n, seed=n):
        batch.append(item)
        if len(batch) == CHUNK:
            seq = _write(db, batch, seq)
            batch = []
    if batch:
        _write(db, batch, seq)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def _write(db: sqlite3.Connection, batch: list[tuple[str, int, int]], seq: int) -> int:
    db.execute("BEGIN")
    for iid, number, idx in batch:
        offer = "o" + iid
        db.execute(
            "INSERT INTO offers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (offer, *OFFER_ROW[:4], "h" + iid, *OFFER_ROW[4:], iid),
        )
        db.execute(
            "INSERT INTO issued VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (iid, offer, "r", "national_id", OFFER_ROW[2], 1, 2, 0, "clerk", 1),
        )
        db.execute("INSERT INTO slots VALUES (?, ?, ?)", (number, idx, iid))
        for action in ("offer.create", "token.issue", "credential.issue"):
            seq += 1
            db.execute(
                "INSERT INTO audit VALUES (?, 1, 'clerk', ?, ?, 'r', 'ok', ?, ?)",
                (seq, action, iid, AUDIT_DETAIL, secrets.token_hex(32)),
            )
    db.execute("COMMIT")
    return seq


def measure(n: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="civicid-migration-") as tmp:
        directory = Path(tmp)
        write_format_1(directory / DB_FILE, n)
        before = (directory / DB_FILE).stat().st_size
        wall, cpu = time.perf_counter(), time.process_time()
        store = SqliteStore(directory)  # migrates, as the serving process's open does
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        try:
            wal = (directory / (DB_FILE + "-wal")).stat().st_size
            counts = store.counts()
            assert counts["issued"] == counts["slots"] == n, counts
        finally:
            store.close()
        after = (directory / DB_FILE).stat().st_size
    label = f"{n:,} issuances"
    return [
        Row(PART, f"{label}: open and migrate, wall", wall, "s"),
        Row(PART, f"{label}: open and migrate, CPU", cpu, "s"),
        Row(PART, f"{label}: WAL after the migration", wal / MiB, "MiB"),
        Row(PART, f"{label}: store before / after", before / MiB, f"/ {after / MiB:.1f} MiB"),
    ]


def main(argv: list[str]) -> list[Row]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.store_migration")
    p.add_argument("--issued", type=int, nargs="+", default=list(SIZES))
    p.add_argument("--smoke", action="store_true")
    args = p.parse_args([a for a in argv if a != "--"])
    sizes = SMOKE_SIZES if args.smoke else tuple(args.issued)
    return [row for n in sizes for row in measure(n)]


if __name__ == "__main__":
    print(render(main(sys.argv[1:])))
