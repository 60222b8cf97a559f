"""The PostgreSQL issuer store's own statements: an issuance's credential written with its
copies' slots (each write its own commit, from one thread: no group commit to share it), and
a credential read back, on a database already holding many issuances, as the writer thread
and a request see them. Wall time per operation (the server's work is in it), the best of
``--rounds``; run it on two checkouts in turn, on one cluster, to compare:
``PYTHONPATH=<checkout> python -m benchmarks.store_pg --url postgresql://…/postgres``.

Without ``--url`` a throwaway cluster is started (fsync off: the statements, not the disk).

Run: ``python -m benchmarks.store_pg [--issued 50000] [--writes 2000] [--rounds 3] [--smoke]``.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import sys
import time
from collections.abc import Iterator
from typing import Final

import psycopg

from benchmarks.table import Row, render
from issuer.pg_store import PgStore
from issuer.records import Issued
from issuer.store import PutIssued
from tests.postgres import Cluster

PART: Final = "issuer-pg-store"
ISSUED, WRITES, ROUNDS = 50_000, 2_000, 3
SMOKE_ISSUED, SMOKE_WRITES, SMOKE_ROUNDS = 100, 20, 1
COPIES: Final = 3  # the demo's batch size
LIST_SIZE: Final = 131_072
FILL_BATCH: Final = 500


class Slots:
    """Status indexes handed out at random, never twice (as the issuer's allocator does)."""

    def __init__(self) -> None:
        self.taken: set[tuple[int, int]] = set()

    def take(self, n: int) -> tuple[tuple[int, int], ...]:
        out: list[tuple[int, int]] = []
        while len(out) < n:
            slot = (len(self.taken) // LIST_SIZE + 1, secrets.randbelow(LIST_SIZE))
            if slot not in self.taken:
                self.taken.add(slot)
                out.append(slot)
        return tuple(sorted(out))


def issued(slots: Slots) -> Issued:
    iid = secrets.token_urlsafe(16)
    return Issued(
        id=iid,
        offer="o" + iid,
        record="REG-" + iid[:6],
        configuration="national_id",
        vct="https://civicid.example/vct/national-id",
        iat=1_780_000_000,
        exp=1_811_536_000,
        status=0,
        slots=slots.take(COPIES),
        clerk="clerk",
        changed=1_780_000_000,
    )


@contextlib.contextmanager
def database(url: str | None) -> Iterator[str]:
    """A fresh database on the cluster at ``url`` (its ``postgres`` database), or on one of
    its own; dropped after."""
    cluster = None
    if url is None:
        cluster = Cluster()
        cluster.start()
        url = cluster.url()
    name = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
        if cluster is not None:
            cluster.remove()


def main(argv: list[str]) -> list[Row]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.store_pg")
    p.add_argument("--url", help="a cluster's postgres database (else a throwaway cluster)")
    p.add_argument("--issued", type=int, default=ISSUED)
    p.add_argument("--writes", type=int, default=WRITES)
    p.add_argument("--rounds", type=int, default=ROUNDS)
    p.add_argument("--smoke", action="store_true")
    args = p.parse_args([a for a in argv if a != "--"])
    if args.smoke:
        args.issued, args.writes, args.rounds = SMOKE_ISSUED, SMOKE_WRITES, SMOKE_ROUNDS
    slots = Slots()
    write_us, read_us = [], []
    with database(args.url) as url:
        store = PgStore(url, create=True)
        try:
            for start in range(0, args.issued, FILL_BATCH):
                count = min(FILL_BATCH, args.issued - start)
                store.write([PutIssued(issued(slots)) for _ in range(count)])
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
            for _ in range(args.rounds):
                made = [issued(slots) for _ in range(args.writes)]
                started = time.perf_counter()
                for one in made:
                    store.write([PutIssued(one)])
                write_us.append((time.perf_counter() - started) / args.writes * 1e6)
                started = time.perf_counter()
                for one in made:
                    found = store.issued(one.id)
                    assert found is not None and found.slots == one.slots
                read_us.append((time.perf_counter() - started) / args.writes * 1e6)
        finally:
            store.close()
    at = f"{args.issued:,} held"
    return [
        Row(PART, f"issuance written ({COPIES} copies), {at}, wall", min(write_us), "µs/op"),
        Row(PART, f"credential read with its slots, {at}, wall", min(read_us), "µs/op"),
    ]


if __name__ == "__main__":
    print(render(main(sys.argv[1:])))
