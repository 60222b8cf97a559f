"""The desk's store: a desk flow's five durable writes (the request made, its request object
taken, the answer claimed, the nonce spent, the decision saved) from many threads at once,
as a desk process serving many wallets makes them; flows/s and transactions per flow.

On PostgreSQL (a throwaway cluster with fsync on, loopback) the store's group commit is set
beside one transaction per write (the store's earlier way, kept here to measure it), in
alternating rounds on one database so the machine's load falls on both alike; the SQLite
store (group commit) is measured in the same run.

Run: ``python -m benchmarks.desk_store [--flows 600] [--threads 16] [--rounds 3] [--smoke]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any, Final, TypeVar

from benchmarks.table import Row, render
from civicid.db import Conn
from tests.postgres import Cluster
from verifier.pg_store import PgStore
from verifier.store import DeskStore, PendingRequest, Store

PART: Final = "desk-store"
FLOWS, THREADS, ROUNDS = 600, 16, 3
# A smoke run: every step at a size that takes seconds (its figures mean nothing).
SMOKE_FLOWS, SMOKE_THREADS, SMOKE_ROUNDS = 8, 2, 1
NOW: Final = 1_780_000_000
DECISION: Final = {"decision": "eligible", "eligible": True, "steps": [{"step": "s"}] * 15}
T = TypeVar("T")


class OnePerWrite(PgStore):
    """The PostgreSQL store as it was: each write its own transaction and COMMIT."""

    def _write(self, work: Callable[[Conn], T]) -> T:
        with self.db.transaction() as conn:
            return work(conn)


class OneCommitter(PgStore):
    """Group commit with one batch at a time per process, as the SQLite store commits."""

    committers = 1


@dataclass
class Measured:
    rate: float = 0.0  # flows/s, best round
    commits: float = 0.0  # transactions per flow in that round


def counting(store: DeskStore) -> list[int]:
    """The number of transactions ``store`` commits from now on (one item per commit)."""
    commits: list[int] = []
    if isinstance(store, OnePerWrite):
        write = store._write

        def one(work: Callable[[Conn], Any]) -> Any:
            commits.append(1)
            return write(work)

        store._write = one  # type: ignore[method-assign]  # measured, not changed
    elif isinstance(store, PgStore | Store):
        commit = store._commit

        def batch(jobs: list[Any]) -> None:
            commits.append(1)
            commit(jobs)

        store._commit = batch  # type: ignore[method-assign,assignment]  # measured, not changed
    return commits


def flows(store: DeskStore, how_many: int, threads: int, ids: count[int]) -> Measured:
    """``how_many`` flows' writes from ``threads`` threads; flows/s and commits per flow."""
    commits = counting(store)

    def flow(_: int) -> None:
        n = next(ids)
        state = f"state-{n}"
        store.add_request(
            PendingRequest(
                f"id-{n}", state, f"tx-{n}", f"nonce-{n}", "p", "a.b.c" * 200, NOW, NOW + 300
            )
        )
        store.fetch_request_object(f"id-{n}", NOW + 1)
        store.claim_answer(state, NOW + 2)
        store.use_nonce(f"spent-{n}", NOW + 2)
        store.save_decision(state, DECISION, "r.e.c", {"decision": "eligible"})

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(flow, range(how_many)))
    elapsed = time.perf_counter() - started
    return Measured(how_many / elapsed, len(commits) / how_many)


def best(samples: list[Measured]) -> Measured:
    return max(samples, key=lambda m: m.rate)


def run(how_many: int, threads: int, rounds: int) -> list[Row]:
    ids = count()
    cluster = Cluster(durable=True)
    grouped: list[Measured] = []
    one_at_a_time: list[Measured] = []
    single: list[Measured] = []
    sqlite: list[Measured] = []
    try:
        cluster.start()
        url = cluster.url(cluster.create_database())
        for _ in range(rounds):  # alternating, on one database
            for make, samples in (
                (PgStore, grouped),
                (OneCommitter, one_at_a_time),
                (OnePerWrite, single),
            ):
                store = make(url)
                try:
                    flows(store, max(threads, how_many // 10), threads, ids)  # warm-up
                    samples.append(flows(store, how_many, threads, ids))
                finally:
                    store.close()
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(rounds):
                local = Store(Path(tmp) / "verifier.db")
                try:
                    sqlite.append(flows(local, how_many, threads, ids))
                finally:
                    local.close()
    finally:
        cluster.remove()
    pg, serial, one, lite = best(grouped), best(one_at_a_time), best(single), best(sqlite)
    return [
        Row(
            PART,
            f"PostgreSQL, group commit: flows/s ({threads} threads, 5 writes a flow)",
            pg.rate,
            "/s",
        ),
        Row(PART, "  transactions committed per flow", pg.commits, ""),
        Row(PART, "PostgreSQL, group commit, one batch at a time: flows/s", serial.rate, "/s"),
        Row(PART, "  transactions committed per flow", serial.commits, ""),
        Row(PART, "PostgreSQL, one transaction per write: flows/s", one.rate, "/s"),
        Row(PART, "  transactions committed per flow", one.commits, ""),
        Row(PART, "PostgreSQL: group commit / one per write", pg.rate / one.rate, "x"),
        Row(PART, "SQLite (group commit), same run: flows/s", lite.rate, "/s"),
        Row(PART, "  transactions committed per flow", lite.commits, ""),
        Row(PART, "machine load (1-minute average) at the end", os.getloadavg()[0], ""),
    ]


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flows", type=int, default=FLOWS, help="flows per timed round")
    parser.add_argument("--threads", type=int, default=THREADS, help="writers at once")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="rounds of each store")
    parser.add_argument("--smoke", action="store_true", help="every step at a tiny size")
    args, _ = parser.parse_known_args(argv)  # the runner passes other parts' options too
    if args.smoke:
        rows = run(SMOKE_FLOWS, SMOKE_THREADS, SMOKE_ROUNDS)
    else:
        rows = run(args.flows, args.threads, args.rounds)
    print(render(rows))
    return rows


if __name__ == "__main__":
    main()
