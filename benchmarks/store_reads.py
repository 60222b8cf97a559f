"""The embedded issuer store's own costs, beside the work around them: a staff write's check
that its clerk still holds (``ClerkHolds``, applied in the writer's transaction), and one
list's slots read back (``slots(number)``) from a store of many issuances.

CPU per operation (``time.process_time``), the best of ``--rounds``; run it on two
checkouts in turn (``PYTHONPATH=<checkout> python -m benchmarks.store_reads``) to compare.

Run: ``python -m benchmarks.store_reads [--issued 100000] [--rounds 5] [--smoke]``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Final

from benchmarks.table import Row, render
from issuer.records import Clerk
from issuer.settings import DEFAULT_LIST_SIZE
from issuer.store import DB_FILE, ClerkHolds, PutClerk, SqliteStore

PART: Final = "issuer-store"
ISSUED, ROUNDS, CHECKS = 400_000, 5, 20_000
SMOKE_ISSUED, SMOKE_ROUNDS, SMOKE_CHECKS = 200, 1, 50
# Status lists of this many slots (the issuer's default size): the issuances fill them in
# turn, so 400,000 fill three and start a fourth; the first is read.
LIST_SIZE: Final = DEFAULT_LIST_SIZE


def clerk_holds(store: SqliteStore, checks: int) -> float:
    """µs of CPU per ``ClerkHolds`` applied in an open transaction, as the writer does."""
    clerk = Clerk(
        id=secrets.token_hex(16),
        name=f"clerk-{secrets.token_hex(4)}",
        scopes=("offers", "status"),
        key_hash="$argon2id$" + "x" * 80,
        created=1_780_000_000,
    )
    store.write([PutClerk(clerk)])
    op = ClerkHolds(clerk)
    db = store._db
    db.execute("BEGIN IMMEDIATE")
    try:
        started = time.process_time()
        for _ in range(checks):
            store._apply(op, "")
        spent = time.process_time() - started
    finally:
        db.execute("ROLLBACK")
    return spent / checks * 1e6


def fill(path: Path, issued: int) -> None:
    """``issued`` credentials of one copy each, written straight into the file's current
    format (the slots in their rows if it has that column, else in the slots table)."""
    db = sqlite3.connect(path)
    columns = [r[1] for r in db.execute("PRAGMA table_info(issued)")]
    in_rows = "slots" in columns
    db.execute("BEGIN")
    for n in range(issued):
        number, idx = n // LIST_SIZE + 1, n % LIST_SIZE
        iid = secrets.token_hex(16)
        values = (iid, "o" + iid, "r", "c", "v", 1, 2, n % 3, "k", 1)
        if in_rows:
            db.execute(
                "INSERT INTO issued VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, json.dumps([[number, idx]])),
            )
        else:
            db.execute("INSERT INTO issued VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
            db.execute("INSERT INTO slots VALUES (?, ?, ?)", (number, idx, iid))
    db.execute("COMMIT")
    db.close()


def slots_read(store: SqliteStore, number: int) -> float:
    """ms of CPU to read list ``number``'s slots."""
    started = time.process_time()
    found = sum(1 for _ in store.slots(number))
    spent = time.process_time() - started
    assert found > 0, "the list read holds no slot"
    return spent * 1e3


def main(argv: list[str]) -> list[Row]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.store_reads")
    p.add_argument("--issued", type=int, default=ISSUED)
    p.add_argument("--rounds", type=int, default=ROUNDS)
    p.add_argument("--checks", type=int, default=CHECKS)
    p.add_argument("--smoke", action="store_true")
    args = p.parse_args([a for a in argv if a != "--"])
    if args.smoke:
        args.issued, args.rounds, args.checks = SMOKE_ISSUED, SMOKE_ROUNDS, SMOKE_CHECKS
    with tempfile.TemporaryDirectory(prefix="civicid-store-bench-") as tmp:
        store = SqliteStore(Path(tmp), create=True)
        try:
            holds = min(clerk_holds(store, args.checks) for _ in range(args.rounds))
            fill(Path(tmp) / DB_FILE, args.issued)
            read = min(slots_read(store, 1) for _ in range(args.rounds))
        finally:
            store.close()
    lists = -(-args.issued // LIST_SIZE)
    return [
        Row(PART, "ClerkHolds applied, CPU", holds, "µs/op"),
        Row(PART, f"slots(1) of {lists} lists, {args.issued:,} issued, CPU", read, "ms/call"),
    ]


if __name__ == "__main__":
    print(render(main(sys.argv[1:])))
